#include "table.h"

#include "printers.h"
#include "resourcecatalog.h"

#include <core/util/error.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <set>

namespace kd::lc::apiserver {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

namespace printers {

namespace {
const json kNull;
const json kEmptyArray = json::array();
} // namespace

TableColumn nameColumn()
{
    return {"Name", "string", "name", "Name of the object, unique within its namespace or cluster.",
            0};
}

TableColumn ageColumn()
{
    return {"Age", "string", "", "Time since the object was created (creationTimestamp).", 0};
}

TableColumn column(std::string name, std::string type, std::string description, int priority)
{
    return {std::move(name), std::move(type), "", std::move(description), priority};
}

const json &at(const json &object, std::initializer_list<std::string_view> path)
{
    const json *cur = &object;
    for (std::string_view key : path) {
        if (!cur->is_object())
            return kNull;
        auto it = cur->find(key);
        if (it == cur->end())
            return kNull;
        cur = &*it;
    }
    return *cur;
}

std::string text(const json &object, std::initializer_list<std::string_view> path)
{
    const json &v = at(object, path);
    return v.is_string() ? v.get<std::string>() : std::string();
}

std::int64_t integer(const json &object, std::initializer_list<std::string_view> path,
                     std::int64_t fallback)
{
    const json &v = at(object, path);
    if (v.is_number_integer())
        return v.get<std::int64_t>();
    if (v.is_number_float())
        return static_cast<std::int64_t>(v.get<double>());
    return fallback;
}

bool boolean(const json &object, std::initializer_list<std::string_view> path)
{
    const json &v = at(object, path);
    return v.is_boolean() && v.get<bool>();
}

std::size_t count(const json &object, std::initializer_list<std::string_view> path)
{
    const json &v = at(object, path);
    return v.is_object() || v.is_array() ? v.size() : 0;
}

const json &items(const json &object, std::initializer_list<std::string_view> path)
{
    const json &v = at(object, path);
    return v.is_array() ? v : kEmptyArray;
}

std::string since(const json &timestamp, core::util::TimePoint now)
{
    if (!timestamp.is_string() || timestamp.get_ref<const std::string &>().empty())
        return "<unknown>";
    auto t = core::util::parseRfc3339(timestamp.get_ref<const std::string &>());
    if (!t)
        return "<unknown>";
    return core::util::humanDuration(now - t.value());
}

std::string age(const json &object, core::util::TimePoint now)
{
    return since(at(object, {"metadata", "creationTimestamp"}), now);
}

std::string join(const std::vector<std::string> &parts, std::string_view separator)
{
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i > 0)
            out += separator;
        out += parts[i];
    }
    return out;
}

std::string formatLabels(const json &labels)
{
    if (!labels.is_object() || labels.empty())
        return "<none>";
    std::vector<std::string> parts;
    for (auto it = labels.begin(); it != labels.end(); ++it) // nlohmann keeps keys sorted
        parts.push_back(it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump()));
    return join(parts, ",");
}

std::string formatLabelSelector(const json &selector, bool noneIfEmpty)
{
    // Requirements sorted by key, as labels.Selector.String() prints them.
    std::multimap<std::string, std::string> requirements;
    if (selector.is_object()) {
        const json &match = at(selector, {"matchLabels"});
        if (match.is_object())
            for (auto it = match.begin(); it != match.end(); ++it)
                requirements.emplace(it.key(),
                                     it.key() + "="
                                         + (it->is_string() ? it->get<std::string>() : it->dump()));
        for (const json &e : items(selector, {"matchExpressions"})) {
            const std::string key = text(e, {"key"});
            const std::string op = text(e, {"operator"});
            std::set<std::string> values;
            for (const json &v : items(e, {"values"}))
                if (v.is_string())
                    values.insert(v.get<std::string>());
            const std::string set
                = "(" + join(std::vector<std::string>(values.begin(), values.end()), ",") + ")";
            if (op == "In")
                requirements.emplace(key, key + " in " + set);
            else if (op == "NotIn")
                requirements.emplace(key, key + " notin " + set);
            else if (op == "Exists")
                requirements.emplace(key, key);
            else if (op == "DoesNotExist")
                requirements.emplace(key, "!" + key);
            else
                return "<error>";
        }
    }
    std::vector<std::string> parts;
    for (const auto &[key, text] : requirements)
        parts.push_back(text);
    if (parts.empty())
        return noneIfEmpty ? "<none>" : "";
    return join(parts, ",");
}

static std::string containerField(const json &podSpec, const char *field)
{
    std::vector<std::string> parts;
    for (const json &c : items(podSpec, {"containers"}))
        parts.push_back(text(c, {field}));
    return join(parts, ",");
}

std::string containerNames(const json &podSpec)
{
    return containerField(podSpec, "name");
}

std::string containerImages(const json &podSpec)
{
    return containerField(podSpec, "image");
}

std::vector<std::string> loadBalancerAddresses(const json &ingress)
{
    std::set<std::string> result;
    for (const json &i : items(ingress, {})) {
        if (!text(i, {"ip"}).empty())
            result.insert(text(i, {"ip"}));
        else if (!text(i, {"hostname"}).empty())
            result.insert(text(i, {"hostname"}));
    }
    return {result.begin(), result.end()};
}

std::string intOrString(const json &value)
{
    if (value.is_string())
        return value.get<std::string>();
    if (value.is_number_integer())
        return std::to_string(value.get<std::int64_t>());
    return {};
}

} // namespace printers

namespace {

const std::vector<printers::Printer> &allPrinters()
{
    static const std::vector<printers::Printer> list = [] {
        std::vector<printers::Printer> out;
        printers::addCorePrinters(out);
        printers::addWorkloadPrinters(out);
        printers::addOtherPrinters(out);
        return out;
    }();
    return list;
}

const printers::Printer *findPrinter(const ResourceInfo &resource)
{
    if (resource.custom)
        return nullptr;
    for (const auto &p : allPrinters())
        if (p.group == resource.group && p.resource == resource.resource)
            return &p;
    return nullptr;
}

// The printer columns of a custom resource version: upstream shows Age alone when a CRD
// declares none.
std::vector<PrinterColumn> customColumns(const ResourceInfo &resource)
{
    if (!resource.printerColumns.empty())
        return resource.printerColumns;
    return {{"Age", "date", "", "Time since the object was created (creationTimestamp).", 0,
             ".metadata.creationTimestamp"}};
}

// Evaluates the simple JSONPath subset CRDs use in practice: ".a.b", ".a[0].b", ".a['x.y']",
// optionally wrapped in {…}. Returns nullptr when the path does not resolve.
const json *evaluatePath(const json &object, std::string_view path)
{
    if (path.size() >= 2 && path.front() == '{' && path.back() == '}')
        path = path.substr(1, path.size() - 2);
    if (!path.empty() && path.front() == '$')
        path.remove_prefix(1);
    const json *cur = &object;
    size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '.') {
            ++i;
            size_t end = i;
            while (end < path.size() && path[end] != '.' && path[end] != '[')
                ++end;
            const std::string key(path.substr(i, end - i));
            if (key.empty())
                return nullptr;
            if (!cur->is_object())
                return nullptr;
            auto it = cur->find(key);
            if (it == cur->end())
                return nullptr;
            cur = &*it;
            i = end;
        } else if (path[i] == '[') {
            const size_t close = path.find(']', i);
            if (close == std::string_view::npos)
                return nullptr;
            std::string_view inner = path.substr(i + 1, close - i - 1);
            i = close + 1;
            if (inner.size() >= 2 && (inner.front() == '\'' || inner.front() == '"')
                && inner.back() == inner.front()) {
                const std::string key(inner.substr(1, inner.size() - 2));
                if (!cur->is_object() || !cur->contains(key))
                    return nullptr;
                cur = &(*cur)[key];
                continue;
            }
            if (inner.empty() || !cur->is_array())
                return nullptr;
            long index = 0;
            bool negative = false;
            size_t k = 0;
            if (inner[0] == '-') {
                negative = true;
                k = 1;
            }
            if (k == inner.size())
                return nullptr;
            for (; k < inner.size(); ++k) {
                if (!std::isdigit(static_cast<unsigned char>(inner[k])))
                    return nullptr;
                index = index * 10 + (inner[k] - '0');
            }
            const long size = static_cast<long>(cur->size());
            if (negative)
                index = size - index;
            if (index < 0 || index >= size)
                return nullptr;
            cur = &(*cur)[static_cast<size_t>(index)];
        } else {
            return nullptr;
        }
    }
    return cur;
}

json customCell(const PrinterColumn &column, const json &object, core::util::TimePoint now)
{
    const json *value = evaluatePath(object, column.jsonPath);
    if (!value || value->is_null())
        return nullptr;
    const json &v = *value;
    if (column.type == "integer") {
        if (v.is_number_integer())
            return v.get<std::int64_t>();
        if (v.is_number_float())
            return static_cast<std::int64_t>(v.get<double>());
        return nullptr;
    }
    if (column.type == "number") {
        if (v.is_number())
            return v.get<double>();
        return nullptr;
    }
    if (column.type == "boolean")
        return v.is_boolean() ? json(v.get<bool>()) : json(nullptr);
    if (column.type == "date") {
        if (!v.is_string())
            return nullptr;
        auto t = core::util::parseRfc3339(v.get_ref<const std::string &>());
        if (!t)
            return "<invalid>";
        return core::util::humanDuration(now - t.value());
    }
    // "string" prints whatever is there the way JSONPath printing would.
    if (v.is_string())
        return v.get<std::string>();
    return v.dump();
}

} // namespace

Result<IncludeObject> parseIncludeObject(std::string_view value)
{
    if (value.empty() || value == "Metadata")
        return IncludeObject::Metadata;
    if (value == "None")
        return IncludeObject::None;
    if (value == "Object")
        return IncludeObject::Object;
    return Error(Error::Code::BadRequest, 400, "BadRequest",
                 "includeObject must be one of None, Metadata or Object, not \""
                     + std::string(value) + "\"");
}

std::vector<TableColumn> tableColumns(const ResourceInfo &resource)
{
    if (resource.custom) {
        std::vector<TableColumn> out{printers::nameColumn()};
        for (const PrinterColumn &c : customColumns(resource))
            out.push_back({c.name, c.type, c.format, c.description, c.priority});
        return out;
    }
    if (const printers::Printer *p = findPrinter(resource))
        return p->columns;
    return {printers::nameColumn(),
            {"Created At", "date", "", "Time the object was created (creationTimestamp).", 0}};
}

namespace {

// What every row of one resource's Table is printed with.
struct TableLayout
{
    const printers::Printer *printer = nullptr;
    std::vector<PrinterColumn> custom;
    json columns = json::array();
};

TableLayout tableLayout(const ResourceInfo &resource)
{
    TableLayout layout;
    layout.printer = findPrinter(resource);
    if (resource.custom)
        layout.custom = customColumns(resource);
    for (const TableColumn &c : tableColumns(resource))
        layout.columns.push_back({{"name", c.name},
                                  {"type", c.type},
                                  {"format", c.format},
                                  {"description", c.description},
                                  {"priority", c.priority}});
    return layout;
}

Error notAnObject(const ResourceInfo &resource, std::size_t index)
{
    return Error(Error::Code::Decode, "table row " + std::to_string(index) + " of "
                                          + resource.resource + " is not a JSON object");
}

// One object's cells and row conditions.
Result<printers::Row> printRow(const ResourceInfo &resource, const TableLayout &layout,
                               const json &object, std::size_t index, core::util::TimePoint now)
{
    if (!object.is_object())
        return notAnObject(resource, index);
    printers::Row row;
    if (layout.printer) {
        layout.printer->print(object, now, row);
    } else if (resource.custom) {
        row.cells.push_back(printers::text(object, {"metadata", "name"}));
        for (const PrinterColumn &c : layout.custom)
            row.cells.push_back(customCell(c, object, now));
    } else {
        row.cells.push_back(printers::text(object, {"metadata", "name"}));
        // Upstream's default convertor prints the timestamp itself, normalised to UTC.
        const std::string created = printers::text(object, {"metadata", "creationTimestamp"});
        auto t = core::util::parseRfc3339(created);
        row.cells.push_back(t ? core::util::formatRfc3339(t.value()) : created);
    }
    if (row.cells.size() != layout.columns.size())
        return Error(Error::Code::Internal, "printer for " + resource.resource + " produced "
                                                + std::to_string(row.cells.size()) + " cells for "
                                                + std::to_string(layout.columns.size())
                                                + " columns");
    return row;
}

json tableMetadata(const TableOptions &options)
{
    json metadata = json::object();
    if (!options.resourceVersion.empty())
        metadata["resourceVersion"] = options.resourceVersion;
    if (!options.continueToken.empty())
        metadata["continue"] = options.continueToken;
    return metadata;
}

std::string dumpJson(const json &value)
{
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// A minimal scanner over JSON text, enough to find a member's bytes without building a tree.
// Positions are offsets into the text; npos means the text ended early or is not JSON there.
constexpr std::size_t kNpos = std::string_view::npos;

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::size_t skipSpace(std::string_view text, std::size_t pos)
{
    while (pos < text.size() && isSpace(text[pos]))
        ++pos;
    return pos;
}

// From an opening quote to just past the closing one.
std::size_t skipString(std::string_view text, std::size_t pos)
{
    for (++pos; pos < text.size(); ++pos) {
        if (text[pos] == '\\')
            ++pos;
        else if (text[pos] == '"')
            return pos + 1;
    }
    return kNpos;
}

// From the first byte of a value to just past it; brackets must pair up.
std::size_t skipValue(std::string_view text, std::size_t pos)
{
    if (pos >= text.size())
        return kNpos;
    if (text[pos] == '"')
        return skipString(text, pos);
    if (text[pos] == '{' || text[pos] == '[') {
        std::string open;
        while (pos < text.size()) {
            const char c = text[pos];
            if (c == '"') {
                pos = skipString(text, pos);
                if (pos == kNpos)
                    return kNpos;
                continue;
            }
            if (c == '{' || c == '[') {
                open.push_back(c);
            } else if (c == '}' || c == ']') {
                if (open.empty() || open.back() != (c == '}' ? '{' : '['))
                    return kNpos;
                open.pop_back();
                if (open.empty())
                    return pos + 1;
            }
            ++pos;
        }
        return kNpos;
    }
    while (pos < text.size() && text[pos] != ',' && text[pos] != '}' && text[pos] != ']'
           && !isSpace(text[pos]))
        ++pos;
    return pos;
}

// Where a member of the object opening at `objectBegin` lies: its key's quote, its value's first
// byte and the end of the value. Keys are compared as written (dump() escapes no letters).
struct MemberSpan
{
    std::size_t begin = 0;
    std::size_t valueBegin = 0;
    std::size_t end = 0;
};

std::optional<MemberSpan> findMember(std::string_view text, std::size_t objectBegin,
                                     std::string_view key)
{
    std::size_t pos = skipSpace(text, objectBegin + 1);
    while (pos < text.size() && text[pos] == '"') {
        const std::size_t keyEnd = skipString(text, pos);
        if (keyEnd == kNpos)
            return std::nullopt;
        std::size_t value = skipSpace(text, keyEnd);
        if (value >= text.size() || text[value] != ':')
            return std::nullopt;
        value = skipSpace(text, value + 1);
        const std::size_t end = skipValue(text, value);
        if (end == kNpos)
            return std::nullopt;
        if (text.substr(pos + 1, keyEnd - pos - 2) == key)
            return MemberSpan{pos, value, end};
        pos = skipSpace(text, end);
        if (pos >= text.size() || text[pos] != ',')
            return std::nullopt;
        pos = skipSpace(text, pos + 1);
    }
    return std::nullopt;
}

// `text` without the member at `member` and the comma that separated it from a neighbour.
std::string withoutMember(std::string_view text, const MemberSpan &member)
{
    std::size_t cutBegin = member.begin;
    std::size_t cutEnd = member.end;
    const std::size_t after = skipSpace(text, member.end);
    if (after < text.size() && text[after] == ',') {
        cutEnd = after + 1;
    } else {
        std::size_t before = member.begin;
        while (before > 0 && isSpace(text[before - 1]))
            --before;
        if (before > 0 && text[before - 1] == ',')
            cutBegin = before - 1;
    }
    std::string out;
    out.reserve(text.size() - (cutEnd - cutBegin));
    out.append(text.substr(0, cutBegin));
    out.append(text.substr(cutEnd));
    return out;
}

} // namespace

Result<json> makeTable(const ResourceInfo &resource, const std::vector<json> &objects,
                       const TableOptions &options)
{
    TableLayout layout = tableLayout(resource);
    json rows = json::array();
    for (size_t i = 0; i < objects.size(); ++i) {
        const json &object = objects[i];
        auto row = printRow(resource, layout, object, i, options.now);
        if (!row)
            return row.error();
        json jrow = {{"cells", std::move(row->cells)}};
        if (!row->conditions.is_null())
            jrow["conditions"] = std::move(row->conditions);
        switch (options.includeObject) {
        case IncludeObject::None:
            break;
        case IncludeObject::Metadata: {
            const json &metadata = printers::at(object, {"metadata"});
            jrow["object"] = {{"kind", "PartialObjectMetadata"},
                              {"apiVersion", "meta.k8s.io/v1"},
                              {"metadata", metadata.is_object() ? metadata : json::object()}};
            break;
        }
        case IncludeObject::Object:
            jrow["object"] = object;
            break;
        }
        rows.push_back(std::move(jrow));
    }
    return json{{"kind", "Table"},
                {"apiVersion", "meta.k8s.io/v1"},
                {"metadata", tableMetadata(options)},
                {"columnDefinitions", std::move(layout.columns)},
                {"rows", std::move(rows)}};
}

Result<std::string> makeTableText(const ResourceInfo &resource,
                                  const std::vector<std::string_view> &objects,
                                  const TableOptions &options)
{
    const TableLayout layout = tableLayout(resource);
    std::size_t estimate = 512;
    for (std::string_view text : objects)
        estimate += 160 + (options.includeObject == IncludeObject::None ? 0 : text.size());
    std::string out;
    out.reserve(estimate);
    // Members in the order dump() writes them: nlohmann objects keep their keys sorted.
    out += "{\"apiVersion\":\"meta.k8s.io/v1\",\"columnDefinitions\":";
    out += dumpJson(layout.columns);
    out += ",\"kind\":\"Table\",\"metadata\":";
    out += dumpJson(tableMetadata(options));
    out += ",\"rows\":[";
    std::string reduced;
    for (std::size_t i = 0; i < objects.size(); ++i) {
        std::string_view text = objects[i];
        const std::size_t begin = skipSpace(text, 0);
        if (begin >= text.size() || text[begin] != '{')
            return notAnObject(resource, i);
        const std::size_t end = skipValue(text, begin);
        if (end == kNpos || skipSpace(text, end) != text.size())
            return Error(Error::Code::Decode, "table row " + std::to_string(i) + " of "
                                                  + resource.resource + " is not valid JSON");
        text = text.substr(begin, end - begin);
        const auto metadata = findMember(text, 0, "metadata");
        const bool metadataIsObject = metadata && text[metadata->valueBegin] == '{';

        // managedFields are often the largest part of metadata; only a custom resource's
        // JSONPath columns could name them.
        std::string_view parseText = text;
        if (!resource.custom && metadataIsObject) {
            if (auto fields = findMember(text, metadata->valueBegin, "managedFields")) {
                reduced = withoutMember(text, *fields);
                parseText = reduced;
            }
        }
        const json object = json::parse(parseText.begin(), parseText.end(), nullptr, false);
        if (object.is_discarded())
            return Error(Error::Code::Decode, "table row " + std::to_string(i) + " of "
                                                  + resource.resource + " is not valid JSON");
        auto row = printRow(resource, layout, object, i, options.now);
        if (!row)
            return row.error();

        if (i > 0)
            out += ',';
        out += "{\"cells\":";
        out += dumpJson(row->cells);
        if (!row->conditions.is_null()) {
            out += ",\"conditions\":";
            out += dumpJson(row->conditions);
        }
        switch (options.includeObject) {
        case IncludeObject::None:
            break;
        case IncludeObject::Metadata:
            out += ",\"object\":{\"apiVersion\":\"meta.k8s.io/v1\",\"kind\":"
                   "\"PartialObjectMetadata\",\"metadata\":";
            if (metadataIsObject)
                out += text.substr(metadata->valueBegin, metadata->end - metadata->valueBegin);
            else
                out += "{}";
            out += '}';
            break;
        case IncludeObject::Object:
            out += ",\"object\":";
            out += text;
            break;
        }
        out += '}';
    }
    out += "]}";
    return out;
}

} // namespace kd::lc::apiserver
