// File: engine/intervention/write_gate.h
//
// The intervention write gate: what the InterventionManager runs before an
// intervention is created or replaced, so that nothing is written that
// governance forbids or that could not apply (Manual intervention and
// Hardening issues; Gov. Art. 11, 12: manual intervention never overrides
// the content rules). One rule set for pins, boosts and buries (the kinds
// that promote or demote an item); it refuses:
//
//   * a surface the policy pack does not declare (INVALID_ARGUMENT, the
//     pack's one unknown-surface message);
//   * an item that is not in the catalog, for every kind but an author
//     suppression (NOT_FOUND "pin of unknown item 7"), or that was deleted
//     (NOT_FOUND "boost of deleted item 7");
//   * a pin, boost or bury of an item the policy drops on a surface it
//     covers (illegal there: FAILED_PRECONDITION naming the label);
//   * a pin at a key-slot position of an item the policy keeps out of key
//     slots on a surface it covers (the pin rule of governance/pin_check.h),
//     and a boost of an item a label keeps out of the key slots of a
//     surface it covers (bad content is never promoted; an item kept out
//     only for want of review or labels may be boosted):
//     FAILED_PRECONDITION naming the label;
//   * a pin, boost or bury of an item an unrevoked suppression (of the
//     item, its author, or near duplicates of a seed it is similar to)
//     covers on an overlapping surface and window (FAILED_PRECONDITION
//     naming the suppression: revoke it first).
// Verdicts are evaluated for the general audience on every surface the
// intervention covers and, on a minors zone (SURFACE_KIND_MINORS_ZONE), for
// the minors audience as well, with the current pack, catalog and labels.
// (On other surfaces a minors request may still refuse a pin the general
// audience allows; the page says so: pins_blocked.)
//
// MakePinCheck applies the same rules to a pin already written, for the
// manager's BLOCKED / UNBLOCKED audit entries (intervention_manager.h):
// "" when the pin is placed, else the refusal message it would get now.
//
// Thread-safe; `policies` and `catalog` must outlive the gate.
#ifndef FEEDGOV_ENGINE_INTERVENTION_WRITE_GATE_H_
#define FEEDGOV_ENGINE_INTERVENTION_WRITE_GATE_H_

#include "engine/catalog/catalog_writer.h"
#include "engine/governance/policy_loader.h"
#include "engine/intervention/intervention_manager.h"

namespace feedgov {

WriteGate MakeInterventionGate(const PolicyRegistry* policies,
                               const CatalogWriter* catalog);

PinCheck MakePinCheck(const PolicyRegistry* policies,
                      const CatalogWriter* catalog);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_INTERVENTION_WRITE_GATE_H_
