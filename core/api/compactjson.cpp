#include "compactjson.h"

#include "compactjsonbuilder_p.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstring>
#include <unordered_map>
#include <vector>

namespace kd::core::api {

// Slot encoding (one 64-bit word per value; bits 0-3 are the tag):
//   Null, False, True          tag only
//   Integer, Unsigned, Float   bits 4-63: index into the number area (the value's 64 bits)
//   String                     bits 4-31: length, bits 32-63: offset into the character area
//   KnownString                bits 4-63: index into knownStrings()
//   Array                      bits 4-31: element count, bits 32-63: index of the first element
//   Object                     as Array, with two slots per member: name (a string) then value
// Containers point at contiguous slots of their own, so members are found without walking the
// subtrees before them.
namespace {

enum Tag : std::uint64_t {
    TagNull,
    TagFalse,
    TagTrue,
    TagInteger,
    TagUnsigned,
    TagFloat,
    TagString,
    TagKnownString,
    TagArray,
    TagObject,
};

constexpr std::uint64_t kTagMask = 0xF;
constexpr std::uint64_t kMaxCount = (std::uint64_t(1) << 28) - 1;
constexpr std::uint64_t kMaxOffset = 0xFFFFFFFFu;
constexpr std::size_t kMaxKnownLength = 48;

// Field names and values that most Kubernetes objects repeat: stored as an index instead of
// their characters. Only ever used in memory, so the list may change freely.
// clang-format off
constexpr std::array kKnownStrings = std::to_array<std::string_view>({
    "apiVersion", "kind", "metadata", "spec", "status", "name", "namespace", "uid",
    "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
    "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
    "generateName", "managedFields", "controller", "blockOwnerDeletion", "manager", "operation",
    "time", "fieldsType", "fieldsV1", "subresource", "cells", "conditions", "object", "type",
    "lastTransitionTime", "lastProbeTime", "lastUpdateTime", "lastHeartbeatTime", "reason",
    "message", "containers", "initContainers", "image", "imagePullPolicy", "ports", "containerPort",
    "protocol", "resources", "requests", "limits", "cpu", "memory", "env", "value", "valueFrom",
    "volumeMounts", "mountPath", "readOnly", "volumes", "configMap", "secret", "secretName",
    "projected", "sources", "serviceAccountToken", "expirationSeconds", "path", "items", "key",
    "terminationMessagePath", "terminationMessagePolicy", "restartPolicy",
    "terminationGracePeriodSeconds", "dnsPolicy", "serviceAccountName", "serviceAccount",
    "nodeName", "schedulerName", "priority", "securityContext", "tolerations", "operator", "effect",
    "tolerationSeconds", "enableServiceLinks", "preemptionPolicy", "phase", "hostIP", "hostIPs",
    "podIP", "podIPs", "ip", "startTime", "containerStatuses", "initContainerStatuses", "ready",
    "restartCount", "imageID", "containerID", "started", "state", "running", "startedAt", "waiting",
    "terminated", "exitCode", "finishedAt", "lastState", "qosClass", "replicas", "readyReplicas",
    "availableReplicas", "updatedReplicas", "observedGeneration", "selector", "matchLabels",
    "matchExpressions", "values", "template", "strategy", "rollingUpdate", "maxSurge",
    "maxUnavailable", "revisionHistoryLimit", "progressDeadlineSeconds", "clusterIP", "clusterIPs",
    "port", "targetPort", "sessionAffinity", "ipFamilies", "ipFamilyPolicy",
    "internalTrafficPolicy", "data", "app", "tier", "component", "app.kubernetes.io/name",
    "app.kubernetes.io/instance", "app.kubernetes.io/component", "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by", "app.kubernetes.io/version", "pod-template-hash",
    "controller-revision-hash", "pod-template-generation", "kubernetes.io/metadata.name",
    "deployment.kubernetes.io/revision", "kubectl.kubernetes.io/last-applied-configuration",
    "f:metadata", "f:spec", "f:status", ".", "f:labels", "f:annotations", "f:ownerReferences",
    "f:containers", "f:conditions", "f:name", "f:image", "f:resources", "True", "False", "Unknown",
    "Running", "Pending", "Succeeded", "Failed", "Ready", "ContainersReady", "Initialized",
    "PodScheduled", "Available", "Progressing", "TCP", "UDP", "v1", "apps/v1", "batch/v1",
    "meta.k8s.io/v1", "Pod", "ReplicaSet", "Deployment", "StatefulSet", "DaemonSet", "Job", "Node",
    "Service", "IfNotPresent", "Always", "Never", "File", "ClusterFirst", "default",
    "default-scheduler", "Burstable", "BestEffort", "Guaranteed", "Update", "Apply", "FieldsV1",
    "ClusterIP", "/dev/termination-log", "PreemptLowerPriority", "NoExecute", "NoSchedule",
    "Exists", "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable", "kube-api-access",
    "/var/run/secrets/kubernetes.io/serviceaccount", "kube-root-ca.crt", "ca.crt", "token"
});
// clang-format on

const std::unordered_map<std::string_view, std::uint32_t> &knownIndex()
{
    static const auto index = [] {
        std::unordered_map<std::string_view, std::uint32_t> map;
        map.reserve(kKnownStrings.size() * 2);
        for (std::uint32_t i = 0; i < kKnownStrings.size(); ++i)
            map.emplace(kKnownStrings[i], i);
        return map;
    }();
    return index;
}

} // namespace

// Collects slots, numbers and characters in growable buffers, then copies them into one block.
class CompactJsonBuilder
{
public:
    // Empties the buffers but keeps their capacity: a reflector builds thousands of similar
    // documents in a row on one thread. A rare huge one does not pin its buffers for good.
    void clear()
    {
        constexpr std::size_t kKeep = std::size_t(1) << 20;
        if (m_slots.capacity() * 8 > kKeep || m_numbers.capacity() * 8 > kKeep
            || m_chars.capacity() > kKeep) {
            *this = CompactJsonBuilder();
            return;
        }
        m_slots.clear();
        m_numbers.clear();
        m_chars.clear();
        m_overflow = false;
    }

    std::uint32_t reserve(std::size_t count)
    {
        const std::size_t first = m_slots.size();
        m_slots.resize(first + count);
        return static_cast<std::uint32_t>(first);
    }

    std::uint64_t string(std::string_view text)
    {
        if (text.size() <= kMaxKnownLength) {
            const auto &known = knownIndex();
            const auto it = known.find(text);
            if (it != known.end())
                return TagKnownString | (std::uint64_t(it->second) << 4);
        }
        if (text.size() > kMaxCount || m_chars.size() + text.size() > kMaxOffset) {
            m_overflow = true;
            return TagNull;
        }
        const std::uint64_t offset = m_chars.size();
        m_chars.append(text);
        return TagString | (std::uint64_t(text.size()) << 4) | (offset << 32);
    }

    void putKey(std::uint32_t at, std::string_view key) { m_slots[at] = string(key); }
    void setContainer(std::uint32_t at, Tag tag, std::size_t count, std::uint32_t first)
    {
        m_slots[at] = container(tag, count, first);
    }

    std::uint64_t number(Tag tag, std::uint64_t bits)
    {
        m_numbers.push_back(bits);
        return tag | (std::uint64_t(m_numbers.size() - 1) << 4);
    }

    std::uint64_t container(Tag tag, std::size_t count, std::uint32_t first)
    {
        if (count > kMaxCount) {
            m_overflow = true;
            return TagNull;
        }
        return tag | (std::uint64_t(count) << 4) | (std::uint64_t(first) << 32);
    }

    void putJson(std::uint32_t at, const nlohmann::json &value)
    {
        switch (value.type()) {
        case nlohmann::json::value_t::null:
        case nlohmann::json::value_t::discarded:
            m_slots[at] = TagNull;
            break;
        case nlohmann::json::value_t::boolean:
            m_slots[at] = value.get<bool>() ? TagTrue : TagFalse;
            break;
        case nlohmann::json::value_t::number_integer:
            m_slots[at] = number(TagInteger, static_cast<std::uint64_t>(value.get<std::int64_t>()));
            break;
        case nlohmann::json::value_t::number_unsigned:
            m_slots[at] = number(TagUnsigned, value.get<std::uint64_t>());
            break;
        case nlohmann::json::value_t::number_float: {
            const double d = value.get<double>();
            std::uint64_t bits = 0;
            std::memcpy(&bits, &d, sizeof bits);
            m_slots[at] = number(TagFloat, bits);
            break;
        }
        case nlohmann::json::value_t::string:
            m_slots[at] = string(value.get_ref<const std::string &>());
            break;
        case nlohmann::json::value_t::binary:
            m_slots[at] = TagNull;
            break;
        case nlohmann::json::value_t::array: {
            const std::uint32_t first = reserve(value.size());
            m_slots[at] = container(TagArray, value.size(), first);
            std::uint32_t i = first;
            for (const auto &element : value)
                putJson(i++, element);
            break;
        }
        case nlohmann::json::value_t::object: {
            const std::uint32_t first = reserve(value.size() * 2);
            m_slots[at] = container(TagObject, value.size(), first);
            std::uint32_t i = first;
            for (const auto &[key, member] : value.items()) {
                m_slots[i] = string(key);
                putJson(i + 1, member);
                i += 2;
            }
            break;
        }
        }
    }

    void putElement(std::uint32_t at, simdjson::dom::element value, std::string_view omit = {})
    {
        using simdjson::dom::element_type;
        switch (value.type()) {
        case element_type::NULL_VALUE:
            m_slots[at] = TagNull;
            break;
        case element_type::BOOL:
            m_slots[at] = bool(value.get_bool().value_unsafe()) ? TagTrue : TagFalse;
            break;
        case element_type::INT64:
            m_slots[at]
                = number(TagInteger, static_cast<std::uint64_t>(value.get_int64().value_unsafe()));
            break;
        case element_type::UINT64:
            m_slots[at] = number(TagUnsigned, value.get_uint64().value_unsafe());
            break;
        case element_type::DOUBLE: {
            const double d = value.get_double().value_unsafe();
            std::uint64_t bits = 0;
            std::memcpy(&bits, &d, sizeof bits);
            m_slots[at] = number(TagFloat, bits);
            break;
        }
        case element_type::STRING:
            m_slots[at] = string(value.get_string().value_unsafe());
            break;
        case element_type::ARRAY: {
            const simdjson::dom::array array = value.get_array().value_unsafe();
            std::size_t count = 0;
            for (auto it = array.begin(); it != array.end(); ++it)
                ++count;
            const std::uint32_t first = reserve(count);
            m_slots[at] = container(TagArray, count, first);
            std::uint32_t i = first;
            for (simdjson::dom::element element : array)
                putElement(i++, element);
            break;
        }
        case element_type::OBJECT: {
            const simdjson::dom::object object = value.get_object().value_unsafe();
            std::size_t count = 0;
            for (const auto field : object) {
                if (omit.empty() || field.key != omit)
                    ++count;
            }
            const std::uint32_t first = reserve(count * 2);
            m_slots[at] = container(TagObject, count, first);
            std::uint32_t i = first;
            for (const auto field : object) {
                if (!omit.empty() && field.key == omit)
                    continue;
                m_slots[i] = string(field.key);
                putElement(i + 1, field.value);
                i += 2;
            }
            break;
        }
        }
    }

    CompactJsonPtr finish()
    {
        if (m_overflow)
            return nullptr;
        // Documents are kept for long: exactly the words they need.
        const std::size_t charWords = (m_chars.size() + 7) / 8;
        const std::size_t total = m_slots.size() + m_numbers.size() + charWords;
        auto words = std::make_unique_for_overwrite<std::uint64_t[]>(total);
        std::uint64_t *out = words.get();
        std::memcpy(out, m_slots.data(), m_slots.size() * 8);
        out += m_slots.size();
        if (!m_numbers.empty())
            std::memcpy(out, m_numbers.data(), m_numbers.size() * 8);
        out += m_numbers.size();
        if (charWords > 0) {
            out[charWords - 1] = 0;
            std::memcpy(out, m_chars.data(), m_chars.size());
        }
        return std::make_shared<const CompactJson>(CompactJson::Token{}, std::move(words),
                                                   static_cast<std::uint32_t>(m_slots.size()),
                                                   static_cast<std::uint32_t>(m_numbers.size()),
                                                   static_cast<std::uint32_t>(m_chars.size()));
    }

private:
    std::vector<std::uint64_t> m_slots;
    std::vector<std::uint64_t> m_numbers;
    std::string m_chars;
    bool m_overflow = false;
};

namespace detail {

CompactJsonPtr compact(simdjson::dom::element value)
{
    thread_local CompactJsonBuilder builder;
    builder.clear();
    builder.putElement(builder.reserve(1), value);
    return builder.finish();
}

CompactJsonPtr compactObject(std::initializer_list<CompactMember> members)
{
    thread_local CompactJsonBuilder builder;
    builder.clear();
    const std::uint32_t root = builder.reserve(1);
    const std::uint32_t first = builder.reserve(members.size() * 2);
    std::uint32_t i = first;
    for (const CompactMember &member : members) {
        builder.putKey(i, member.key);
        builder.putElement(i + 1, member.value, member.omit);
        i += 2;
    }
    builder.setContainer(root, TagObject, members.size(), first);
    return builder.finish();
}

} // namespace detail

CompactJson::CompactJson(Token, std::unique_ptr<std::uint64_t[]> words, std::uint32_t slotCount,
                         std::uint32_t numberCount, std::uint32_t charCount)
    : m_words(std::move(words))
    , m_slotCount(slotCount)
    , m_numberCount(numberCount)
    , m_charCount(charCount)
{}

CompactJson::~CompactJson() = default;

CompactJsonPtr CompactJson::fromJson(const nlohmann::json &value)
{
    CompactJsonBuilder builder;
    builder.putJson(builder.reserve(1), value);
    return builder.finish();
}

util::Result<CompactJsonPtr> CompactJson::parse(std::string_view text)
{
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    const simdjson::padded_string padded(text);
    if (const auto error = parser.parse(padded).get(root); error != simdjson::SUCCESS)
        return util::Error(util::Error::Code::Decode,
                           std::string("not JSON: ") + simdjson::error_message(error));
    CompactJsonPtr document = detail::compact(root);
    if (!document)
        return util::Error(util::Error::Code::Decode, "a JSON string is longer than 256 MB");
    return document;
}

nlohmann::json CompactJson::toJson() const
{
    return root().toJson();
}

std::size_t CompactJson::storageBytes() const
{
    return (std::size_t(m_slotCount) + m_numberCount) * 8 + (std::size_t(m_charCount) + 7) / 8 * 8;
}

std::uint64_t JsonView::word() const
{
    return m_document->m_words[m_slot];
}

JsonView::Type JsonView::type() const
{
    if (!m_document)
        return Type::Missing;
    switch (word() & kTagMask) {
    case TagFalse:
    case TagTrue:
        return Type::Boolean;
    case TagInteger:
        return Type::Integer;
    case TagUnsigned:
        return Type::Unsigned;
    case TagFloat:
        return Type::Float;
    case TagString:
    case TagKnownString:
        return Type::String;
    case TagArray:
        return Type::Array;
    case TagObject:
        return Type::Object;
    default:
        return Type::Null;
    }
}

bool JsonView::isNumber() const
{
    const Type t = type();
    return t == Type::Integer || t == Type::Unsigned || t == Type::Float;
}

std::string_view JsonView::string(std::string_view fallback) const
{
    if (!m_document)
        return fallback;
    const std::uint64_t w = word();
    if ((w & kTagMask) == TagKnownString)
        return kKnownStrings[w >> 4];
    if ((w & kTagMask) != TagString)
        return fallback;
    const char *chars = reinterpret_cast<const char *>(
        m_document->m_words.get() + m_document->m_slotCount + m_document->m_numberCount);
    return std::string_view(chars + (w >> 32), (w >> 4) & kMaxCount);
}

bool JsonView::boolean(bool fallback) const
{
    if (!m_document)
        return fallback;
    const std::uint64_t tag = word() & kTagMask;
    return tag == TagTrue ? true : tag == TagFalse ? false : fallback;
}

namespace {

std::uint64_t numberBits(const std::uint64_t *words, std::uint32_t slotCount, std::uint64_t w)
{
    return words[slotCount + (w >> 4)];
}

} // namespace

std::int64_t JsonView::integer(std::int64_t fallback) const
{
    if (!m_document)
        return fallback;
    const std::uint64_t w = word();
    const std::uint64_t tag = w & kTagMask;
    if (tag != TagInteger && tag != TagUnsigned && tag != TagFloat)
        return fallback;
    const std::uint64_t bits = numberBits(m_document->m_words.get(), m_document->m_slotCount, w);
    if (tag == TagFloat) {
        double d = 0;
        std::memcpy(&d, &bits, sizeof d);
        return static_cast<std::int64_t>(d);
    }
    return static_cast<std::int64_t>(bits);
}

double JsonView::number(double fallback) const
{
    if (!m_document)
        return fallback;
    const std::uint64_t w = word();
    const std::uint64_t tag = w & kTagMask;
    if (tag != TagInteger && tag != TagUnsigned && tag != TagFloat)
        return fallback;
    const std::uint64_t bits = numberBits(m_document->m_words.get(), m_document->m_slotCount, w);
    if (tag == TagFloat) {
        double d = 0;
        std::memcpy(&d, &bits, sizeof d);
        return d;
    }
    if (tag == TagUnsigned)
        return static_cast<double>(bits);
    return static_cast<double>(static_cast<std::int64_t>(bits));
}

std::size_t JsonView::size() const
{
    if (!m_document)
        return 0;
    const std::uint64_t w = word();
    const std::uint64_t tag = w & kTagMask;
    return tag == TagArray || tag == TagObject ? (w >> 4) & kMaxCount : 0;
}

JsonView JsonView::operator[](std::string_view key) const
{
    if (!m_document)
        return {};
    const std::uint64_t w = word();
    if ((w & kTagMask) != TagObject)
        return {};
    const std::size_t count = (w >> 4) & kMaxCount;
    const auto first = static_cast<std::uint32_t>(w >> 32);
    for (std::size_t i = 0; i < count; ++i) {
        const auto slot = static_cast<std::uint32_t>(first + 2 * i);
        if (JsonView(m_document, slot).string() == key)
            return JsonView(m_document, slot + 1);
    }
    return {};
}

JsonView JsonView::operator[](std::size_t index) const
{
    if (!m_document)
        return {};
    const std::uint64_t w = word();
    if ((w & kTagMask) != TagArray || index >= ((w >> 4) & kMaxCount))
        return {};
    return JsonView(m_document, static_cast<std::uint32_t>((w >> 32) + index));
}

std::string_view JsonView::keyAt(std::size_t index) const
{
    if (!m_document)
        return {};
    const std::uint64_t w = word();
    if ((w & kTagMask) != TagObject || index >= ((w >> 4) & kMaxCount))
        return {};
    return JsonView(m_document, static_cast<std::uint32_t>((w >> 32) + 2 * index)).string();
}

JsonView JsonView::valueAt(std::size_t index) const
{
    if (!m_document)
        return {};
    const std::uint64_t w = word();
    if (index >= ((w >> 4) & kMaxCount))
        return {};
    if ((w & kTagMask) == TagArray)
        return JsonView(m_document, static_cast<std::uint32_t>((w >> 32) + index));
    if ((w & kTagMask) == TagObject)
        return JsonView(m_document, static_cast<std::uint32_t>((w >> 32) + 2 * index + 1));
    return {};
}

nlohmann::json JsonView::toJson() const
{
    switch (type()) {
    case Type::Missing:
    case Type::Null:
        return nullptr;
    case Type::Boolean:
        return boolean();
    case Type::Integer:
        return integer();
    case Type::Unsigned:
        return numberBits(m_document->m_words.get(), m_document->m_slotCount, word());
    case Type::Float:
        return number();
    case Type::String:
        return std::string(string());
    case Type::Array: {
        nlohmann::json out = nlohmann::json::array();
        const std::size_t count = size();
        for (std::size_t i = 0; i < count; ++i)
            out.push_back(valueAt(i).toJson());
        return out;
    }
    case Type::Object: {
        nlohmann::json out = nlohmann::json::object();
        const std::size_t count = size();
        for (std::size_t i = 0; i < count; ++i)
            out.emplace(std::string(keyAt(i)), valueAt(i).toJson());
        return out;
    }
    }
    return nullptr;
}

std::string JsonView::dump() const
{
    return toJson().dump();
}

bool JsonView::operator==(const JsonView &other) const
{
    const Type t = type();
    if (isNumber() && other.isNumber()) {
        if (t == Type::Float || other.type() == Type::Float)
            return number() == other.number();
        if (t == other.type())
            return numberBits(m_document->m_words.get(), m_document->m_slotCount, word())
                   == numberBits(other.m_document->m_words.get(), other.m_document->m_slotCount,
                                 other.word());
        return integer() >= 0 && other.integer() >= 0 && integer() == other.integer();
    }
    if (t != other.type())
        return false;
    switch (t) {
    case Type::Missing:
    case Type::Null:
        return true;
    case Type::Boolean:
        return boolean() == other.boolean();
    case Type::String:
        return string() == other.string();
    case Type::Array: {
        const std::size_t count = size();
        if (count != other.size())
            return false;
        for (std::size_t i = 0; i < count; ++i) {
            if (!(valueAt(i) == other.valueAt(i)))
                return false;
        }
        return true;
    }
    case Type::Object: {
        const std::size_t count = size();
        if (count != other.size())
            return false;
        for (std::size_t i = 0; i < count; ++i) {
            if (!(valueAt(i) == other[keyAt(i)]))
                return false;
        }
        return true;
    }
    default:
        return false;
    }
}

} // namespace kd::core::api
