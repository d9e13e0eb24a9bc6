#include "openapi.h"

#include <localcluster/apiserver/resourcecatalog.h>
#include <localcluster/apiserver/schema/openapischema.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace kd::lc::apiserver::openapi {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

namespace {

// FNV-1a: only needs to change when the document does, so clients refetch it.
std::string documentHash(const std::string &text)
{
    std::uint64_t hash = 1469598103934665603ULL;
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 1099511628211ULL;
    }
    char out[17];
    std::snprintf(out, sizeof out, "%016llX", static_cast<unsigned long long>(hash));
    return out;
}

std::string prefixOf(std::string_view group, std::string_view version)
{
    return group.empty() ? "api/" + std::string(version)
                         : "apis/" + std::string(group) + "/" + std::string(version);
}

// The field numbers of gnostic's openapi.v2 messages that the documents use, from
// github.com/google/gnostic openapiv2/OpenAPIv2.proto (package openapi.v2).
namespace pb {
enum Document { DocSwagger = 1, DocInfo = 2, DocPaths = 8, DocDefinitions = 9, DocVendor = 16 };
enum Info { InfoTitle = 1, InfoVersion = 2, InfoDescription = 3 };
enum Any { AnyYaml = 2 };
enum NamedEntry { EntryName = 1, EntryValue = 2 }; // NamedAny, NamedSchema, NamedPathItem, ...
enum Paths { PathsVendor = 1, PathsPath = 2 };
enum PathItem { ItemRef = 1, ItemParameters = 9, ItemVendor = 10 }; // get 2 … patch 8 below
enum Operation {
    OpTags = 1,
    OpSummary = 2,
    OpDescription = 3,
    OpId = 5,
    OpProduces = 6,
    OpConsumes = 7,
    OpParameters = 8,
    OpResponses = 9,
    OpSchemes = 10,
    OpDeprecated = 11,
    OpVendor = 13
};
enum ParametersItem { ParamParameter = 1, ParamJsonReference = 2 };
enum Parameter { ParamBody = 1, ParamNonBody = 2 };
enum JsonReference { RefRef = 1, RefDescription = 2 };
enum BodyParameter {
    BodyDescription = 1,
    BodyName = 2,
    BodyIn = 3,
    BodyRequired = 4,
    BodySchema = 5
};
// NonBodyParameter's oneof; the query sub-schema has allow_empty_value at 5, so its later fields
// sit one number higher than the header and path sub-schemas'.
enum NonBodyParameter { NonBodyHeader = 1, NonBodyQuery = 3, NonBodyPath = 4 };
enum SubSchema { SubRequired = 1, SubIn = 2, SubDescription = 3, SubName = 4 };
enum Responses { ResponsesCode = 1 };
enum ResponseValue { ResponseValueResponse = 1 };
enum Response { ResponseDescription = 1, ResponseSchema = 2 };
enum SchemaItem { SchemaItemSchema = 1 };
enum Schema {
    SchemaRef = 1,
    SchemaFormat = 2,
    SchemaTitle = 3,
    SchemaDescription = 4,
    SchemaDefault = 5,
    SchemaMultipleOf = 6,
    SchemaMaximum = 7,
    SchemaExclusiveMaximum = 8,
    SchemaMinimum = 9,
    SchemaExclusiveMinimum = 10,
    SchemaMaxLength = 11,
    SchemaMinLength = 12,
    SchemaPattern = 13,
    SchemaMaxItems = 14,
    SchemaMinItems = 15,
    SchemaUniqueItems = 16,
    SchemaMaxProperties = 17,
    SchemaMinProperties = 18,
    SchemaRequired = 19,
    SchemaEnum = 20,
    SchemaAdditionalProperties = 21,
    SchemaType = 22,
    SchemaItems = 23,
    SchemaAllOf = 24,
    SchemaProperties = 25,
    SchemaDiscriminator = 26,
    SchemaReadOnly = 27,
    SchemaExample = 30,
    SchemaVendor = 31
};
enum AdditionalPropertiesItem { AdditionalSchema = 1, AdditionalBoolean = 2 };
enum Repeated { RepeatedValue = 1 }; // TypeItem.value, ItemsItem.schema, Definitions, Properties
} // namespace pb

// Appends protobuf fields to a message under construction.
class ProtoWriter
{
public:
    void varintField(int number, std::uint64_t value)
    {
        tag(number, 0);
        varint(value);
    }
    void boolField(int number, bool value) { varintField(number, value ? 1 : 0); }
    void doubleField(int number, double value)
    {
        tag(number, 1);
        std::uint64_t bits = 0;
        std::memcpy(&bits, &value, sizeof bits);
        for (int i = 0; i < 8; ++i)
            m_out += static_cast<char>((bits >> (8 * i)) & 0xff);
    }
    void bytesField(int number, std::string_view bytes)
    {
        tag(number, 2);
        varint(bytes.size());
        m_out += bytes;
    }
    const std::string &bytes() const { return m_out; }

private:
    void tag(int number, int wireType)
    {
        varint((static_cast<std::uint64_t>(number) << 3) | static_cast<std::uint64_t>(wireType));
    }
    void varint(std::uint64_t value)
    {
        while (value >= 0x80) {
            m_out += static_cast<char>((value & 0x7f) | 0x80);
            value >>= 7;
        }
        m_out += static_cast<char>(value);
    }

    std::string m_out;
};

std::string stringOf(const json &object, const char *key)
{
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void putString(ProtoWriter &out, int number, const json &object, const char *key)
{
    if (const std::string value = stringOf(object, key); !value.empty())
        out.bytesField(number, value);
}

void putBool(ProtoWriter &out, int number, const json &object, const char *key)
{
    const auto it = object.find(key);
    if (it != object.end() && it->is_boolean() && it->get<bool>())
        out.boolField(number, true);
}

void putInteger(ProtoWriter &out, int number, const json &object, const char *key)
{
    const auto it = object.find(key);
    if (it != object.end() && it->is_number_integer())
        out.varintField(number, static_cast<std::uint64_t>(it->get<std::int64_t>()));
}

void putDouble(ProtoWriter &out, int number, const json &object, const char *key)
{
    const auto it = object.find(key);
    if (it != object.end() && it->is_number())
        out.doubleField(number, it->get<double>());
}

void putStrings(ProtoWriter &out, int number, const json &object, const char *key)
{
    const auto it = object.find(key);
    if (it == object.end())
        return;
    if (it->is_string())
        out.bytesField(number, it->get<std::string>());
    else if (it->is_array())
        for (const json &value : *it)
            if (value.is_string())
                out.bytesField(number, value.get<std::string>());
}

// gnostic Any: the value as YAML text. JSON is YAML, and kube-openapi reads it back with a YAML
// decoder.
std::string encodeAny(const json &value)
{
    ProtoWriter out;
    out.bytesField(pb::AnyYaml, value.dump() + "\n");
    return out.bytes();
}

std::string encodeNamed(std::string_view name, const std::string &value)
{
    ProtoWriter out;
    out.bytesField(pb::EntryName, name);
    out.bytesField(pb::EntryValue, value);
    return out.bytes();
}

// Every x-… member as a NamedAny.
void putVendorExtensions(ProtoWriter &out, int number, const json &object)
{
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (it.key().starts_with("x-"))
            out.bytesField(number, encodeNamed(it.key(), encodeAny(*it)));
    }
}

std::string encodeSchema(const json &schema);

std::string encodeSchemaList(const json &schemas)
{
    ProtoWriter out;
    if (schemas.is_array()) {
        for (const json &schema : schemas)
            out.bytesField(pb::RepeatedValue, encodeSchema(schema));
    } else {
        out.bytesField(pb::RepeatedValue, encodeSchema(schemas));
    }
    return out.bytes();
}

std::string encodeSchema(const json &schema)
{
    ProtoWriter out;
    if (!schema.is_object())
        return {};
    putString(out, pb::SchemaRef, schema, "$ref");
    putString(out, pb::SchemaFormat, schema, "format");
    putString(out, pb::SchemaTitle, schema, "title");
    putString(out, pb::SchemaDescription, schema, "description");
    if (schema.contains("default"))
        out.bytesField(pb::SchemaDefault, encodeAny(schema["default"]));
    putDouble(out, pb::SchemaMultipleOf, schema, "multipleOf");
    putDouble(out, pb::SchemaMaximum, schema, "maximum");
    putBool(out, pb::SchemaExclusiveMaximum, schema, "exclusiveMaximum");
    putDouble(out, pb::SchemaMinimum, schema, "minimum");
    putBool(out, pb::SchemaExclusiveMinimum, schema, "exclusiveMinimum");
    putInteger(out, pb::SchemaMaxLength, schema, "maxLength");
    putInteger(out, pb::SchemaMinLength, schema, "minLength");
    putString(out, pb::SchemaPattern, schema, "pattern");
    putInteger(out, pb::SchemaMaxItems, schema, "maxItems");
    putInteger(out, pb::SchemaMinItems, schema, "minItems");
    putBool(out, pb::SchemaUniqueItems, schema, "uniqueItems");
    putInteger(out, pb::SchemaMaxProperties, schema, "maxProperties");
    putInteger(out, pb::SchemaMinProperties, schema, "minProperties");
    putStrings(out, pb::SchemaRequired, schema, "required");
    if (const auto values = schema.find("enum"); values != schema.end() && values->is_array())
        for (const json &value : *values)
            out.bytesField(pb::SchemaEnum, encodeAny(value));
    if (const auto additional = schema.find("additionalProperties"); additional != schema.end()) {
        ProtoWriter item;
        if (additional->is_boolean())
            item.boolField(pb::AdditionalBoolean, additional->get<bool>());
        else if (additional->is_object())
            item.bytesField(pb::AdditionalSchema, encodeSchema(*additional));
        out.bytesField(pb::SchemaAdditionalProperties, item.bytes());
    }
    if (schema.contains("type")) {
        ProtoWriter type;
        putStrings(type, pb::RepeatedValue, schema, "type");
        out.bytesField(pb::SchemaType, type.bytes());
    }
    if (const auto items = schema.find("items"); items != schema.end())
        out.bytesField(pb::SchemaItems, encodeSchemaList(*items));
    if (const auto allOf = schema.find("allOf"); allOf != schema.end() && allOf->is_array())
        for (const json &part : *allOf)
            out.bytesField(pb::SchemaAllOf, encodeSchema(part));
    if (const auto properties = schema.find("properties");
        properties != schema.end() && properties->is_object()) {
        ProtoWriter named;
        for (auto it = properties->begin(); it != properties->end(); ++it)
            named.bytesField(pb::RepeatedValue, encodeNamed(it.key(), encodeSchema(*it)));
        out.bytesField(pb::SchemaProperties, named.bytes());
    }
    putString(out, pb::SchemaDiscriminator, schema, "discriminator");
    putBool(out, pb::SchemaReadOnly, schema, "readOnly");
    if (schema.contains("example"))
        out.bytesField(pb::SchemaExample, encodeAny(schema["example"]));
    putVendorExtensions(out, pb::SchemaVendor, schema);
    return out.bytes();
}

std::string encodeParameter(const json &parameter)
{
    ProtoWriter item;
    if (parameter.contains("$ref")) {
        ProtoWriter reference;
        putString(reference, pb::RefRef, parameter, "$ref");
        putString(reference, pb::RefDescription, parameter, "description");
        item.bytesField(pb::ParamJsonReference, reference.bytes());
        return item.bytes();
    }
    const std::string in = stringOf(parameter, "in");
    ProtoWriter body;
    if (in == "body") {
        putString(body, pb::BodyDescription, parameter, "description");
        putString(body, pb::BodyName, parameter, "name");
        putString(body, pb::BodyIn, parameter, "in");
        putBool(body, pb::BodyRequired, parameter, "required");
        if (parameter.contains("schema"))
            body.bytesField(pb::BodySchema, encodeSchema(parameter["schema"]));
        putVendorExtensions(body, 6, parameter);
        ProtoWriter wrapped;
        wrapped.bytesField(pb::ParamBody, body.bytes());
        item.bytesField(pb::ParamParameter, wrapped.bytes());
        return item.bytes();
    }
    // Header, path and query sub-schemas share their first four fields; after allow_empty_value
    // (query only, field 5) the query numbers run one higher.
    const bool query = in == "query";
    const int shift = query ? 1 : 0;
    putBool(body, pb::SubRequired, parameter, "required");
    putString(body, pb::SubIn, parameter, "in");
    putString(body, pb::SubDescription, parameter, "description");
    putString(body, pb::SubName, parameter, "name");
    if (query)
        putBool(body, 5, parameter, "allowEmptyValue");
    putString(body, 5 + shift, parameter, "type");
    putString(body, 6 + shift, parameter, "format");
    putBool(body, 19 + shift, parameter, "uniqueItems");
    putVendorExtensions(body, 22 + shift, parameter);
    const int which = query ? pb::NonBodyQuery : in == "path" ? pb::NonBodyPath : pb::NonBodyHeader;
    ProtoWriter nonBody;
    nonBody.bytesField(which, body.bytes());
    ProtoWriter wrapped;
    wrapped.bytesField(pb::ParamNonBody, nonBody.bytes());
    item.bytesField(pb::ParamParameter, wrapped.bytes());
    return item.bytes();
}

std::string encodeResponses(const json &responses)
{
    ProtoWriter out;
    for (auto it = responses.begin(); it != responses.end(); ++it) {
        ProtoWriter response;
        putString(response, pb::ResponseDescription, *it, "description");
        if (it->contains("schema")) {
            ProtoWriter schemaItem;
            schemaItem.bytesField(pb::SchemaItemSchema, encodeSchema((*it)["schema"]));
            response.bytesField(pb::ResponseSchema, schemaItem.bytes());
        }
        ProtoWriter value;
        value.bytesField(pb::ResponseValueResponse, response.bytes());
        out.bytesField(pb::ResponsesCode, encodeNamed(it.key(), value.bytes()));
    }
    return out.bytes();
}

std::string encodeOperation(const json &operation)
{
    ProtoWriter out;
    putStrings(out, pb::OpTags, operation, "tags");
    putString(out, pb::OpSummary, operation, "summary");
    putString(out, pb::OpDescription, operation, "description");
    putString(out, pb::OpId, operation, "operationId");
    putStrings(out, pb::OpProduces, operation, "produces");
    putStrings(out, pb::OpConsumes, operation, "consumes");
    if (const auto parameters = operation.find("parameters");
        parameters != operation.end() && parameters->is_array())
        for (const json &parameter : *parameters)
            out.bytesField(pb::OpParameters, encodeParameter(parameter));
    if (const auto responses = operation.find("responses");
        responses != operation.end() && responses->is_object())
        out.bytesField(pb::OpResponses, encodeResponses(*responses));
    putStrings(out, pb::OpSchemes, operation, "schemes");
    putBool(out, pb::OpDeprecated, operation, "deprecated");
    putVendorExtensions(out, pb::OpVendor, operation);
    return out.bytes();
}

std::string encodePathItem(const json &pathItem)
{
    // PathItem's operations by method, fields 2 to 8.
    static const std::pair<const char *, int> kMethods[]
        = {{"get", 2},     {"put", 3},  {"post", 4}, {"delete", 5},
           {"options", 6}, {"head", 7}, {"patch", 8}};
    ProtoWriter out;
    putString(out, pb::ItemRef, pathItem, "$ref");
    for (const auto &[method, number] : kMethods) {
        if (const auto operation = pathItem.find(method);
            operation != pathItem.end() && operation->is_object())
            out.bytesField(number, encodeOperation(*operation));
    }
    if (const auto parameters = pathItem.find("parameters");
        parameters != pathItem.end() && parameters->is_array())
        for (const json &parameter : *parameters)
            out.bytesField(pb::ItemParameters, encodeParameter(parameter));
    putVendorExtensions(out, pb::ItemVendor, pathItem);
    return out.bytes();
}

} // namespace

std::string v2Protobuf(const json &document)
{
    ProtoWriter out;
    putString(out, pb::DocSwagger, document, "swagger");
    if (const auto info = document.find("info"); info != document.end() && info->is_object()) {
        ProtoWriter infoOut;
        putString(infoOut, pb::InfoTitle, *info, "title");
        putString(infoOut, pb::InfoVersion, *info, "version");
        putString(infoOut, pb::InfoDescription, *info, "description");
        out.bytesField(pb::DocInfo, infoOut.bytes());
    }
    if (const auto paths = document.find("paths"); paths != document.end() && paths->is_object()) {
        ProtoWriter pathsOut;
        for (auto it = paths->begin(); it != paths->end(); ++it) {
            if (it.key().starts_with("x-"))
                pathsOut.bytesField(pb::PathsVendor, encodeNamed(it.key(), encodeAny(*it)));
            else
                pathsOut.bytesField(pb::PathsPath, encodeNamed(it.key(), encodePathItem(*it)));
        }
        out.bytesField(pb::DocPaths, pathsOut.bytes());
    }
    if (const auto definitions = document.find("definitions");
        definitions != document.end() && definitions->is_object()) {
        ProtoWriter definitionsOut;
        for (auto it = definitions->begin(); it != definitions->end(); ++it)
            definitionsOut.bytesField(pb::RepeatedValue, encodeNamed(it.key(), encodeSchema(*it)));
        out.bytesField(pb::DocDefinitions, definitionsOut.bytes());
    }
    putVendorExtensions(out, pb::DocVendor, document);
    return out.bytes();
}

std::string v2Document(std::string_view kubernetesVersion)
{
    return v2Protobuf(json{{"swagger", "2.0"},
                           {"info", {{"title", "Kubernetes"}, {"version", kubernetesVersion}}}});
}

namespace {

constexpr const char *kObjectMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
constexpr const char *kListMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";

json gvkOf(const ResourceInfo &resource)
{
    return {{"group", resource.group}, {"kind", resource.kind}, {"version", resource.version}};
}

// The schema name a resource's objects are published under and, for custom resources, their
// completed schema; empty name when there is none (a CRD version without a schema, a kind the
// model lacks).
struct KindSchema
{
    std::string name;
    json custom; // v3 form, custom resources only
    json customList;
};

KindSchema kindSchema(const ResourceInfo &resource)
{
    KindSchema out;
    if (!resource.custom) {
        out.name = schema::schemaName(resource.gvk());
        return out;
    }
    if (!resource.openApiSchema || resource.openApiSchema->is_null())
        return out;
    const json &openAPIV3Schema = *resource.openApiSchema;
    out.name = schema::customSchemaName(resource.gvk());
    out.custom = schema::customResourceSchema(openAPIV3Schema, resource.gvk());
    out.customList = schema::customResourceListSchema(
        resource.gvk(), resource.listKind.empty() ? resource.kind + "List" : resource.listKind);
    return out;
}

std::vector<std::string> patchTypesOf(const ResourceInfo &resource)
{
    // Strategic merge only for built-in kinds: custom resources have no patch strategies.
    std::vector<std::string> types{"application/json-patch+json", "application/merge-patch+json",
                                   "application/apply-patch+yaml"};
    if (!resource.custom)
        types.push_back("application/strategic-merge-patch+json");
    return types;
}

json fieldValidationParameter()
{
    return {{"name", "fieldValidation"},
            {"in", "query"},
            {"description", "How the server treats unknown or duplicate fields: Ignore, Warn or "
                            "Strict."},
            {"schema", {{"type", "string"}, {"uniqueItems", true}}}};
}

// A body or response referring to the kind's schema; an untyped object for kinds without one.
json contentOf(const std::string &schemaName, const std::vector<std::string> &mediaTypes)
{
    const json schema = schemaName.empty() ? json{{"type", "object"}}
                                           : json{{"$ref", "#/components/schemas/" + schemaName}};
    json content = json::object();
    for (const std::string &type : mediaTypes)
        content[type] = {{"schema", schema}};
    return content;
}

json operation(const ResourceInfo &resource, const std::string &action,
               const std::string &operationId, bool takesFieldValidation)
{
    json parameters = json::array();
    if (takesFieldValidation)
        parameters.push_back(fieldValidationParameter());
    return {{"operationId", operationId + resource.kind},
            {"x-kubernetes-action", action},
            {"x-kubernetes-group-version-kind", gvkOf(resource)},
            {"parameters", std::move(parameters)},
            {"responses", {{"200", {{"description", "OK"}}}}}};
}

std::string collectionPathOf(const ResourceInfo &resource)
{
    std::string collection = "/" + prefixOf(resource.group, resource.version) + "/";
    if (resource.namespaced)
        collection += "namespaces/{namespace}/";
    return collection + resource.resource;
}

// The Swagger 2.0 operations of one resource: what kubectl's v2 field-validation check and
// client-side tooling look for (the GVK and fieldValidation on patch above all).
void addV2Paths(json &paths, const ResourceInfo &resource, const std::string &schemaName,
                const json &definitions)
{
    const std::string collection = collectionPathOf(resource);
    const std::string item = collection + "/{name}";
    const auto refOrObject = [&](const std::string &name) {
        return !name.empty() && definitions.contains(name) ? json{{"$ref", "#/definitions/" + name}}
                                                           : json{{"type", "object"}};
    };
    const json objectTypes = json::array({"application/json", "application/yaml"});
    const json okWith = [&] {
        json ok = {{"description", "OK"}};
        if (!schemaName.empty() && definitions.contains(schemaName))
            ok["schema"] = refOrObject(schemaName);
        return ok;
    }();
    const json body = {
        {"name", "body"}, {"in", "body"}, {"required", true}, {"schema", refOrObject(schemaName)}};
    const json fieldValidation = {{"name", "fieldValidation"},
                                  {"in", "query"},
                                  {"type", "string"},
                                  {"uniqueItems", true},
                                  {"description", "How the server treats unknown or duplicate "
                                                  "fields: Ignore, Warn or Strict."}};
    const auto op
        = [&](const std::string &action, const std::string &id, json parameters, json consumes) {
              json out = {{"operationId", id + resource.kind},
                          {"x-kubernetes-action", action},
                          {"x-kubernetes-group-version-kind", gvkOf(resource)},
                          {"schemes", json::array({"https"})},
                          {"produces", objectTypes},
                          {"parameters", std::move(parameters)},
                          {"responses", {{"200", okWith}}}};
              if (!consumes.is_null())
                  out["consumes"] = std::move(consumes);
              return out;
          };
    const auto pathParameter = [](const char *name) {
        return json{{"name", name},
                    {"in", "path"},
                    {"required", true},
                    {"type", "string"},
                    {"uniqueItems", true}};
    };

    json itemPath = json::object();
    json collectionPath = json::object();
    if (resource.hasVerb("get"))
        itemPath["get"] = op("get", "read", json::array(), nullptr);
    if (resource.hasVerb("update"))
        itemPath["put"] = op("put", "replace", {body, fieldValidation}, objectTypes);
    json patchBody = body;
    patchBody["schema"] = {{"type", "object"}};
    itemPath["patch"] = op("patch", "patch", {patchBody, fieldValidation}, patchTypesOf(resource));
    if (resource.hasVerb("delete")) {
        itemPath["delete"] = op("delete", "delete", json::array(), nullptr);
        itemPath["delete"]["responses"]["200"].erase("schema");
    }
    if (resource.hasVerb("create"))
        collectionPath["post"] = op("post", "create", {body, fieldValidation}, objectTypes);
    if (resource.hasVerb("list")) {
        collectionPath["get"] = op("list", "list", json::array(), nullptr);
        const std::string listName
            = resource.custom ? schemaName + "List"
                              : (schemaName.empty() ? std::string() : schemaName + "List");
        json &ok = collectionPath["get"]["responses"]["200"];
        ok.erase("schema");
        if (!schemaName.empty() && definitions.contains(listName))
            ok["schema"] = refOrObject(listName);
    }
    json itemParameters = json::array({pathParameter("name")});
    json collectionParameters = json::array();
    if (resource.namespaced) {
        itemParameters.push_back(pathParameter("namespace"));
        collectionParameters.push_back(pathParameter("namespace"));
    }
    itemPath["parameters"] = std::move(itemParameters);
    paths[item] = std::move(itemPath);
    if (!collectionPath.empty()) {
        if (!collectionParameters.empty())
            collectionPath["parameters"] = std::move(collectionParameters);
        paths[collection] = std::move(collectionPath);
    }
}

// The built-in definitions never change while the process runs.
const json &builtinDefinitionsV2()
{
    static const json definitions = schema::definitionsV2();
    return definitions;
}

// Splits an Accept header into media ranges ordered as kube-openapi's negotiation orders them:
// by q descending, more specific ranges first among equals, header order otherwise.
struct MediaRange
{
    std::string type;
    std::string subType;
    double q = 1.0;
    std::size_t position = 0;
};

std::string lowerTrimmed(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    std::string out(text);
    for (char &c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::vector<MediaRange> parseAccept(std::string_view accept)
{
    std::vector<MediaRange> ranges;
    std::size_t position = 0;
    while (!accept.empty()) {
        const auto comma = accept.find(',');
        const std::string_view clause = accept.substr(0, comma);
        accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
        const auto semicolon = clause.find(';');
        const std::string mediaType = lowerTrimmed(clause.substr(0, semicolon));
        const auto slash = mediaType.find('/');
        if (mediaType.empty())
            continue;
        MediaRange range;
        range.position = position++;
        range.type = mediaType.substr(0, slash);
        range.subType = slash == std::string::npos ? "*" : mediaType.substr(slash + 1);
        std::string_view parameters
            = semicolon == std::string_view::npos ? std::string_view() : clause.substr(semicolon);
        while (!parameters.empty()) {
            parameters.remove_prefix(1);
            const auto next = parameters.find(';');
            const std::string parameter = lowerTrimmed(parameters.substr(0, next));
            parameters
                = next == std::string_view::npos ? std::string_view() : parameters.substr(next);
            if (parameter.starts_with("q="))
                range.q = std::atof(parameter.c_str() + 2);
        }
        ranges.push_back(std::move(range));
    }
    std::stable_sort(ranges.begin(), ranges.end(), [](const MediaRange &a, const MediaRange &b) {
        if (a.q != b.q)
            return a.q > b.q;
        const int aSpecific = (a.type != "*") + (a.subType != "*");
        const int bSpecific = (b.type != "*") + (b.subType != "*");
        return aSpecific > bSpecific;
    });
    return ranges;
}

} // namespace

std::optional<V2Format> negotiateV2(std::string_view accept)
{
    const std::vector<MediaRange> ranges = parseAccept(accept.empty() ? "*/*" : accept);
    // In kube-openapi's order: JSON first, then both spellings of the protobuf type.
    static const std::pair<const char *, V2Format> kOffered[]
        = {{"json", V2Format::Json},
           {"com.github.proto-openapi.spec.v2@v1.0+protobuf", V2Format::Protobuf},
           {"com.github.proto-openapi.spec.v2.v1.0+protobuf", V2Format::Protobuf}};
    for (const MediaRange &range : ranges) {
        if (range.q <= 0 || (range.type != "application" && range.type != "*"))
            continue;
        for (const auto &[subType, format] : kOffered) {
            if (range.subType == "*" || range.subType == subType)
                return format;
        }
    }
    return std::nullopt;
}

json v2Json(const ResourceCatalog &catalog, std::string_view kubernetesVersion)
{
    json definitions = builtinDefinitionsV2();
    const ResourceCatalog::Snapshot resources = catalog.snapshot();
    std::vector<std::pair<const ResourceInfo *, std::string>> named;
    for (const ResourceInfo &resource : *resources) {
        KindSchema kind = kindSchema(resource);
        if (resource.custom && !kind.name.empty()) {
            definitions[kind.name] = schema::toV2(kind.custom);
            definitions[kind.name + "List"] = schema::toV2(kind.customList);
        }
        named.emplace_back(&resource, std::move(kind.name));
    }
    json paths = json::object();
    for (const auto &[resource, name] : named)
        addV2Paths(paths, *resource, name, definitions);
    return json{{"swagger", "2.0"},
                {"info", {{"title", "Kubernetes"}, {"version", kubernetesVersion}}},
                {"paths", std::move(paths)},
                {"definitions", std::move(definitions)}};
}

std::shared_ptr<const V2Cache::Documents> V2Cache::documents(const ResourceCatalog &catalog,
                                                             std::string_view kubernetesVersion)
{
    // The built-in part is fixed, so the served custom resources and their schemas decide
    // whether the cached document is still current.
    std::string key(kubernetesVersion);
    for (const ResourceInfo &resource : *catalog.snapshot()) {
        if (!resource.custom)
            continue;
        key += "\n" + resource.group + "/" + resource.version + "/" + resource.resource + "/"
               + resource.kind + (resource.namespaced ? "/n/" : "/c/");
        for (const std::string &verb : resource.verbs)
            key += verb + ",";
        if (resource.openApiSchema)
            key += resource.openApiSchema->dump();
    }
    std::lock_guard lock(m_mutex);
    if (m_documents && key == m_key)
        return m_documents;
    const json document = v2Json(catalog, kubernetesVersion);
    auto documents = std::make_shared<Documents>();
    documents->json = document.dump();
    documents->protobuf = v2Protobuf(document);
    documents->jsonEtag = "\"" + documentHash(documents->json) + "\"";
    documents->protobufEtag = "\"" + documentHash(documents->protobuf) + "\"";
    m_key = std::move(key);
    m_documents = std::move(documents);
    return m_documents;
}

Result<json> v3GroupVersion(const ResourceCatalog &catalog, std::string_view group,
                            std::string_view version, std::string_view kubernetesVersion)
{
    const std::vector<ResourceInfo> resources = catalog.resources(group, version);
    if (resources.empty())
        return Error(Error::Code::NotFound, "the server could not find the requested resource");
    json paths = json::object();
    std::vector<GroupVersionKind> kinds;
    json customSchemasOut = json::object();
    for (const ResourceInfo &resource : resources) {
        const KindSchema kind = kindSchema(resource);
        const std::string &schemaName = kind.name;
        if (!resource.custom && !schemaName.empty())
            kinds.push_back(resource.gvk());
        if (resource.custom && !schemaName.empty()) {
            customSchemasOut[schemaName] = kind.custom;
            customSchemasOut[schemaName + "List"] = kind.customList;
        }
        const std::string collection = collectionPathOf(resource);
        const std::string item = collection + "/{name}";
        const std::vector<std::string> objectTypes{"application/json", "application/yaml"};

        json itemPath = json::object();
        json collectionPath = json::object();
        if (resource.hasVerb("get")) {
            itemPath["get"] = operation(resource, "get", "read", false);
            itemPath["get"]["responses"]["200"]["content"] = contentOf(schemaName, objectTypes);
        }
        if (resource.hasVerb("update")) {
            itemPath["put"] = operation(resource, "put", "replace", true);
            itemPath["put"]["requestBody"]
                = {{"content", contentOf(schemaName, objectTypes)}, {"required", true}};
        }
        // Every kind gets a PATCH operation, so that kubectl's capability check sees that the
        // server validates fields; the media types tell kubectl apply which patch types it may
        // send.
        itemPath["patch"] = operation(resource, "patch", "patch", true);
        itemPath["patch"]["requestBody"]
            = {{"content", contentOf(std::string(), patchTypesOf(resource))}, {"required", true}};
        itemPath["patch"]["responses"]["200"]["content"] = contentOf(schemaName, objectTypes);
        if (resource.hasVerb("delete"))
            itemPath["delete"] = operation(resource, "delete", "delete", false);
        if (resource.hasVerb("create")) {
            collectionPath["post"] = operation(resource, "post", "create", true);
            collectionPath["post"]["requestBody"]
                = {{"content", contentOf(schemaName, objectTypes)}, {"required", true}};
        }
        if (resource.hasVerb("list"))
            collectionPath["get"] = operation(resource, "list", "list", false);
        paths[item] = std::move(itemPath);
        if (!collectionPath.empty())
            paths[collection] = std::move(collectionPath);
    }
    // Custom resources refer to ObjectMeta and ListMeta, which the model provides.
    const std::vector<std::string> metaTypes
        = customSchemasOut.empty() ? std::vector<std::string>()
                                   : std::vector<std::string>{kObjectMeta, kListMeta};
    json schemas = schema::componentSchemas(kinds, metaTypes);
    for (auto it = customSchemasOut.begin(); it != customSchemasOut.end(); ++it)
        schemas[it.key()] = std::move(*it);
    return json{{"openapi", "3.0.0"},
                {"info", {{"title", "Kubernetes"}, {"version", kubernetesVersion}}},
                {"paths", std::move(paths)},
                {"components", {{"schemas", std::move(schemas)}}}};
}

json v3Index(const ResourceCatalog &catalog, std::string_view kubernetesVersion)
{
    json paths = json::object();
    for (const ApiGroupInfo &group : catalog.groups()) {
        for (const std::string &version : group.versions) {
            auto document = v3GroupVersion(catalog, group.name, version, kubernetesVersion);
            if (!document)
                continue;
            const std::string prefix = prefixOf(group.name, version);
            paths[prefix] = {{"serverRelativeURL",
                              "/openapi/v3/" + prefix + "?hash=" + documentHash(document->dump())}};
        }
    }
    return json{{"paths", std::move(paths)}};
}

} // namespace kd::lc::apiserver::openapi
