// managedFields bookkeeping benchmark: CPU per managedfields::recordUpdate for the create of a
// typical (defaulted) pod and for an update that changes one of its labels, and per FieldSet
// fromFieldsV1/toFieldsV1 round trip of the create's entry, plus where the time goes (comparison,
// list decode/encode, one list shape, one key element). Single thread; best of many short rounds
// (a loaded machine preempts long ones). Prints the figures and writes them as JSON (--json FILE).

#include "benchutil.h"

#include <localcluster/apiserver/registry/defaults.h>
#include <localcluster/apiserver/resourcecatalog.h>
#include <localcluster/apiserver/rest/fieldset.h>
#include <localcluster/apiserver/rest/managedfields.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace api = kd::lc::apiserver;
namespace mf = api::managedfields;
using nlohmann::json;

namespace {

constexpr int kRounds = 25;
constexpr int kPerRound = 400;

void fail(const std::string &what)
{
    std::fprintf(stderr, "bench_managedfields: %s\n", what.c_str());
    std::exit(1);
}

// A pod as a client sends it for a create (no server-set metadata), after the defaulting the
// create handler applies.
json createdPod(const api::ResourceInfo &pods)
{
    json pod = kd::bench::makePod("bench", "web-0", 0);
    pod["metadata"].erase("uid");
    pod["metadata"].erase("creationTimestamp");
    pod["metadata"].erase("ownerReferences");
    api::registry::applyDefaults(pods, pod);
    return pod;
}

// Microseconds per recordUpdate(live, copy of updated): the copies are made before the clock
// starts, so only the bookkeeping is timed.
double recordUpdateMicros(const json &live, const json &updated, const mf::WriteScope &scope)
{
    double best = 1e18;
    for (int round = 0; round < kRounds; ++round) {
        std::vector<json> objects(kPerRound, updated);
        const auto start = std::chrono::steady_clock::now();
        for (json &object : objects) {
            if (!mf::recordUpdate(live, object, scope))
                fail("recordUpdate failed");
        }
        best = std::min(best, kd::bench::secondsSince(start) * 1e6 / kPerRound);
    }
    return best;
}

} // namespace

int main(int argc, char **argv)
{
    const std::string jsonPath
        = kd::bench::jsonPathFromArgs(argc, argv, "bench_managedfields.json");
    api::ResourceCatalog catalog;
    const auto pods = catalog.find("", "v1", "pods");
    if (!pods)
        fail("no pods resource in the catalog");
    const std::string time = "2026-11-29T04:47:54Z";
    json report = {{"benchmark", "managedfields"}};

    // Create: compared with the kind's zero object, as the create handler does.
    const json pod = createdPod(*pods);
    const json zero = mf::zeroObject(*pods);
    const auto createScope = mf::scopeFor(*pods, "", "kubectl-create", time);
    json created = pod;
    if (!mf::recordUpdate(zero, created, createScope))
        fail("recordUpdate of the create failed");
    report["pod_json_bytes"] = pod.dump().size();
    report["create_managed_fields_bytes"] = created["metadata"]["managedFields"].dump().size();
    report["create_record_update_us"] = recordUpdateMicros(zero, pod, createScope);

    // Update of one label by another manager: both managers end up in managedFields.
    json relabelled = created;
    relabelled["metadata"]["labels"]["tier"] = "backend";
    const auto labelScope = mf::scopeFor(*pods, "", "kubectl-label", time);
    report["update_label_record_update_us"] = recordUpdateMicros(created, relabelled, labelScope);

    // FieldsV1 round trip of the create's entry.
    const json fieldsV1 = created["metadata"]["managedFields"][0]["fieldsV1"];
    double best = 1e18;
    for (int round = 0; round < kRounds; ++round) {
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < kPerRound; ++i) {
            auto set = api::FieldSet::fromFieldsV1(fieldsV1);
            if (!set || set->toFieldsV1() != fieldsV1)
                fail("FieldsV1 round trip changed the fields");
        }
        best = std::min(best, kd::bench::secondsSince(start) * 1e6 / kPerRound);
    }
    report["fieldsv1_round_trip_us"] = best;

    // Where the time goes: the comparison alone, and the managedFields list's decode/encode.
    const auto timed = [&](const auto &work) {
        double fastest = 1e18;
        for (int round = 0; round < kRounds; ++round) {
            const auto start = std::chrono::steady_clock::now();
            for (int i = 0; i < kPerRound; ++i)
                work();
            fastest = std::min(fastest, kd::bench::secondsSince(start) * 1e6 / kPerRound);
        }
        return fastest;
    };
    report["create_compare_us"] = timed([&] {
        if (api::compareObjects(zero, pod, createScope.schema).added.empty())
            fail("empty comparison");
    });
    json relabelledPlain = relabelled;
    relabelledPlain["metadata"].erase("managedFields");
    json createdPlain = created;
    createdPlain["metadata"].erase("managedFields");
    report["update_label_compare_us"] = timed([&] {
        if (api::compareObjects(createdPlain, relabelledPlain, labelScope.schema).modified.empty())
            fail("empty comparison");
    });
    const std::vector<std::string> portsPath{"spec", "containers", "ports"};
    report["list_shape_lookup_us"] = timed([&] {
        if (createScope.schema.shapeOf(portsPath).keys.empty())
            fail("ports are not a keyed list");
    });
    const json &port = pod["spec"]["containers"][0]["ports"][0];
    const std::vector<std::string> portKeys{"containerPort", "protocol"};
    report["key_element_us"] = timed([&] {
        if (api::FieldSet::keyElement(port, portKeys).empty())
            fail("no key element");
    });
    const json entries = created["metadata"]["managedFields"];
    report["managed_fields_decode_us"] = timed([&] {
        if (!mf::decode(entries))
            fail("decode failed");
    });
    const auto decoded = mf::decode(entries);
    // encode() takes its entries by value, so this includes copying them.
    report["managed_fields_copy_and_encode_us"] = timed([&] {
        if (mf::encode(*decoded).empty())
            fail("encode failed");
    });

    kd::bench::writeReport(report, jsonPath);
    return 0;
}
