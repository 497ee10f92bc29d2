// File: engine/service/request_decoder.h
//
// Decoding a request's bytes, with an error a client can act on.
//
// gRPC's generated handlers parse a request before any of our code runs;
// bytes that are not a valid message of the request type (invalid UTF-8 in
// a proto3 `string` field, a truncated or garbled message) end there as
// INTERNAL with an empty message, unlogged and uncounted, and protobuf
// writes one unthrottled "invalid UTF-8" line per request to stderr.
// DecodingService registers our services' methods with a handler that
// decodes the bytes itself (DecodeRequest) and hands a failure to the
// RequestGate (RefuseUndecodable: token checked first, then
// INVALID_ARGUMENT, counted, logged at a limited rate). Everything else is
// what the generated handler does (the same unary call ops).
//
// Thread-safety: DecodeRequest is thread-safe; DecodingService is built
// before the server starts and immutable after.
#ifndef FEEDGOV_ENGINE_SERVICE_REQUEST_DECODER_H_
#define FEEDGOV_ENGINE_SERVICE_REQUEST_DECODER_H_

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>

#include <deque>
#include <new>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "engine/service/request_gate.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/impl/rpc_service_method.h"
#include "grpcpp/impl/service_type.h"
#include "grpcpp/support/method_handler.h"

namespace feedgov::service {

// Why a request could not be decoded (the counters and log kinds).
enum class RequestDefect {
  kNone,
  kInvalidUtf8,  // A proto3 string field holds invalid UTF-8.
  kUndecodable,  // The bytes are not a message of the request type.
};

// "invalid_utf8" / "undecodable" / "none".
absl::string_view RequestDefectName(RequestDefect defect);

// Parses `wire` into `*request` (cleared first). INVALID_ARGUMENT:
//   "invalid UTF-8 in request field `items[1].labels[0].name`
//    (feedgov.v1.ItemLabel.name): byte 0xc3 at offset 4 of 6; string fields
//    take UTF-8 text"
//   "undecodable request: the 4 bytes are not a feedgov.v1.RankRequest
//    protobuf message (field 1 at byte 0: length 5 past the end, 2 bytes
//    left)"
absl::Status DecodeRequest(absl::string_view wire,
                           google::protobuf::Message* request);

// The defect an error of DecodeRequest reports (kNone for any other status).
RequestDefect DefectOf(const absl::Status& status);

// One unary method: decodes the request with DecodeRequest, then runs
// `(service->*method)(ctx, request, response)` as gRPC's RpcMethodHandler
// does; a request that cannot be decoded goes to gate->RefuseUndecodable.
template <class Svc, class Req, class Resp>
class DecodingUnaryHandler final : public grpc::internal::MethodHandler {
 public:
  using Method = grpc::Status (Svc::*)(grpc::ServerContext*, const Req*, Resp*);
  DecodingUnaryHandler(Svc* service, Method method, RequestGate* gate,
                       std::string rpc_name)
      : service_(service),
        method_(method),
        gate_(gate),
        rpc_name_(std::move(rpc_name)) {}

  void RunHandler(const HandlerParameter& param) override {
    Resp response;
    auto* ctx = static_cast<grpc::ServerContext*>(param.server_context);
    grpc::Status status = param.status;
    if (status.ok()) {
      auto* request = static_cast<Req*>(param.request);
      status = grpc::internal::CatchingFunctionHandler(
          [&] { return (service_->*method_)(ctx, request, &response); });
      request->~Req();
    } else {
      status = gate_->RefuseUndecodable(
          ctx, rpc_name_.c_str(),
          absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                       status.error_message()));
    }
    grpc::internal::UnaryRunHandlerHelper(
        param, static_cast<google::protobuf::MessageLite*>(&response), status);
  }

  void* Deserialize(grpc_call* call, grpc_byte_buffer* req,
                    grpc::Status* status, void** /*handler_data*/) override {
    auto* request = new (grpc::g_core_codegen_interface->grpc_call_arena_alloc(
        call, sizeof(Req))) Req;
    absl::Status decoded =
        absl::InvalidArgumentError("undecodable request: no request message");
    if (req != nullptr) {
      grpc_byte_buffer_reader reader;
      if (grpc_byte_buffer_reader_init(&reader, req) != 0) {
        grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
        decoded = DecodeRequest(
            absl::string_view(
                reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(all)),
                GRPC_SLICE_LENGTH(all)),
            request);
        grpc_slice_unref(all);
        grpc_byte_buffer_reader_destroy(&reader);
      }
      grpc_byte_buffer_destroy(req);
    }
    if (decoded.ok()) {
      *status = grpc::Status::OK;
      return request;
    }
    *status = grpc::Status(static_cast<grpc::StatusCode>(decoded.code()),
                           std::string(decoded.message()));
    request->~Req();
    return nullptr;
  }

 private:
  Svc* const service_;
  const Method method_;
  RequestGate* const gate_;
  const std::string rpc_name_;
};

// One feedgov.v1 service registered with DecodingUnaryHandlers, e.g.
//   DecodingService s(&gate, "feedgov.v1.FeedService");
//   s.AddUnary(feed, "Rank", &v1::FeedService::Service::Rank);
class DecodingService final : public grpc::Service {
 public:
  // `full_name` as in the .proto ("feedgov.v1.FeedService").
  DecodingService(RequestGate* gate, std::string full_name)
      : gate_(gate), full_name_(std::move(full_name)) {}

  template <class Svc, class Req, class Resp>
  void AddUnary(Svc* service, absl::string_view method,
                grpc::Status (Svc::*fn)(grpc::ServerContext*, const Req*,
                                        Resp*)) {
    const absl::string_view short_name =
        absl::string_view(full_name_).substr(full_name_.rfind('.') + 1);
    AddMethod(new grpc::internal::RpcServiceMethod(
        paths_.emplace_back(absl::StrCat("/", full_name_, "/", method)).c_str(),
        grpc::internal::RpcMethod::NORMAL_RPC,
        new DecodingUnaryHandler<Svc, Req, Resp>(
            service, fn, gate_, absl::StrCat(short_name, ".", method))));
    ++methods_;
  }

  // OK when every method of the service's descriptor was added (INTERNAL
  // naming the service otherwise: a method would answer UNIMPLEMENTED).
  absl::Status CheckComplete() const;
  const std::string& full_name() const { return full_name_; }

 private:
  RequestGate* const gate_;
  const std::string full_name_;
  // Method paths; RpcServiceMethod keeps the pointer. A deque keeps them
  // where they are as it grows.
  std::deque<std::string> paths_;
  int methods_ = 0;
};

}  // namespace feedgov::service

#endif  // FEEDGOV_ENGINE_SERVICE_REQUEST_DECODER_H_
