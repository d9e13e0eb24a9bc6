#include "backoff.h"

#include <algorithm>

namespace kd::core::cache {

Backoff::Backoff(Options options)
    : m_options(options)
    , m_random(std::random_device{}())
{}

std::chrono::milliseconds Backoff::next()
{
    const auto now = std::chrono::steady_clock::now();
    if (m_current.count() == 0 || now - m_lastFailure >= m_options.resetAfter)
        m_current = m_options.initial;
    else
        m_current = std::min(m_current * 2, m_options.max);
    m_lastFailure = now;
    std::uniform_real_distribution<double> fraction(0.0, m_options.jitter);
    const double extra = fraction(m_random) * static_cast<double>(m_current.count());
    return m_current + std::chrono::milliseconds(static_cast<std::int64_t>(extra));
}

void Backoff::reset()
{
    m_current = std::chrono::milliseconds(0);
}

} // namespace kd::core::cache
