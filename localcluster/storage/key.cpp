#include "key.h"

namespace kd::lc::storage {

std::string GroupResource::toString() const
{
    return group.empty() ? resource : resource + "." + group;
}

} // namespace kd::lc::storage
