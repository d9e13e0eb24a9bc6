#pragma once

#include <localcluster/apiserver/rest/fieldset.h>

namespace kd::lc::apiserver {
struct ResourceInfo;
} // namespace kd::lc::apiserver

// How server-side apply merges the lists and maps of a custom resource, read from the CRD
// version's structural schema as upstream derives its typed schema: x-kubernetes-list-type
// set/map (with x-kubernetes-list-map-keys) make lists granular, any other list is atomic;
// x-kubernetes-map-type atomic makes an object owned whole. metadata lists are ObjectMeta's.
// Pure; any thread; never throws.
namespace kd::lc::apiserver::crd {

FieldSchema applySchema(const ResourceInfo &resource);

} // namespace kd::lc::apiserver::crd
