#include "engine/cli/flags.h"

#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace feedgov::cli {
namespace {

const FlagSpec* FindFlag(const CommandSpec& spec, const std::string& name) {
  for (const FlagSpec& f : spec.flags) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace

std::string HelpText(const CommandSpec& spec) {
  std::string out = absl::StrCat(spec.summary, "\n\nUsage: ", spec.usage, "\n");
  if (!spec.flags.empty()) absl::StrAppend(&out, "\nFlags:\n");
  for (const FlagSpec& f : spec.flags) {
    std::string left = absl::StrCat("  --", f.name, f.boolean ? "" : " VALUE");
    std::string right = f.help;
    if (f.required) absl::StrAppend(&right, " (required)");
    if (!f.default_value.empty() && !f.boolean) {
      absl::StrAppend(&right, " [default: ", f.default_value, "]");
    }
    absl::StrAppend(&out, absl::StrFormat("%-28s %s\n", left, right));
  }
  absl::StrAppend(&out, absl::StrFormat("%-28s %s\n", "  --help", "Show this help"));
  return out;
}

absl::StatusOr<ParsedFlags> ParseFlags(const CommandSpec& spec,
                                       const std::vector<std::string>& args) {
  ParsedFlags parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") return absl::NotFoundError(HelpText(spec));
    absl::string_view body = arg;
    if (!absl::ConsumePrefix(&body, "--")) {
      if (!spec.allow_positional) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unexpected argument '", arg, "' (see feedgov ", spec.name, " --help)"));
      }
      parsed.positional_.push_back(arg);
      continue;
    }
    std::string name(body);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const FlagSpec* flag = FindFlag(spec, name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown flag --", name, " for 'feedgov ", spec.name,
          "' (see feedgov ", spec.name, " --help)"));
    }
    if (flag->boolean) {
      parsed.values_[name] = value.value_or("true");
    } else {
      if (!value) {
        if (i + 1 >= args.size()) {
          return absl::InvalidArgumentError(
              absl::StrCat("flag --", name, " needs a value"));
        }
        value = args[++i];
      }
      parsed.values_[name] = *value;
    }
    parsed.given_[name] = true;
  }
  for (const FlagSpec& f : spec.flags) {
    if (parsed.values_.count(f.name)) continue;
    if (f.required) {
      return absl::InvalidArgumentError(absl::StrCat(
          "missing required flag --", f.name, " (", f.help, ")"));
    }
    parsed.values_[f.name] = f.boolean ? "false" : f.default_value;
  }
  return parsed;
}

const std::string& ParsedFlags::Get(const std::string& name) const {
  static const std::string* empty = new std::string;
  auto it = values_.find(name);
  return it == values_.end() ? *empty : it->second;
}

bool ParsedFlags::Has(const std::string& name) const {
  return given_.count(name) > 0;
}

bool ParsedFlags::Bool(const std::string& name) const {
  const std::string& v = Get(name);
  return v == "true" || v == "1" || v == "yes";
}

absl::StatusOr<int64_t> ParsedFlags::Int(const std::string& name) const {
  int64_t v;
  if (!absl::SimpleAtoi(Get(name), &v)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": '", Get(name), "' is not an integer"));
  }
  return v;
}

absl::StatusOr<int32_t> ParsedFlags::Int32(const std::string& name) const {
  absl::StatusOr<int64_t> v = Int(name);
  if (!v.ok()) return v.status();
  if (*v < std::numeric_limits<int32_t>::min() ||
      *v > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": ", *v, " does not fit in 32 bits"));
  }
  return static_cast<int32_t>(*v);
}

absl::StatusOr<double> ParsedFlags::Double(const std::string& name) const {
  double v;
  if (!absl::SimpleAtod(Get(name), &v)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": '", Get(name), "' is not a number"));
  }
  return v;
}

}  // namespace feedgov::cli
