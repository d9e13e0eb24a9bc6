#include "request.h"

#include <strings.h>

namespace kd::lc::server {

std::optional<std::string_view> Request::header(std::string_view name) const
{
    for (const Header &h : headers) {
        if (h.name.size() == name.size()
            && ::strncasecmp(h.name.data(), name.data(), name.size()) == 0)
            return std::string_view(h.value);
    }
    return std::nullopt;
}

std::optional<std::string_view> Request::queryValue(std::string_view name) const
{
    for (const auto &[key, value] : query) {
        if (key == name)
            return std::string_view(value);
    }
    return std::nullopt;
}

} // namespace kd::lc::server
