// Storage benchmark of the bundled cluster: durable creates per second with 1 and 32 concurrent
// writers, assembling a LIST body of 10,000 pods from the in-memory objects, and reopening a
// store of 10,000 pods. Prints the figures and writes them as JSON (--json FILE).

#include "benchutil.h"

#include <localcluster/storage/store.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

using namespace kd::lc::storage;
namespace fs = std::filesystem;

namespace {

const GroupResource kPods{"", "pods"};

std::unique_ptr<Store> openStore(const fs::path &dir)
{
    StoreOptions options;
    options.dataDir = dir.string();
    auto store = Store::open(options);
    if (!store.ok()) {
        std::fprintf(stderr, "bench_storage: %s\n", store.error().message().c_str());
        std::exit(1);
    }
    return std::move(store.value());
}

// Creates `total` pods from `writers` threads, each waiting for durability before its next write
// (as concurrent API clients do). Returns creates per second.
double durableCreates(Store &store, int writers, int total, const std::string &ns)
{
    std::atomic<int> next{0};
    std::atomic<int> failures{0};
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w) {
        threads.emplace_back([&] {
            for (int i = next++; i < total; i = next++) {
                const std::string name = "pod-" + std::to_string(i);
                if (!store.create(Key{kPods, ns, name}, kd::bench::makePod(ns, name, i)).ok())
                    ++failures;
            }
        });
    }
    for (auto &t : threads)
        t.join();
    const double seconds = kd::bench::secondsSince(start);
    if (failures > 0)
        std::fprintf(stderr, "bench_storage: %d creates failed\n", failures.load());
    return total / seconds;
}

} // namespace

int main(int argc, char **argv)
{
    const std::string jsonPath = kd::bench::jsonPathFromArgs(argc, argv, "bench_storage.json");
    const fs::path dir
        = fs::temp_directory_path() / ("kd-bench-storage-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    nlohmann::json report = {{"benchmark", "storage"}};

    {
        auto store = openStore(dir);
        report["durable_creates_per_second_1_writer"] = durableCreates(*store, 1, 1000, "one");
        const long long rssBefore = kd::bench::residentBytes();
        report["durable_creates_per_second_32_writers"] = durableCreates(*store, 32, 10000, "many");
        // Resident growth per stored pod: the Store's in-memory copy plus allocator overhead
        // (the writers' request objects are gone by now).
        report["rss_bytes_per_stored_pod"]
            = static_cast<double>(kd::bench::residentBytes() - rssBefore) / 10000;

        // LIST of 10,000 pods: take the objects and join their serialized JSON into a List body,
        // the work the API server does per LIST (best of 5).
        double best = 1e9;
        std::size_t bytes = 0;
        for (int round = 0; round < 5; ++round) {
            const auto start = std::chrono::steady_clock::now();
            ListRequest request;
            request.resource = kPods;
            request.ns = "many";
            auto list = store->list(request);
            std::string body
                = R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":")"
                  + std::to_string(list->revision) + R"("},"items":[)";
            for (std::size_t i = 0; i < list->items.size(); ++i) {
                if (i)
                    body += ',';
                body += list->items[i]->json();
            }
            body += "]}";
            best = std::min(best, kd::bench::secondsSince(start));
            bytes = body.size();
        }
        report["list_10k_pods_json_body_ms"] = best * 1000;
        report["list_10k_pods_body_bytes"] = bytes;
    }
    {
        const auto start = std::chrono::steady_clock::now();
        auto store = openStore(dir);
        report["reopen_11k_pods_ms"] = kd::bench::secondsSince(start) * 1000;
        report["objects_after_reopen"] = store->objectCount();
    }
    fs::remove_all(dir);
    kd::bench::writeReport(report, jsonPath);
    return 0;
}
