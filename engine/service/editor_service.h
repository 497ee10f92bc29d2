// File: engine/service/editor_service.h
//
// feedgov.v1.EditorService (docs/api.md): create, replace, revoke and list
// interventions, query and verify the audit log, for the editor and admin
// roles. The audit actor is the authenticated caller. Writes go through the
// state directory's InterventionManager: validated, checked by the write
// gate (engine/intervention/write_gate.h), committed durably and visible to
// the next Rank before the reply.
#ifndef FEEDGOV_ENGINE_SERVICE_EDITOR_SERVICE_H_
#define FEEDGOV_ENGINE_SERVICE_EDITOR_SERVICE_H_

#include <memory>
#include <string>

#include "engine/service/request_gate.h"
#include "feedgov/v1/editor_service.grpc.pb.h"

namespace feedgov::service {

std::unique_ptr<v1::EditorService::Service> MakeEditorService(
    RequestGate& gate);

}  // namespace feedgov::service

#endif  // FEEDGOV_ENGINE_SERVICE_EDITOR_SERVICE_H_
