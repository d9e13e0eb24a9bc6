#include "jsonpatch.h"

#include <nlohmann/json.hpp>

#include <charconv>

namespace kd::lc::apiserver {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

namespace {

Error badRequest(std::string message)
{
    return Error(Error::Code::BadRequest, std::move(message));
}

// kube-apiserver reports operations that do not apply as 422 with the patch library's text.
Error notApplicable(std::string message)
{
    return Error(Error::Code::Invalid, std::move(message));
}

// An array index token: digits only, no leading zeros (RFC 6901), or "-" when allowed.
bool parseIndex(const std::string &token, std::size_t &index)
{
    if (token.empty() || (token.size() > 1 && token[0] == '0'))
        return false;
    const char *end = token.data() + token.size();
    auto [ptr, ec] = std::from_chars(token.data(), end, index);
    return ec == std::errc() && ptr == end;
}

// The value at `tokens`, or null when any step is missing.
json *find(json &document, const std::vector<std::string> &tokens)
{
    json *current = &document;
    for (const std::string &token : tokens) {
        if (current->is_object()) {
            auto it = current->find(token);
            if (it == current->end())
                return nullptr;
            current = &*it;
        } else if (current->is_array()) {
            std::size_t index = 0;
            if (!parseIndex(token, index) || index >= current->size())
                return nullptr;
            current = &(*current)[index];
        } else {
            return nullptr;
        }
    }
    return current;
}

std::vector<std::string> parentOf(const std::vector<std::string> &tokens)
{
    return {tokens.begin(), tokens.end() - 1};
}

Result<void> addValue(json &document, const std::vector<std::string> &tokens, json value,
                      const std::string &op, const std::string &path)
{
    if (tokens.empty()) {
        document = std::move(value);
        return {};
    }
    json *parent = find(document, parentOf(tokens));
    const std::string &last = tokens.back();
    if (!parent || !(parent->is_object() || parent->is_array()))
        return notApplicable(op + " operation does not apply: doc is missing path: \"" + path
                             + "\": missing value");
    if (parent->is_object()) {
        (*parent)[last] = std::move(value);
        return {};
    }
    if (last == "-") {
        parent->push_back(std::move(value));
        return {};
    }
    std::size_t index = 0;
    if (!parseIndex(last, index) || index > parent->size())
        return notApplicable(op + " operation does not apply: index out of bounds: \"" + path
                             + "\"");
    parent->insert(parent->begin() + static_cast<std::ptrdiff_t>(index), std::move(value));
    return {};
}

Result<json> removeValue(json &document, const std::vector<std::string> &tokens,
                         const std::string &op, const std::string &path)
{
    const Error missing = notApplicable(op + " operation does not apply: doc is missing path: \""
                                        + path + "\": missing value");
    if (tokens.empty())
        return missing;
    json *parent = find(document, parentOf(tokens));
    if (!parent)
        return missing;
    const std::string &last = tokens.back();
    if (parent->is_object()) {
        auto it = parent->find(last);
        if (it == parent->end())
            return missing;
        json removed = std::move(*it);
        parent->erase(it);
        return removed;
    }
    std::size_t index = 0;
    if (!parent->is_array() || !parseIndex(last, index) || index >= parent->size())
        return missing;
    json removed = std::move((*parent)[index]);
    parent->erase(parent->begin() + static_cast<std::ptrdiff_t>(index));
    return removed;
}

Result<std::string> stringMember(const json &operation, const char *name)
{
    auto it = operation.find(name);
    if (it == operation.end() || !it->is_string())
        return badRequest(std::string("invalid JSON patch: operation is missing \"") + name
                          + "\": " + operation.dump());
    return it->get<std::string>();
}

Result<void> applyOperation(json &document, const json &operation)
{
    if (!operation.is_object())
        return badRequest("invalid JSON patch: operation is not an object: " + operation.dump());
    auto op = stringMember(operation, "op");
    if (!op)
        return op.error();
    auto path = stringMember(operation, "path");
    if (!path)
        return path.error();
    auto tokens = parseJsonPointer(*path);
    if (!tokens)
        return tokens.error();

    const std::string &name = *op;
    const auto valueIt = operation.find("value");
    if ((name == "add" || name == "replace" || name == "test") && valueIt == operation.end())
        return badRequest("invalid JSON patch: " + name + " operation is missing \"value\"");

    if (name == "add")
        return addValue(document, *tokens, *valueIt, name, *path);
    if (name == "remove") {
        auto removed = removeValue(document, *tokens, name, *path);
        if (!removed)
            return removed.error();
        return {};
    }
    if (name == "replace") {
        json *target = find(document, *tokens);
        if (!target)
            return notApplicable("replace operation does not apply: doc is missing key: " + *path
                                 + ": missing value");
        *target = *valueIt;
        return {};
    }
    if (name == "test") {
        json *target = find(document, *tokens);
        const json actual = target ? *target : json();
        if (actual != *valueIt)
            return notApplicable("testing value " + *path + " failed: test failed");
        return {};
    }
    if (name == "move" || name == "copy") {
        auto from = stringMember(operation, "from");
        if (!from)
            return from.error();
        auto fromTokens = parseJsonPointer(*from);
        if (!fromTokens)
            return fromTokens.error();
        if (name == "move" && fromTokens->size() < tokens->size()
            && std::equal(fromTokens->begin(), fromTokens->end(), tokens->begin()))
            return notApplicable("move operation does not apply: cannot move \"" + *from
                                 + "\" into its own child \"" + *path + "\"");
        json value;
        if (name == "move") {
            auto removed = removeValue(document, *fromTokens, name, *from);
            if (!removed)
                return removed.error();
            value = std::move(*removed);
        } else {
            json *source = find(document, *fromTokens);
            if (!source)
                return notApplicable("copy operation does not apply: doc is missing from path: \""
                                     + *from + "\": missing value");
            value = *source;
        }
        return addValue(document, *tokens, std::move(value), name, *path);
    }
    return badRequest("invalid JSON patch: unexpected kind: " + name);
}

} // namespace

Result<std::vector<std::string>> parseJsonPointer(std::string_view pointer)
{
    std::vector<std::string> tokens;
    if (pointer.empty())
        return tokens;
    if (pointer.front() != '/')
        return badRequest("invalid JSON pointer \"" + std::string(pointer)
                          + "\": must be empty or start with \"/\"");
    std::size_t start = 1;
    while (true) {
        const std::size_t slash = pointer.find('/', start);
        const std::string_view raw = pointer.substr(
            start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        std::string token;
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] != '~') {
                token += raw[i];
                continue;
            }
            if (i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
                token += raw[i + 1] == '0' ? '~' : '/';
                ++i;
                continue;
            }
            return badRequest("invalid JSON pointer \"" + std::string(pointer)
                              + "\": \"~\" must be followed by 0 or 1");
        }
        tokens.push_back(std::move(token));
        if (slash == std::string_view::npos)
            break;
        start = slash + 1;
    }
    return tokens;
}

Result<json> applyJsonPatch(const json &document, const json &patch)
{
    if (!patch.is_array())
        return badRequest("invalid JSON patch: the patch must be a JSON array of operations");
    json result = document;
    for (const json &operation : patch) {
        if (auto applied = applyOperation(result, operation); !applied)
            return applied.error();
    }
    return result;
}

} // namespace kd::lc::apiserver
