#pragma once

#include <core/api/compactjson.h>
#include <core/client/discovery.h>
#include <core/client/resourceref.h>
#include <core/util/error.h>

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kd::lc::controllers {

// Small readers of ObjectMeta that every controller needs; they accept any JSON (a missing or
// mistyped field reads as absent). Pure functions; any thread.
bool isBeingDeleted(const nlohmann::json &object);
// The same for what informers cache.
bool isBeingDeleted(const core::api::CompactJson &object);
std::string metadataString(const core::api::CompactJson &object, const char *field);
bool hasFinalizer(const nlohmann::json &object, std::string_view finalizer);
std::string metadataString(const nlohmann::json &object, const char *field);
std::vector<std::string> finalizersOf(const nlohmann::json &object);
// metadata.finalizers without `finalizer`, for a patch that removes it.
std::vector<std::string> finalizersWithout(const nlohmann::json &object,
                                           std::string_view finalizer);

// The address of one object (or, with an empty name, the collection) of a discovered resource.
core::client::ResourceRef refFor(const core::client::DiscoveredResource &resource,
                                 const std::string &namespace_, const std::string &name = {});

bool isNotFound(const core::util::Error &error);

} // namespace kd::lc::controllers
