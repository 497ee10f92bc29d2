// File: engine/governance/pin_check.h
//
// The pin-governance rule (Manual intervention issue; Gov. Art. 11, Art. 12:
// manual intervention never overrides the content rules): a pin never
// bypasses governance. An item the policy drops on a surface is never
// pinned there, and an item kept out of key slots is never pinned to a key
// slot. The intervention write gate (engine/intervention/write_gate.h)
// refuses such a pin when it is created; the overlay
// (engine/intervention/overlay.h) refuses it again when a page is served,
// since labels, the pack or the audience may have changed since. Both
// call this one function.
//
// Thread-safety: pure.
#ifndef FEEDGOV_ENGINE_GOVERNANCE_PIN_CHECK_H_
#define FEEDGOV_ENGINE_GOVERNANCE_PIN_CHECK_H_

namespace feedgov {

enum class PinRefusal {
  kNone,              // The pin may be placed.
  kDropped,           // The policy drops the item on this surface.
  kKeptOutOfKeySlot,  // The position is a key slot the item may not hold.
};

// `dropped` / `key_slot_allowed`: the item's verdict on the surface for the
// audience (verdict.h); `at_key_slot`: the pin's position is a key slot.
inline PinRefusal CheckPin(bool dropped, bool key_slot_allowed,
                           bool at_key_slot) {
  if (dropped) return PinRefusal::kDropped;
  if (at_key_slot && !key_slot_allowed) return PinRefusal::kKeptOutOfKeySlot;
  return PinRefusal::kNone;
}

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_GOVERNANCE_PIN_CHECK_H_
