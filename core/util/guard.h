#pragma once

#include <memory>

namespace kd::core::util {

// Whether a caller passed a lifetime guard at all. Callbacks in core are "guarded by their
// receiver's lifetime": the receiver hands in a weak_ptr to something it owns, and a callback runs
// only while that still lives. An empty weak_ptr means "no guard" and must not be mistaken for an
// expired one, which expired() cannot tell apart; ownership comparison with an empty weak_ptr can.
inline bool isGuardSet(const std::weak_ptr<const void> &guard)
{
    const std::weak_ptr<const void> empty;
    return guard.owner_before(empty) || empty.owner_before(guard);
}

} // namespace kd::core::util
