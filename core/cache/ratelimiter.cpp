#include "ratelimiter.h"

#include <algorithm>
#include <cmath>

namespace kd::core::cache {

using std::chrono::milliseconds;

ItemExponentialRateLimiter::ItemExponentialRateLimiter(milliseconds base, milliseconds maxDelay)
    : m_base(base)
    , m_maxDelay(maxDelay)
{}

milliseconds ItemExponentialRateLimiter::when(const api::ObjectKey &key)
{
    std::lock_guard lock(m_mutex);
    const int exponent = m_failures[key]++;
    // Computed in floating point: 2^exponent overflows any integer long before the cap applies.
    const double delay = static_cast<double>(m_base.count()) * std::pow(2.0, exponent);
    if (delay >= static_cast<double>(m_maxDelay.count()))
        return m_maxDelay;
    return milliseconds(static_cast<milliseconds::rep>(delay));
}

void ItemExponentialRateLimiter::forget(const api::ObjectKey &key)
{
    std::lock_guard lock(m_mutex);
    m_failures.erase(key);
}

int ItemExponentialRateLimiter::numRequeues(const api::ObjectKey &key) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_failures.find(key);
    return it == m_failures.end() ? 0 : it->second;
}

TokenBucketRateLimiter::TokenBucketRateLimiter(double qps, int burst, Clock clock)
    : m_qps(qps > 0 ? qps : 1.0)
    , m_burst(std::max(burst, 1))
    , m_clock(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); }))
    , m_tokens(m_burst)
    , m_last(m_clock())
{}

milliseconds TokenBucketRateLimiter::when(const api::ObjectKey &)
{
    std::lock_guard lock(m_mutex);
    const auto now = m_clock();
    const double elapsed = std::chrono::duration<double>(now - m_last).count();
    m_last = now;
    m_tokens = std::min(m_burst, m_tokens + elapsed * m_qps);
    // Reserve: tokens may go negative, the debt is what later callers wait for.
    m_tokens -= 1.0;
    if (m_tokens >= 0)
        return milliseconds(0);
    return milliseconds(static_cast<milliseconds::rep>(std::ceil(-m_tokens / m_qps * 1000.0)));
}

void TokenBucketRateLimiter::forget(const api::ObjectKey &) {}

int TokenBucketRateLimiter::numRequeues(const api::ObjectKey &) const
{
    return 0;
}

MaxOfRateLimiter::MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters)
    : m_limiters(std::move(limiters))
{}

milliseconds MaxOfRateLimiter::when(const api::ObjectKey &key)
{
    milliseconds longest{0};
    for (const auto &limiter : m_limiters)
        longest = std::max(longest, limiter->when(key));
    return longest;
}

void MaxOfRateLimiter::forget(const api::ObjectKey &key)
{
    for (const auto &limiter : m_limiters)
        limiter->forget(key);
}

int MaxOfRateLimiter::numRequeues(const api::ObjectKey &key) const
{
    int most = 0;
    for (const auto &limiter : m_limiters)
        most = std::max(most, limiter->numRequeues(key));
    return most;
}

std::unique_ptr<RateLimiter> defaultControllerRateLimiter()
{
    std::vector<std::unique_ptr<RateLimiter>> limiters;
    limiters.push_back(std::make_unique<ItemExponentialRateLimiter>());
    limiters.push_back(std::make_unique<TokenBucketRateLimiter>());
    return std::make_unique<MaxOfRateLimiter>(std::move(limiters));
}

} // namespace kd::core::cache
