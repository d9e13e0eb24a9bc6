#include "resourceref.h"

namespace kd::core::client {

std::string percentEncode(std::string_view text)
{
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
            || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string ResourceRef::path() const
{
    std::string out
        = gvr.group.empty() ? "/api/" + gvr.version : "/apis/" + gvr.group + '/' + gvr.version;
    if (namespaced && !namespace_.empty())
        out += "/namespaces/" + percentEncode(namespace_);
    out += '/' + gvr.resource;
    if (!name.empty()) {
        out += '/' + percentEncode(name);
        if (!subresource.empty())
            out += '/' + subresource;
    }
    return out;
}

ResourceRef ResourceRef::collection() const
{
    ResourceRef ref = *this;
    ref.name.clear();
    ref.subresource.clear();
    return ref;
}

} // namespace kd::core::client
