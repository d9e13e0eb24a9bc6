#pragma once

#include <chrono>
#include <functional>
#include <random>

namespace kd::core::cache {

// Exponential backoff with jitter for a reconnecting loop (client-go's
// exponentialBackoffManager): initial, doubling up to max, reset to initial after a stable period
// without failures. Owned by one loop; not thread-safe.
class Backoff final
{
public:
    struct Options
    {
        std::chrono::milliseconds initial{800};
        std::chrono::milliseconds max{30000};
        // Reset when the previous failure is at least this long ago.
        std::chrono::milliseconds resetAfter{120000};
        // Up to this fraction of the delay is added at random, so that many clients that lost
        // the same server do not come back in lockstep.
        double jitter = 1.0;
    };

    explicit Backoff(Options options);
    Backoff()
        : Backoff(Options{})
    {}

    // The delay before the next attempt; records a failure now.
    std::chrono::milliseconds next();
    void reset();

private:
    Options m_options;
    std::chrono::milliseconds m_current{0};
    std::chrono::steady_clock::time_point m_lastFailure;
    std::mt19937 m_random;
};

} // namespace kd::core::cache
