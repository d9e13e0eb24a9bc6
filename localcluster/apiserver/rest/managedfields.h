#pragma once

#include "fieldset.h"

#include <core/util/error.h>
#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kd::lc::apiserver {

struct ResourceInfo;

// One metadata.managedFields entry: who owns which fields, through which operation.
struct ManagedFieldsEntry
{
    std::string manager;
    std::string operation; // "Apply" or "Update"
    std::string apiVersion;
    std::string time; // RFC 3339; empty when upstream would leave it unset
    std::string subresource;
    FieldSet fields;

    // Upstream's manager identifier: manager, operation, subresource and, for Update only,
    // apiVersion. Entries with the same identity are one owner.
    bool sameOwner(const ManagedFieldsEntry &other) const;
};

// The managedFields bookkeeping kube-apiserver's field manager does on every write. Pure
// functions over JSON objects; any thread; nothing throws.
namespace managedfields {

// The manager of a write: ?fieldManager, or the User-Agent up to its first '/'. A fieldManager
// longer than 128 bytes or with non-printable characters fails as the 422 upstream gives for
// `optionsKind` ("CreateOptions", "UpdateOptions", "PatchOptions").
core::util::Result<std::string> managerFor(std::string_view fieldManager,
                                           std::string_view userAgent,
                                           const std::string &optionsKind);

// Decodes metadata.managedFields. Decode error for entries that are not objects, lack
// fieldsType or carry an unreadable fieldsV1. Later duplicates of an owner replace earlier ones.
core::util::Result<std::vector<ManagedFieldsEntry>> decode(const nlohmann::json &list);
// The entries in upstream's order (Apply before Update, then by time, manager, apiVersion,
// subresource); entries with no fields are left out.
nlohmann::json encode(std::vector<ManagedFieldsEntry> entries);
// Writes `entries` into object.metadata.managedFields (removes the field when none are left).
void store(nlohmann::json &object, std::vector<ManagedFieldsEntry> entries);

// How this resource's lists and maps merge: the built-in kinds' tags, or for custom resources
// the CRD schema's x-kubernetes-list-type / list-map-keys / map-type (crd::applySchema).
FieldSchema schemaFor(const ResourceInfo &resource);
// The object a create is compared with: upstream's zero value of the kind, whose non-pointer
// structs (spec, spec.template…) already exist.
nlohmann::json zeroObject(const ResourceInfo &resource);

// What a write to `subresource` is about: which fields (with everything below them) its
// managers never own — status on the main resource of kinds with a status subresource,
// everything but status on /status.
struct WriteScope
{
    std::string manager;
    std::string apiVersion;
    std::string subresource;
    std::string time;
    FieldSchema schema;
    std::vector<FieldSet::Path> ignored;
};
WriteScope scopeFor(const ResourceInfo &resource, const std::string &subresource,
                    std::string manager, std::string time);

// Fields no manager owns: apiVersion, kind and the server-owned metadata.
FieldSet strippedFields();
// `set` without the stripped fields and without the scope's ignored subtrees.
FieldSet owned(const FieldSet &set, const WriteScope &scope);

// The Update operation: `updated` (the object about to be stored) gets the managedFields of
// `live` (null for a create) with the fields this write changed given to the scope's manager
// and taken from everyone else. A managedFields the client sent along with a main-resource
// write is kept when it decodes (an empty list resets it), as kubectl's client-side to
// server-side apply migration relies on. Beyond 10 Update entries the oldest are folded into
// "ancient-changes" per apiVersion, as upstream caps them. Invalid (causes set) for an entry
// whose operation is neither Apply nor Update.
core::util::Result<void> recordUpdate(const nlohmann::json &live, nlohmann::json &updated,
                                      const WriteScope &scope);

} // namespace managedfields

} // namespace kd::lc::apiserver
