#include "engine/service/request_decoder.h"

#include <cstdint>
#include <optional>

#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "engine/common/utf8.h"

namespace feedgov::service {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;

constexpr absl::string_view kInvalidUtf8Prefix =
    "invalid UTF-8 in request field ";
constexpr absl::string_view kUndecodablePrefix = "undecodable request: ";
// Deeper nesting is left to the parser (protobuf's own recursion limit).
constexpr int kMaxDepth = 100;

// The first string field holding invalid UTF-8.
struct Utf8Finding {
  std::string path;  // "items[1].labels[0].name", built while unwinding.
  const FieldDescriptor* field = nullptr;
  size_t offset = 0;  // Of the first invalid byte, within the field's value.
  size_t size = 0;    // Of the field's value.
  unsigned char byte = 0;
};

// Walks protobuf wire format without allocating. Scan() returns the first
// string field (proto3, so UTF-8 is required) with invalid UTF-8; a
// wire-format error stops the walk and is described in `*wire_error` (the
// parser decides whether the message is valid).
class WireWalker {
 public:
  explicit WireWalker(std::string* wire_error) : wire_error_(wire_error) {}

  // `end_group`: inside a group of that field number (0: a message body).
  std::optional<Utf8Finding> Scan(absl::string_view wire, size_t base,
                                  const Descriptor* type, int depth,
                                  int end_group = 0,
                                  size_t* consumed = nullptr) {
    size_t at = 0;
    // Occurrences of each repeated field seen so far (the path's index).
    absl::InlinedVector<std::pair<int, int>, 8> seen;
    while (at < wire.size()) {
      const size_t field_start = at;
      uint64_t tag;
      if (!ReadVarint(wire, &at, &tag)) {
        return Fail(base + field_start, "truncated field tag");
      }
      const int number = static_cast<int>(tag >> 3);
      const int wire_type = static_cast<int>(tag & 7);
      if (number == 0) return Fail(base + field_start, "field number 0");
      auto where = [&] {
        return absl::StrCat("field ", number, " at byte ", base + field_start);
      };
      switch (wire_type) {
        case 0: {  // Varint.
          uint64_t unused;
          if (!ReadVarint(wire, &at, &unused)) {
            return Fail(where(), ": truncated varint");
          }
          break;
        }
        case 1:    // 64-bit.
        case 5: {  // 32-bit.
          const size_t n = wire_type == 1 ? 8 : 4;
          if (wire.size() - at < n) {
            return Fail(where(),
                        absl::StrCat(": ", n, "-byte value past the end"));
          }
          at += n;
          break;
        }
        case 2: {  // Length-delimited.
          uint64_t len;
          if (!ReadVarint(wire, &at, &len)) {
            return Fail(where(), ": truncated length");
          }
          if (len > wire.size() - at) {
            return Fail(where(),
                        absl::StrCat(": length ", len, " past the end, ",
                                     wire.size() - at, " bytes left"));
          }
          const absl::string_view value = wire.substr(at, len);
          const size_t value_base = base + at;
          at += len;
          const FieldDescriptor* field =
              type == nullptr ? nullptr : type->FindFieldByNumber(number);
          if (field == nullptr) break;  // Unknown field: kept, not checked.
          int index = -1;
          if (field->is_repeated()) index = Next(seen, number);
          if (field->type() == FieldDescriptor::TYPE_STRING &&
              field->file()->syntax() == FileDescriptor::SYNTAX_PROTO3) {
            const size_t bad = FirstInvalidUtf8(value);
            if (bad != absl::string_view::npos) {
              Utf8Finding f;
              f.path = Name(field, index);
              f.field = field;
              f.offset = bad;
              f.size = value.size();
              f.byte = static_cast<unsigned char>(value[bad]);
              return f;
            }
          } else if (field->type() == FieldDescriptor::TYPE_MESSAGE &&
                     depth < kMaxDepth) {
            std::optional<Utf8Finding> f =
                Scan(value, value_base, field->message_type(), depth + 1);
            if (f.has_value()) {
              f->path = absl::StrCat(Name(field, index), ".", f->path);
              return f;
            }
            if (stopped_) return std::nullopt;
          }
          break;
        }
        case 3: {  // Start group: skipped (proto3 declares none).
          if (depth >= kMaxDepth) return Stop();
          size_t used = 0;
          std::optional<Utf8Finding> f = Scan(
              wire.substr(at), base + at, nullptr, depth + 1, number, &used);
          if (f.has_value() || stopped_) return f;
          at += used;
          break;
        }
        case 4:  // End group.
          if (number != end_group)
            return Fail(where(), ": unmatched end group");
          if (consumed != nullptr) *consumed = at;
          return std::nullopt;
        default:
          return Fail(where(), absl::StrCat(": wire type ", wire_type,
                                            " does not exist"));
      }
    }
    if (end_group != 0) return Fail(base + at, "group not closed");
    return std::nullopt;
  }

 private:
  static bool ReadVarint(absl::string_view wire, size_t* at, uint64_t* value) {
    *value = 0;
    for (int shift = 0; shift < 64 && *at < wire.size(); shift += 7) {
      const uint8_t b = static_cast<uint8_t>(wire[(*at)++]);
      *value |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  static int Next(absl::InlinedVector<std::pair<int, int>, 8>& seen,
                  int number) {
    for (auto& [n, count] : seen) {
      if (n == number) return count++;
    }
    seen.emplace_back(number, 1);
    return 0;
  }
  static std::string Name(const FieldDescriptor* field, int index) {
    return index < 0 ? field->name()
                     : absl::StrCat(field->name(), "[", index, "]");
  }
  std::optional<Utf8Finding> Fail(size_t byte, absl::string_view what) {
    return Fail(absl::StrCat("byte ", byte), absl::StrCat(": ", what));
  }
  std::optional<Utf8Finding> Fail(const std::string& where,
                                  const std::string& what) {
    if (wire_error_->empty()) *wire_error_ = absl::StrCat(where, what);
    return Stop();
  }
  std::optional<Utf8Finding> Stop() {
    stopped_ = true;
    return std::nullopt;
  }

  std::string* const wire_error_;
  bool stopped_ = false;
};

}  // namespace

absl::string_view RequestDefectName(RequestDefect defect) {
  switch (defect) {
    case RequestDefect::kInvalidUtf8:
      return "invalid_utf8";
    case RequestDefect::kUndecodable:
      return "undecodable";
    case RequestDefect::kNone:
      break;
  }
  return "none";
}

absl::Status DecodeRequest(absl::string_view wire,
                           google::protobuf::Message* request) {
  const Descriptor* type = request->GetDescriptor();
  // Checked before parsing: protobuf's parser refuses the same bytes but
  // says only which field (to stderr, once per request).
  std::string wire_error;
  std::optional<Utf8Finding> bad =
      WireWalker(&wire_error).Scan(wire, 0, type, 0);
  if (bad.has_value()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s`%s` (%s): byte 0x%02x at offset %d of %d; string fields take "
        "UTF-8 text",
        kInvalidUtf8Prefix, bad->path, bad->field->full_name(), bad->byte,
        bad->offset, bad->size));
  }
  if (!request->ParseFromArray(wire.data(), static_cast<int>(wire.size()))) {
    return absl::InvalidArgumentError(absl::StrCat(
        kUndecodablePrefix, "the ", wire.size(), " bytes are not a ",
        type->full_name(), " protobuf message",
        wire_error.empty() ? "" : absl::StrCat(" (", wire_error, ")")));
  }
  return absl::OkStatus();
}

RequestDefect DefectOf(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument) {
    return RequestDefect::kNone;
  }
  if (absl::StartsWith(status.message(), kInvalidUtf8Prefix)) {
    return RequestDefect::kInvalidUtf8;
  }
  if (absl::StartsWith(status.message(), kUndecodablePrefix)) {
    return RequestDefect::kUndecodable;
  }
  return RequestDefect::kNone;
}

absl::Status DecodingService::CheckComplete() const {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          full_name_);
  if (service == nullptr || service->method_count() != methods_) {
    return absl::InternalError(
        absl::StrCat("service ", full_name_, ": ", methods_,
                     " methods registered, the "
                     ".proto declares ",
                     service == nullptr ? 0 : service->method_count()));
  }
  return absl::OkStatus();
}

}  // namespace feedgov::service
