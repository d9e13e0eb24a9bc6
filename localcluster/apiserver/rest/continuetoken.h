#pragma once

#include <localcluster/storage/key.h>
#include <localcluster/storage/storedobject.h>

#include <core/util/result.h>

#include <string>
#include <string_view>

namespace kd::lc::apiserver {

// The opaque `continue` token of a paginated LIST. Like upstream's, it is base64 (URL-safe,
// unpadded) of {"v":"meta.k8s.io/v1","rv":<list revision>,"start":"<ns>/<name>\u0000"}: the
// revision the whole list is served at and the key the next page starts after.
// Pure functions; any thread.
struct ContinueToken
{
    storage::Revision revision = 0;
    storage::ObjectName after;

    std::string encode() const;
    // BadRequest ("continue key is not valid: …") for anything that is not such a token.
    static core::util::Result<ContinueToken> decode(std::string_view token);
};

} // namespace kd::lc::apiserver
