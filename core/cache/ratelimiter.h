#pragma once

#include <core/api/groupversion.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace kd::core::cache {

using Clock = std::function<std::chrono::steady_clock::time_point()>;

// Decides how long a work item waits before it is retried (client-go's workqueue rate
// limiters). Implementations are thread-safe: the WorkQueue calls them from any worker thread.
class RateLimiter
{
public:
    virtual ~RateLimiter() = default;
    // The delay before `key` may be processed again; counts as one more failure of the key.
    virtual std::chrono::milliseconds when(const api::ObjectKey &key) = 0;
    // The key succeeded: its failure history is dropped.
    virtual void forget(const api::ObjectKey &key) = 0;
    // Failures recorded for the key since the last forget().
    virtual int numRequeues(const api::ObjectKey &key) const = 0;
};

// Per-item exponential backoff: base * 2^failures, capped at maxDelay. Thread-safe.
class ItemExponentialRateLimiter final : public RateLimiter
{
public:
    ItemExponentialRateLimiter(std::chrono::milliseconds base = std::chrono::milliseconds(5),
                               std::chrono::milliseconds maxDelay = std::chrono::seconds(1000));
    std::chrono::milliseconds when(const api::ObjectKey &key) override;
    void forget(const api::ObjectKey &key) override;
    int numRequeues(const api::ObjectKey &key) const override;

private:
    const std::chrono::milliseconds m_base;
    const std::chrono::milliseconds m_maxDelay;
    mutable std::mutex m_mutex;
    std::map<api::ObjectKey, int> m_failures;
};

// Overall token bucket (golang.org/x/time/rate reservations): `qps` tokens per second, at most
// `burst` stored. Each when() reserves one token and returns how long until it is available, so
// a storm of failures across many keys is spread out. Per-key history is not kept. Thread-safe.
class TokenBucketRateLimiter final : public RateLimiter
{
public:
    TokenBucketRateLimiter(double qps = 10.0, int burst = 100, Clock clock = {});
    std::chrono::milliseconds when(const api::ObjectKey &key) override;
    void forget(const api::ObjectKey &key) override;
    int numRequeues(const api::ObjectKey &key) const override;

private:
    const double m_qps;
    const double m_burst;
    const Clock m_clock;
    std::mutex m_mutex;
    double m_tokens;
    std::chrono::steady_clock::time_point m_last;
};

// The longest delay of several limiters; numRequeues is the largest of theirs. Thread-safe.
class MaxOfRateLimiter final : public RateLimiter
{
public:
    explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters);
    std::chrono::milliseconds when(const api::ObjectKey &key) override;
    void forget(const api::ObjectKey &key) override;
    int numRequeues(const api::ObjectKey &key) const override;

private:
    std::vector<std::unique_ptr<RateLimiter>> m_limiters;
};

// client-go's DefaultControllerRateLimiter: per-item 5 ms -> 1000 s, overall 10 qps burst 100.
std::unique_ptr<RateLimiter> defaultControllerRateLimiter();

} // namespace kd::core::cache
