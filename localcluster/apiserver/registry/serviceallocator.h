#pragma once

#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace kd::lc::apiserver::registry {

// Service cluster IPs (10.96.0.0/12; 10.96.0.1 is the `kubernetes` Service) and node ports
// (30000–32767) in use, as upstream's allocators keep them. The API server owns one, fills it
// from the stored Services at start (restore), reserves on create/update and releases on delete.
// Thread-safe: every call takes an internal lock.
class ServiceAllocator final
{
public:
    // What one Service holds.
    struct Holding
    {
        std::set<std::uint32_t> ips; // host order
        std::set<int> nodePorts;
        bool empty() const { return ips.empty() && nodePorts.empty(); }
    };

    ServiceAllocator();

    // Marks what a stored Service holds as taken (values outside the ranges are ignored).
    void restore(const nlohmann::json &service);

    // Completes `service` (a defaulted Service about to be created, or updated from `previous`):
    // an update keeps the previous clusterIP and node ports where the new object leaves them
    // empty; a new clusterIP is allocated unless the Service is headless (None) or ExternalName,
    // clusterIPs mirrors clusterIP, and NodePort/LoadBalancer ports get node ports. Requested
    // values are honoured when in range and free. Returns what was newly reserved (release it if
    // the write fails), or an Invalid error whose causes carry upstream's field and message
    // (wrap them with the Service's name); nothing is reserved then.
    core::util::Result<Holding> prepare(nlohmann::json &service, const nlohmann::json *previous);

    void release(const Holding &holding);
    // What a Service object holds according to its spec.
    static Holding held(const nlohmann::json &service);

    bool ipTaken(std::uint32_t ip) const;
    bool portTaken(int port) const;

    static std::string formatIp(std::uint32_t ip);
    // Host-order address of a dotted quad; false when the text is not one.
    static bool parseIp(const std::string &text, std::uint32_t &ip);

    static constexpr std::uint32_t kBase = (10u << 24) | (96u << 16); // 10.96.0.0
    static constexpr std::uint32_t kSize = 1u << 20;                  // /12
    static constexpr int kFirstPort = 30000;
    static constexpr int kLastPort = 32767;

private:
    bool ipInRange(std::uint32_t ip) const;
    mutable std::mutex m_mutex;
    std::vector<bool> m_ips;   // index = ip - kBase
    std::vector<bool> m_ports; // index = port - kFirstPort
    std::uint64_t m_seed;
};

} // namespace kd::lc::apiserver::registry
