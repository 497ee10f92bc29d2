// File: engine/intervention/write_gate.h
//
// The intervention write gate: what the InterventionManager runs before an
// intervention is created or replaced, so that nothing is written that
// governance forbids (Manual intervention issue). It refuses:
//
//   * a surface the policy pack does not declare (INVALID_ARGUMENT, the
//     pack's one unknown-surface message);
//   * an item that is not in the catalog, for every kind but an author
//     suppression (NOT_FOUND "pin of unknown item 7");
//   * a pin of an item the policy drops on that surface (illegal anywhere),
//     or of an item kept out of key slots at a key-slot position
//     (FAILED_PRECONDITION, naming the label that fired): the pin rule of
//     governance/pin_check.h, evaluated for the general audience on every
//     surface the pin covers.
//
// It reads the current pack and the current catalog and labels at each
// call. Thread-safe; `policies` and `catalog` must outlive the gate.
#ifndef FEEDGOV_ENGINE_INTERVENTION_WRITE_GATE_H_
#define FEEDGOV_ENGINE_INTERVENTION_WRITE_GATE_H_

#include "engine/catalog/catalog_writer.h"
#include "engine/governance/policy_loader.h"
#include "engine/intervention/intervention_manager.h"

namespace feedgov {

WriteGate MakeInterventionGate(const PolicyRegistry* policies,
                               const CatalogWriter* catalog);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_INTERVENTION_WRITE_GATE_H_
