#include "engine/governance/text_proto.h"

#include <algorithm>

#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/common/utf8.h"
#include "absl/strings/str_join.h"
#include "engine/common/file_util.h"
#include "engine/common/status_macros.h"
#include "google/protobuf/io/tokenizer.h"

namespace feedgov::governance_internal {
namespace {

class CollectErrors : public google::protobuf::io::ErrorCollector {
 public:
  explicit CollectErrors(const std::string& path) : path_(path) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors_.push_back(
        absl::StrCat(path_, ":", line + 1, ":", column + 1, ": ", message));
  }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  const std::string& path_;
  std::vector<std::string> errors_;
};

const google::protobuf::FieldDescriptor* FindField(
    const google::protobuf::Message& msg, absl::string_view field) {
  return msg.GetDescriptor()->FindFieldByName(std::string(field));
}

}  // namespace

absl::Status ParseTextProto(const std::string& path, const std::string& text,
                            google::protobuf::Message* msg,
                            ParseInfoTree* tree) {
  if (size_t bad = FirstInvalidUtf8(text); bad != absl::string_view::npos) {
    const int line = 1 + static_cast<int>(std::count(
                             text.begin(), text.begin() + static_cast<long>(bad), '\n'));
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", line, ": not valid UTF-8 (byte ", bad, ")"));
  }
  CollectErrors errors(path);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(tree);
  if (!parser.ParseFromString(text, msg)) {
    if (errors.errors().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": parse error"));
    }
    return absl::InvalidArgumentError(absl::StrJoin(errors.errors(), "; "));
  }
  return absl::OkStatus();
}

absl::Status ParseTextProtoFile(const std::string& path,
                                google::protobuf::Message* msg,
                                ParseInfoTree* tree) {
  FEEDGOV_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseTextProto(path, text, msg, tree);
}

int FieldLine(const ParseInfoTree* tree, const google::protobuf::Message& msg,
              absl::string_view field, int index, int fallback) {
  const google::protobuf::FieldDescriptor* fd = FindField(msg, field);
  if (tree == nullptr || fd == nullptr) return fallback;
  google::protobuf::TextFormat::ParseLocation loc =
      tree->GetLocation(fd, fd->is_repeated() ? index : -1);
  return loc.line < 0 ? fallback : loc.line + 1;
}

const ParseInfoTree* NestedTree(const ParseInfoTree* tree,
                                const google::protobuf::Message& msg,
                                absl::string_view field, int index) {
  const google::protobuf::FieldDescriptor* fd = FindField(msg, field);
  if (tree == nullptr || fd == nullptr) return nullptr;
  return tree->GetTreeForNested(fd, fd->is_repeated() ? index : -1);
}

absl::Status ErrorAt(const std::string& path, int line,
                     absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ": ", message));
}

}  // namespace feedgov::governance_internal
