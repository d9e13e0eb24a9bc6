#include "serviceallocator.h"

#include <nlohmann/json.hpp>

#include <random>

namespace kd::lc::apiserver::registry {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

namespace {

std::string stringField(const json &object, const char *key)
{
    if (!object.is_object())
        return {};
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool usesClusterIp(const json &spec)
{
    return stringField(spec, "type") != "ExternalName";
}

bool usesNodePorts(const json &spec)
{
    const std::string type = stringField(spec, "type");
    if (type == "NodePort")
        return true;
    return type == "LoadBalancer" && spec.value("allocateLoadBalancerNodePorts", true) != false;
}

// The clusterIP a spec asks for: clusterIP, else the first of clusterIPs.
std::string requestedIp(const json &spec)
{
    std::string ip = stringField(spec, "clusterIP");
    if (ip.empty() && spec.is_object()) {
        const json ips = spec.value("clusterIPs", json());
        if (ips.is_array() && !ips.empty() && ips[0].is_string())
            ip = ips[0].get<std::string>();
    }
    return ip;
}

Error invalidCause(const std::string &field, const std::string &message)
{
    Error error(Error::Code::Invalid, field + ": " + message);
    error.addCause({"FieldValueInvalid", message, field});
    return error;
}

} // namespace

ServiceAllocator::ServiceAllocator()
    : m_ips(kSize, false)
    , m_ports(kLastPort - kFirstPort + 1, false)
    , m_seed(std::random_device{}())
{}

std::string ServiceAllocator::formatIp(std::uint32_t ip)
{
    return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 0xff) + "."
           + std::to_string((ip >> 8) & 0xff) + "." + std::to_string(ip & 0xff);
}

bool ServiceAllocator::parseIp(const std::string &text, std::uint32_t &ip)
{
    std::uint32_t value = 0;
    int parts = 0;
    std::size_t i = 0;
    while (parts < 4) {
        if (i >= text.size() || text[i] < '0' || text[i] > '9')
            return false;
        std::uint32_t part = 0;
        const std::size_t start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 4)
            part = part * 10 + static_cast<std::uint32_t>(text[i++] - '0');
        if (part > 255 || (i - start > 1 && text[start] == '0'))
            return false;
        value = (value << 8) | part;
        ++parts;
        if (parts < 4) {
            if (i >= text.size() || text[i] != '.')
                return false;
            ++i;
        }
    }
    if (i != text.size())
        return false;
    ip = value;
    return true;
}

bool ServiceAllocator::ipInRange(std::uint32_t ip) const
{
    // The network and broadcast addresses of the range are never handed out.
    return ip > kBase && ip < kBase + kSize - 1;
}

bool ServiceAllocator::ipTaken(std::uint32_t ip) const
{
    std::lock_guard lock(m_mutex);
    return ipInRange(ip) && m_ips[ip - kBase];
}

bool ServiceAllocator::portTaken(int port) const
{
    std::lock_guard lock(m_mutex);
    return port >= kFirstPort && port <= kLastPort && m_ports[port - kFirstPort];
}

ServiceAllocator::Holding ServiceAllocator::held(const json &service)
{
    Holding holding;
    const json spec = service.is_object() ? service.value("spec", json()) : json();
    if (!spec.is_object())
        return holding;
    if (usesClusterIp(spec)) {
        std::uint32_t ip = 0;
        if (parseIp(requestedIp(spec), ip))
            holding.ips.insert(ip);
    }
    const json ports = spec.value("ports", json());
    if (ports.is_array()) {
        for (const json &port : ports) {
            if (port.is_object() && port.value("nodePort", json()).is_number_integer())
                holding.nodePorts.insert(port["nodePort"].get<int>());
        }
    }
    return holding;
}

void ServiceAllocator::restore(const json &service)
{
    const Holding holding = held(service);
    std::lock_guard lock(m_mutex);
    for (std::uint32_t ip : holding.ips) {
        if (ipInRange(ip))
            m_ips[ip - kBase] = true;
    }
    for (int port : holding.nodePorts) {
        if (port >= kFirstPort && port <= kLastPort)
            m_ports[port - kFirstPort] = true;
    }
}

void ServiceAllocator::release(const Holding &holding)
{
    std::lock_guard lock(m_mutex);
    for (std::uint32_t ip : holding.ips) {
        if (ipInRange(ip))
            m_ips[ip - kBase] = false;
    }
    for (int port : holding.nodePorts) {
        if (port >= kFirstPort && port <= kLastPort)
            m_ports[port - kFirstPort] = false;
    }
}

Result<ServiceAllocator::Holding> ServiceAllocator::prepare(json &service, const json *previous)
{
    Holding added;
    if (!service.is_object() || !service.contains("spec") || !service["spec"].is_object())
        return added;
    json &spec = service["spec"];
    const json previousSpec = previous && previous->is_object()
                                  ? previous->value("spec", json::object())
                                  : json::object();
    const Holding before = previous ? held(*previous) : Holding();

    std::unique_lock lock(m_mutex);
    std::mt19937_64 random(m_seed++);
    const auto fail = [&](Error error) -> Result<Holding> {
        for (std::uint32_t ip : added.ips)
            m_ips[ip - kBase] = false;
        for (int port : added.nodePorts)
            m_ports[port - kFirstPort] = false;
        return error;
    };

    if (usesClusterIp(spec)) {
        std::string ip = requestedIp(spec);
        const std::string previousIp
            = usesClusterIp(previousSpec) ? requestedIp(previousSpec) : std::string();
        if (ip.empty() && !previousIp.empty())
            ip = previousIp;
        else if (!previousIp.empty() && ip != previousIp)
            return fail(invalidCause("spec.clusterIPs[0]", "Invalid value: []string{\"" + ip
                                                               + "\"}: may not change once set"));
        std::uint32_t address = 0;
        if (ip.empty()) {
            const std::uint32_t free = kSize - 2;
            std::uint32_t offset = static_cast<std::uint32_t>(random() % free);
            bool found = false;
            for (std::uint32_t n = 0; n < free && !found; ++n) {
                address = kBase + 1 + (offset + n) % free;
                found = !m_ips[address - kBase];
            }
            if (!found)
                return fail(
                    Error(Error::Code::Internal, "failed to allocate a serviceIP: range is full"));
            m_ips[address - kBase] = true;
            added.ips.insert(address);
            ip = formatIp(address);
        } else if (ip != "None") {
            const std::string list = "[]string{\"" + ip + "\"}";
            if (!parseIp(ip, address))
                return fail(invalidCause("spec.clusterIPs[0]",
                                         "Invalid value: \"" + ip
                                             + "\": must be a valid IP address, (e.g. 10.9.8.7 "
                                               "or 2001:db8::ffff)"));
            if (!before.ips.contains(address)) {
                if (!ipInRange(address))
                    return fail(
                        invalidCause("spec.clusterIPs",
                                     "Invalid value: " + list + ": failed to allocate IP " + ip
                                         + ": the provided IP (" + ip
                                         + ") is not in the valid range. The range of valid IPs is "
                                           "10.96.0.0/12"));
                if (m_ips[address - kBase])
                    return fail(invalidCause("spec.clusterIPs",
                                             "Invalid value: " + list + ": failed to allocate IP "
                                                 + ip + ": provided IP is already allocated"));
                m_ips[address - kBase] = true;
                added.ips.insert(address);
            }
        }
        spec["clusterIP"] = ip;
        spec["clusterIPs"] = json::array({ip});
    }

    json &ports = spec["ports"];
    if (ports.is_null())
        spec.erase("ports");
    else if (ports.is_array()) {
        const bool wantsNodePorts = usesNodePorts(spec);
        const json previousPorts = previousSpec.value("ports", json::array());
        for (std::size_t i = 0; i < ports.size(); ++i) {
            json &port = ports[i];
            if (!port.is_object())
                continue;
            if (!wantsNodePorts) {
                port.erase("nodePort");
                continue;
            }
            const json requested = port.value("nodePort", json(0));
            int nodePort = requested.is_number_integer() ? requested.get<int>() : 0;
            if (nodePort == 0 && previousPorts.is_array()) {
                // An update that leaves the node port out keeps the one the same port had.
                for (const json &old : previousPorts) {
                    if (old.is_object() && old.value("port", json()) == port.value("port", json())
                        && old.value("protocol", json("TCP")) == port.value("protocol", json("TCP"))
                        && old.value("nodePort", json()).is_number_integer())
                        nodePort = old["nodePort"].get<int>();
                }
            }
            const std::string field = "spec.ports[" + std::to_string(i) + "].nodePort";
            if (nodePort == 0) {
                const int span = kLastPort - kFirstPort + 1;
                const int offset = static_cast<int>(random() % static_cast<unsigned>(span));
                for (int n = 0; n < span && nodePort == 0; ++n) {
                    const int candidate = kFirstPort + (offset + n) % span;
                    if (!m_ports[candidate - kFirstPort])
                        nodePort = candidate;
                }
                if (nodePort == 0)
                    return fail(Error(Error::Code::Internal,
                                      "failed to allocate a nodePort: range is full"));
                m_ports[nodePort - kFirstPort] = true;
                added.nodePorts.insert(nodePort);
            } else if (!before.nodePorts.contains(nodePort)) {
                const std::string value = "Invalid value: " + std::to_string(nodePort) + ": ";
                if (nodePort < kFirstPort || nodePort > kLastPort)
                    return fail(
                        invalidCause(field, value
                                                + "provided port is not in the valid range. The "
                                                  "range of valid ports is 30000-32767"));
                if (m_ports[nodePort - kFirstPort])
                    return fail(invalidCause(field, value + "provided port is already allocated"));
                m_ports[nodePort - kFirstPort] = true;
                added.nodePorts.insert(nodePort);
            }
            port["nodePort"] = nodePort;
        }
    }
    return added;
}

} // namespace kd::lc::apiserver::registry
