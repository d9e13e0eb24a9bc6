#pragma once

#include <core/util/error.h>

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace kd::core::util {

// Result<T> holds either a value or an Error: the return type of every fallible call that
// crosses a module boundary. Accessing the wrong alternative is a programmer error (asserts in
// debug builds). Result<void> carries only success or an Error.
template<typename T>
class [[nodiscard]] Result final
{
public:
    Result(const T &value)
        : m_data(std::in_place_index<0>, value)
    {}
    Result(T &&value)
        : m_data(std::in_place_index<0>, std::move(value))
    {}
    Result(const Error &error)
        : m_data(std::in_place_index<1>, error)
    {}
    Result(Error &&error)
        : m_data(std::in_place_index<1>, std::move(error))
    {}

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }

    T &value() &
    {
        assert(ok());
        return std::get<0>(m_data);
    }
    const T &value() const &
    {
        assert(ok());
        return std::get<0>(m_data);
    }
    T &&value() &&
    {
        assert(ok());
        return std::get<0>(std::move(m_data));
    }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }
    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }

    const Error &error() const
    {
        assert(!ok());
        return std::get<1>(m_data);
    }

    template<typename U>
    T valueOr(U &&fallback) const &
    {
        return ok() ? value() : static_cast<T>(std::forward<U>(fallback));
    }

private:
    std::variant<T, Error> m_data;
};

template<>
class [[nodiscard]] Result<void> final
{
public:
    Result() = default;
    Result(const Error &error)
        : m_error(error)
        , m_ok(false)
    {}
    Result(Error &&error)
        : m_error(std::move(error))
        , m_ok(false)
    {}

    bool ok() const { return m_ok; }
    explicit operator bool() const { return m_ok; }
    const Error &error() const
    {
        assert(!m_ok);
        return m_error;
    }

private:
    Error m_error;
    bool m_ok = true;
};

} // namespace kd::core::util
