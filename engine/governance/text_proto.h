// File: engine/governance/text_proto.h
//
// Internal helper: parse a text-format proto while recording where every
// field sits, so loaders can report "path:line: ..." for semantic errors.
// Not part of the public governance API. Thread-safe (no shared state).
#ifndef FEEDGOV_ENGINE_GOVERNANCE_TEXT_PROTO_H_
#define FEEDGOV_ENGINE_GOVERNANCE_TEXT_PROTO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"

namespace feedgov::governance_internal {

using ParseInfoTree = google::protobuf::TextFormat::ParseInfoTree;

// Parses `text` (the contents of `path`) into `*msg`, recording field
// locations in `*tree`. Syntax errors and unknown fields: INVALID_ARGUMENT
// "path:line:column: <parser message>" (1-based line and column).
absl::Status ParseTextProto(const std::string& path, const std::string& text,
                            google::protobuf::Message* msg, ParseInfoTree* tree);

// Reads and parses `path`. NOT_FOUND if the file is missing.
absl::Status ParseTextProtoFile(const std::string& path,
                                google::protobuf::Message* msg,
                                ParseInfoTree* tree);

// 1-based line where `field` of `msg` was written (`index` for repeated
// fields, -1 for singular ones), or `fallback` when it was not written.
// `tree` may be null (returns fallback).
int FieldLine(const ParseInfoTree* tree, const google::protobuf::Message& msg,
              absl::string_view field, int index, int fallback);

// Location tree of the nested message `field[index]` (-1 if singular), or
// null when unknown.
const ParseInfoTree* NestedTree(const ParseInfoTree* tree,
                                const google::protobuf::Message& msg,
                                absl::string_view field, int index);

// INVALID_ARGUMENT "path:line: message".
absl::Status ErrorAt(const std::string& path, int line,
                     absl::string_view message);

}  // namespace feedgov::governance_internal

#endif  // FEEDGOV_ENGINE_GOVERNANCE_TEXT_PROTO_H_
