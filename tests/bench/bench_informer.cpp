// Informer benchmark: a local scripted server serves a LIST of 10,000 realistic pods (as full
// objects, PartialObjectMetadata and a server-side Table) and then 20,000 watch events. Measures
// initial sync time and memory per cached object for each informer flavour, watch events
// processed per second, and the parse time of the 10k-pod list with nlohmann::json vs simdjson
// (a bare DOM parse) vs simdjson into CompactJson (what the informers cache since).
// Usage: bench_informer [--json FILE]

#include <core/api/compactjson.h>
#include <core/cache/sharedinformer.h>
#include <core/client/restclient.h>

#include "../unit/core/transport/testserver.h"
#include "benchutil.h"

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include <QCoreApplication>
#include <QPointer>

#include <malloc.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

using namespace kd::core;
using kd::bench::secondsSince;

namespace {

constexpr int kPods = 10000;
constexpr int kEvents = 20000;
constexpr int kListRv = 100000;

nlohmann::json realisticPod(int index)
{
    nlohmann::json pod = kd::bench::makePod("ns-" + std::to_string(index % 20),
                                            "web-" + std::to_string(index), index);
    pod["metadata"]["resourceVersion"] = std::to_string(1000 + index);
    pod["metadata"]["generateName"] = "web-7d9c4b-";
    // Real pods carry managedFields for the controller and the kubelet: a good share of their size.
    pod["metadata"]["managedFields"]
        = nlohmann::json::array({{{"manager", "kube-controller-manager"},
                                  {"operation", "Update"},
                                  {"apiVersion", "v1"},
                                  {"time", "2026-11-29T04:47:54Z"},
                                  {"fieldsType", "FieldsV1"},
                                  {"fieldsV1",
                                   {{"f:metadata",
                                     {{"f:generateName", nlohmann::json::object()},
                                      {"f:labels",
                                       {{".", nlohmann::json::object()},
                                        {"f:app", nlohmann::json::object()},
                                        {"f:pod-template-hash", nlohmann::json::object()}}},
                                      {"f:ownerReferences",
                                       {{".", nlohmann::json::object()},
                                        {"k:{\"uid\":\"9a8b7c6d-0000-4000-8000-000000000001\"}",
                                         nlohmann::json::object()}}}}},
                                    {"f:spec",
                                     {{"f:containers",
                                       {{"k:{\"name\":\"web\"}",
                                         {{".", nlohmann::json::object()},
                                          {"f:image", nlohmann::json::object()},
                                          {"f:imagePullPolicy", nlohmann::json::object()},
                                          {"f:name", nlohmann::json::object()},
                                          {"f:resources", nlohmann::json::object()}}}}},
                                      {"f:dnsPolicy", nlohmann::json::object()},
                                      {"f:restartPolicy", nlohmann::json::object()}}}}}},
                                 {{"manager", "kubelet"},
                                  {"operation", "Update"},
                                  {"apiVersion", "v1"},
                                  {"time", "2026-11-29T04:48:01Z"},
                                  {"fieldsType", "FieldsV1"},
                                  {"subresource", "status"},
                                  {"fieldsV1",
                                   {{"f:status",
                                     {{"f:conditions", nlohmann::json::object()},
                                      {"f:containerStatuses", nlohmann::json::object()},
                                      {"f:hostIP", nlohmann::json::object()},
                                      {"f:phase", nlohmann::json::object()},
                                      {"f:podIP", nlohmann::json::object()},
                                      {"f:startTime", nlohmann::json::object()}}}}}}});
    return pod;
}

nlohmann::json tableRow(const nlohmann::json &pod)
{
    nlohmann::json metadata = pod["metadata"];
    return {{"cells",
             {metadata["name"], "1/1", "Running", 0, "5m", pod["status"]["podIP"],
              pod["spec"]["nodeName"], "<none>", "<none>"}},
            {"object",
             {{"kind", "PartialObjectMetadata"},
              {"apiVersion", "meta.k8s.io/v1"},
              {"metadata", std::move(metadata)}}}};
}

nlohmann::json tableColumns()
{
    nlohmann::json columns = nlohmann::json::array();
    for (const char *name : {"Name", "Ready", "Status", "Restarts", "Age", "IP", "Node",
                             "Nominated Node", "Readiness Gates"})
        columns.push_back({{"name", name}, {"type", "string"}, {"format", ""}, {"priority", 0}});
    return columns;
}

struct Bodies
{
    QByteArray full;
    QByteArray metadata;
    QByteArray table;
    QByteArray events; // the whole watch body after the headers, chunked
};

QByteArray chunk(const std::string &data)
{
    return QByteArray::number(static_cast<qsizetype>(data.size()), 16) + "\r\n"
           + QByteArray::fromStdString(data) + "\r\n";
}

Bodies makeBodies()
{
    nlohmann::json full = {{"kind", "PodList"},
                           {"apiVersion", "v1"},
                           {"metadata", {{"resourceVersion", std::to_string(kListRv)}}},
                           {"items", nlohmann::json::array()}};
    nlohmann::json metadata = {{"kind", "PartialObjectMetadataList"},
                               {"apiVersion", "meta.k8s.io/v1"},
                               {"metadata", {{"resourceVersion", std::to_string(kListRv)}}},
                               {"items", nlohmann::json::array()}};
    nlohmann::json table = {{"kind", "Table"},
                            {"apiVersion", "meta.k8s.io/v1"},
                            {"metadata", {{"resourceVersion", std::to_string(kListRv)}}},
                            {"columnDefinitions", tableColumns()},
                            {"rows", nlohmann::json::array()}};
    std::vector<nlohmann::json> pods;
    pods.reserve(kPods);
    for (int i = 0; i < kPods; ++i) {
        pods.push_back(realisticPod(i));
        full["items"].push_back(pods.back());
        metadata["items"].push_back({{"kind", "PartialObjectMetadata"},
                                     {"apiVersion", "meta.k8s.io/v1"},
                                     {"metadata", pods.back()["metadata"]}});
        table["rows"].push_back(tableRow(pods.back()));
    }
    Bodies bodies;
    bodies.full = QByteArray::fromStdString(full.dump());
    bodies.metadata = QByteArray::fromStdString(metadata.dump());
    bodies.table = QByteArray::fromStdString(table.dump());
    // 20k MODIFIED events over the cached pods, each with a new resourceVersion.
    for (int i = 0; i < kEvents; ++i) {
        nlohmann::json &pod = pods[static_cast<size_t>(i % kPods)];
        pod["metadata"]["resourceVersion"] = std::to_string(kListRv + 1 + i);
        pod["status"]["containerStatuses"][0]["restartCount"] = i / kPods + 1;
        bodies.events += chunk(nlohmann::json{{"type", "MODIFIED"}, {"object", pod}}.dump() + "\n");
    }
    return bodies;
}

// Heap bytes in use (glibc), after handing freed memory back: the precise figure; RSS is noisier.
// Blocks big enough for glibc to mmap them (a large store's hash table) count too.
long long heapBytes()
{
    malloc_trim(0);
    const struct mallinfo2 info = mallinfo2();
    return static_cast<long long>(info.uordblks + info.hblkhd);
}

nlohmann::json measureFlavour(const char *name, cache::Flavour flavour, const std::string &baseUrl)
{
    transport::ConnectionConfig config;
    config.baseUrl = baseUrl;
    client::RestClient client(config, [](std::function<void()> f) { f(); });
    cache::ReflectorOptions options;
    options.resource
        = client::ResourceRef{api::GroupVersionResource{"", "v1", "pods"}, true, {}, {}, {}};
    options.flavour = flavour;

    const long long heapBefore = heapBytes();
    const long long rssBefore = kd::bench::residentBytes();
    const auto start = std::chrono::steady_clock::now();
    auto informer = std::make_unique<cache::SharedInformer>(
        client, options, [](std::function<void()> f) { f(); }, cache::indexes::standard());
    informer->start();
    while (!informer->hasSynced())
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const double syncSeconds = secondsSince(start);
    const long long heapAfter = heapBytes();
    const long long rssAfter = kd::bench::residentBytes();
    const size_t count = informer->store().size();
    const auto perObject
        = [count](long long bytes) { return count ? bytes / static_cast<long long>(count) : 0; };
    // The documents alone (CompactJson storage blocks), to tell them apart from store overhead.
    long long documentBytes = 0;
    std::vector<cache::ObjectPtr> objects = informer->store().list();
    for (const auto &object : objects)
        documentBytes += static_cast<long long>(object->storageBytes());
    // Where the heap goes, measured rather than estimated: what stays once the informer is gone
    // while `objects` still holds the documents (documents with their shared_ptr blocks), then
    // what a Store of the same documents adds without and with the standard indexes. The rest
    // is the reflector's, the informer's and the transport's.
    const long long listBytes = heapBytes() - heapAfter;
    informer->stop();
    informer.reset();
    const long long heldDocuments = heapBytes() - heapBefore - listBytes;
    const auto storeBytes = [&objects](cache::Indexers indexers) {
        cache::Store store(std::move(indexers));
        const long long before = heapBytes();
        (void)store.replace(objects);
        return heapBytes() - before;
    };
    const long long itemBytes = storeBytes({});
    const long long indexedBytes = storeBytes(cache::indexes::standard());
    objects.clear();
    const long long total = heapAfter - heapBefore;
    nlohmann::json result = {{"flavour", name},
                             {"objects", count},
                             {"initialSyncSeconds", syncSeconds},
                             {"heapBytesPerObject", perObject(total)},
                             {"rssBytesPerObject", perObject(rssAfter - rssBefore)},
                             {"documentBytesPerObject", perObject(documentBytes)},
                             {"heapBreakdownPerObject",
                              {{"documents", perObject(heldDocuments)},
                               {"storeItems", perObject(itemBytes)},
                               {"storeIndexes", perObject(indexedBytes - itemBytes)},
                               {"other", perObject(total - heldDocuments - indexedBytes)}}}};
    std::printf("%-9s sync %6.3f s  %5zu objects  heap %6lld B/object  rss %6lld B/object  "
                "documents %5lld B/object\n",
                name, syncSeconds, count, result["heapBytesPerObject"].get<long long>(),
                result["rssBytesPerObject"].get<long long>(),
                result["documentBytesPerObject"].get<long long>());
    const nlohmann::json &parts = result["heapBreakdownPerObject"];
    std::printf("          heap per object: documents+shared_ptr %lld B, store items %lld B, "
                "indexes %lld B, other %lld B\n",
                parts["documents"].get<long long>(), parts["storeItems"].get<long long>(),
                parts["storeIndexes"].get<long long>(), parts["other"].get<long long>());
    return result;
}

nlohmann::json measureWatch(TestServer &server, const std::string &baseUrl,
                            std::atomic<QTcpSocket *> &watchSocket, const QByteArray &events)
{
    transport::ConnectionConfig config;
    config.baseUrl = baseUrl;
    client::RestClient client(config, [](std::function<void()> f) { f(); });
    cache::ReflectorOptions options;
    options.resource
        = client::ResourceRef{api::GroupVersionResource{"", "v1", "pods"}, true, {}, {}, {}};
    std::atomic<int> updates{0};
    cache::SharedInformer informer(client, options, [](std::function<void()> f) { f(); });
    cache::EventHandler handler;
    handler.onUpdate = [&](const cache::ObjectPtr &, const cache::ObjectPtr &) { ++updates; };
    informer.addEventHandler(handler);
    informer.start();
    while (!informer.hasSynced() || !watchSocket.load())
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const std::string lastRv = std::to_string(kListRv + kEvents);
    const auto start = std::chrono::steady_clock::now();
    QMetaObject::invokeMethod(
        server.context(),
        [&watchSocket, &events] {
            if (QTcpSocket *socket = watchSocket.load())
                socket->write(events);
        },
        Qt::QueuedConnection);
    while (informer.lastSyncResourceVersion() != lastRv || updates.load() < kEvents)
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    const double seconds = secondsSince(start);
    informer.stop();
    std::printf("watch     %d events in %.3f s: %.0f events/s\n", kEvents, seconds,
                kEvents / seconds);
    return {{"events", kEvents},
            {"seconds", seconds},
            {"eventsPerSecond", kEvents / seconds},
            {"bytes", events.size()}};
}

nlohmann::json measureParse(const QByteArray &body)
{
    const std::string text = body.toStdString();
    double nlohmannBest = 1e9;
    double simdBest = 1e9;
    double compactBest = 1e9;
    size_t nlohmannItems = 0;
    size_t simdItems = 0;
    simdjson::dom::parser parser;
    const simdjson::padded_string padded(text);
    for (int round = 0; round < 3; ++round) {
        auto start = std::chrono::steady_clock::now();
        const nlohmann::json parsed = nlohmann::json::parse(text);
        nlohmannItems = parsed["items"].size();
        nlohmannBest = std::min(nlohmannBest, secondsSince(start));

        start = std::chrono::steady_clock::now();
        simdjson::dom::element document;
        if (parser.parse(padded).get(document) != simdjson::SUCCESS)
            return {{"error", "simdjson failed to parse the list"}};
        simdjson::dom::array items;
        if (document["items"].get_array().get(items) == simdjson::SUCCESS)
            simdItems = items.size();
        simdBest = std::min(simdBest, secondsSince(start));

        start = std::chrono::steady_clock::now();
        auto compact = api::CompactJson::parse(text);
        if (!compact.ok() || (**compact)["items"].size() != nlohmannItems)
            return {{"error", "CompactJson failed to parse the list"}};
        compactBest = std::min(compactBest, secondsSince(start));
    }
    const double mb = static_cast<double>(text.size()) / 1e6;
    std::printf("parse     %.1f MB list of %zu pods: nlohmann %.3f s (%.0f MB/s) | simdjson %.3f s "
                "(%.0f MB/s), %zu items | simdjson into CompactJson %.3f s (%.0f MB/s)\n",
                mb, nlohmannItems, nlohmannBest, mb / nlohmannBest, simdBest, mb / simdBest,
                simdItems, compactBest, mb / compactBest);
    return {{"bytes", text.size()},
            {"items", nlohmannItems},
            {"nlohmannSeconds", nlohmannBest},
            {"simdjsonSeconds", simdBest},
            {"compactJsonSeconds", compactBest},
            {"speedup", nlohmannBest / simdBest}};
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const std::string jsonPath = kd::bench::jsonPathFromArgs(argc, argv, "bench_informer.json");

    std::printf("building %d pods and %d events...\n", kPods, kEvents);
    const Bodies bodies = makeBodies();
    std::atomic<QTcpSocket *> watchSocket{nullptr};
    std::atomic<bool> serveEvents{false};

    TestServer server([&](const TestRequest &request, QTcpSocket *socket, QByteArray &) {
        if (request.path.contains("watch=true")) {
            socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n");
            if (serveEvents.load()) {
                watchSocket.store(socket);
                QObject::connect(socket, &QObject::destroyed, [&watchSocket, socket] {
                    QTcpSocket *expected = socket;
                    watchSocket.compare_exchange_strong(expected, nullptr);
                });
            }
            return false;
        }
        const QByteArray accept = request.header("Accept");
        const QByteArray &body = accept.contains("as=Table")                       ? bodies.table
                                 : accept.contains("as=PartialObjectMetadataList") ? bodies.metadata
                                                                                   : bodies.full;
        socket->write(httpResponse(200, body, {"Content-Type: application/json"}));
        return false;
    });
    const std::string baseUrl = "http://127.0.0.1:" + std::to_string(server.port());

    nlohmann::json report = {{"benchmark", "informer"}, {"pods", kPods}};
    report["flavours"] = nlohmann::json::array();
    report["flavours"].push_back(measureFlavour("full", cache::Flavour::Full, baseUrl));
    report["flavours"].push_back(measureFlavour("metadata", cache::Flavour::Metadata, baseUrl));
    report["flavours"].push_back(measureFlavour("table", cache::Flavour::Table, baseUrl));
    serveEvents = true;
    report["watch"] = measureWatch(server, baseUrl, watchSocket, bodies.events);
    report["parse"] = measureParse(bodies.full);
    kd::bench::writeReport(report, jsonPath);
    return 0;
}
