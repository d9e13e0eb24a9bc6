#pragma once

#include "apiserver_p.h"

#include <core/api/fieldselector.h>
#include <core/api/labelselector.h>

#include <optional>
#include <string>
#include <vector>

namespace kd::lc::apiserver {

// The label and field selectors of a list, watch or deletecollection, validated against the
// resource's field labels. Immutable value; any thread.
struct Selection
{
    core::api::LabelSelector labels;
    core::api::FieldSelector fields;

    bool empty() const { return labels.empty() && fields.empty(); }
    // `object` is the whole object or its storage::StoredObject::selectable() summary, which
    // holds every field a selector reads.
    bool matches(const ResourceInfo &resource, const nlohmann::json &object) const;

    // From ?labelSelector and ?fieldSelector; BadRequest for unparsable selectors and
    // "field label not supported: X" for fields the resource does not index. A non-empty
    // `name` (a watch on one object's path) adds metadata.name=name.
    static core::util::Result<Selection> fromRequest(const Call &call, const std::string &name);
};

// One page of a LIST as the request's limit, continue, resourceVersion and
// resourceVersionMatch parameters select it, filtered by `selection`.
struct ListOutcome
{
    std::vector<storage::ObjectRef> items;
    storage::Revision revision = 0;
    std::string continueToken;
    std::optional<std::size_t> remainingItemCount; // only without selectors, as upstream
};

// Reads the list parameters from the call (limit and continue only when `paginate`). Errors:
// BadRequest for malformed parameters, Gone (410) for an expired continue token or an Exact
// revision that is no longer held, Timeout for a revision from the future.
core::util::Result<ListOutcome> collectList(storage::Store &store, const Call &call,
                                            const Selection &selection, bool paginate);

} // namespace kd::lc::apiserver
