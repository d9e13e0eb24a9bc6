#pragma once

#include <core/util/result.h>
#include <core/util/time.h>

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kd::lc::apiserver {

struct ResourceInfo;

// What a Table row carries besides its cells (the includeObject query parameter).
enum class IncludeObject { None, Metadata, Object };

struct TableOptions
{
    IncludeObject includeObject = IncludeObject::Metadata;
    core::util::TimePoint now;   // ages are computed against this instant
    std::string resourceVersion; // copied into the Table's list metadata when set
    std::string continueToken;
};

// One meta.k8s.io/v1 TableColumnDefinition.
struct TableColumn
{
    std::string name;   // as the server sends it: "Nominated Node"
    std::string type;   // string, integer, number, boolean, date
    std::string format; // "name" for the column that names the object
    std::string description;
    int priority = 0; // 1 = only with -o wide

    bool operator==(const TableColumn &) const = default;
};

// "None", "Metadata" or "Object"; an empty value means Metadata. Other values are BadRequest.
core::util::Result<IncludeObject> parseIncludeObject(std::string_view value);

// The columns a server-side Table of this resource has: upstream's printer columns for built-in
// kinds, Name + additionalPrinterColumns (or Age) for custom resources, and Name + Created At for
// resources upstream prints no columns for.
std::vector<TableColumn> tableColumns(const ResourceInfo &resource);

// Converts objects of one resource into a meta.k8s.io/v1 Table: one row per object with cells
// typed as upstream types them, the object as PartialObjectMetadata, in full or absent, and row
// conditions (Completed) for finished pods. An element that is not a JSON object fails the whole
// call with Decode; missing or mistyped fields print as upstream prints absent fields.
// Pure function; any thread.
core::util::Result<nlohmann::json> makeTable(const ResourceInfo &resource,
                                             const std::vector<nlohmann::json> &objects,
                                             const TableOptions &options);

// The same Table as makeTable(resource, parsed objects, options) serialized with dump(), built
// from the objects' compact JSON text as nlohmann's dump() writes it (what a StoredObject holds).
// A LIST of thousands of objects is where parsing and re-serializing cost: rows copy the
// object's metadata (or the whole object) as text, and built-in printers parse each object
// without metadata.managedFields, which no printer reads. A text that is not a JSON object fails
// the whole call with Decode. Pure function; any thread.
core::util::Result<std::string> makeTableText(const ResourceInfo &resource,
                                              const std::vector<std::string_view> &objects,
                                              const TableOptions &options);

} // namespace kd::lc::apiserver
