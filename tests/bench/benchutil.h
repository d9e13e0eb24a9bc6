#pragma once

// Small helpers shared by the benchmark programs: wall-clock timing, resident memory, realistic
// Kubernetes objects, and the JSON report every benchmark writes.

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

namespace kd::bench {

inline double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Resident set size of this process in bytes (from /proc/self/statm).
inline long long residentBytes()
{
    std::ifstream statm("/proc/self/statm");
    long long pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * 4096;
}

// A pod as a controller-created, running pod looks on a real cluster (about 1.4 KB of JSON).
inline nlohmann::json makePod(const std::string &ns, const std::string &name, int index)
{
    const std::string hash = "7d9c4b" + std::to_string(index % 10);
    return {
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata",
         {{"name", name},
          {"namespace", ns},
          {"uid", "3f1c2b6e-0000-4000-8000-" + std::to_string(100000000000LL + index)},
          {"creationTimestamp", "2026-11-29T04:47:54Z"},
          {"labels", {{"app", "web"}, {"pod-template-hash", hash}, {"tier", "frontend"}}},
          {"ownerReferences",
           {{{"apiVersion", "apps/v1"},
             {"kind", "ReplicaSet"},
             {"name", "web-" + hash},
             {"uid", "9a8b7c6d-0000-4000-8000-000000000001"},
             {"controller", true},
             {"blockOwnerDeletion", true}}}}}},
        {"spec",
         {{"containers",
           {{{"name", "web"},
             {"image", "registry.local/web:1.4.2"},
             {"ports", {{{"containerPort", 8080}, {"protocol", "TCP"}}}},
             {"resources",
              {{"requests", {{"cpu", "100m"}, {"memory", "128Mi"}}},
               {"limits", {{"cpu", "500m"}, {"memory", "256Mi"}}}}},
             {"terminationMessagePath", "/dev/termination-log"},
             {"terminationMessagePolicy", "File"},
             {"imagePullPolicy", "IfNotPresent"}}}},
          {"restartPolicy", "Always"},
          {"terminationGracePeriodSeconds", 30},
          {"dnsPolicy", "ClusterFirst"},
          {"serviceAccountName", "default"},
          {"nodeName", "kubedesk-node"},
          {"schedulerName", "default-scheduler"},
          {"priority", 0}}},
        {"status",
         {{"phase", "Running"},
          {"conditions",
           {{{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", "2026-11-29T04:48:01Z"}},
            {{"type", "ContainersReady"},
             {"status", "True"},
             {"lastTransitionTime", "2026-11-29T04:48:01Z"}}}},
          {"hostIP", "10.88.0.1"},
          {"podIP", "10.88.0." + std::to_string(2 + index % 250)},
          {"startTime", "2026-11-29T04:47:55Z"},
          {"containerStatuses",
           {{{"name", "web"},
             {"ready", true},
             {"restartCount", 0},
             {"image", "registry.local/web:1.4.2"},
             {"imageID", "sha256:4b1f"},
             {"containerID", "docker://" + std::to_string(900000 + index)},
             {"started", true},
             {"state", {{"running", {{"startedAt", "2026-11-29T04:48:00Z"}}}}}}}},
          {"qosClass", "Burstable"}}}};
}

// Prints the report and writes it as JSON to `path`.
inline void writeReport(const nlohmann::json &report, const std::string &path)
{
    std::printf("%s\n", report.dump(2).c_str());
    std::ofstream(path) << report.dump(2) << '\n';
    std::printf("written to %s\n", path.c_str());
}

inline std::string jsonPathFromArgs(int argc, char **argv, const std::string &fallback)
{
    for (int i = 1; i + 1 < argc; ++i) {
        if (std::string(argv[i]) == "--json")
            return argv[i + 1];
    }
    return fallback;
}

} // namespace kd::bench
