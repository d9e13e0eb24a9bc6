// Row printers for core/v1 kinds, following upstream's printers so that `kubectl get` shows the
// same cells against the bundled cluster as against a real one.

#include "printers.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace kd::lc::apiserver::printers {

using core::util::TimePoint;
using nlohmann::json;

namespace {

bool conditionTrue(const json &conditions, std::string_view type)
{
    if (!conditions.is_array())
        return false;
    for (const json &c : conditions)
        if (text(c, {"type"}) == type)
            return text(c, {"status"}) == "True";
    return false;
}

bool restartableInit(const json &podSpec, const std::string &name)
{
    for (const json &c : items(podSpec, {"initContainers"}))
        if (text(c, {"name"}) == name)
            return text(c, {"restartPolicy"}) == "Always";
    return false;
}

// Keeps the latest of two RFC 3339 timestamps; both spellings compare in time order only after
// parsing, so parse.
void latest(const json &candidate, TimePoint &best, bool &found)
{
    if (!candidate.is_string())
        return;
    auto t = core::util::parseRfc3339(candidate.get_ref<const std::string &>());
    if (t && (!found || t.value() > best)) {
        best = t.value();
        found = true;
    }
}

void printPod(const json &pod, TimePoint now, Row &row)
{
    const json &spec = at(pod, {"spec"});
    const json &status = at(pod, {"status"});
    const json &conditions = at(status, {"conditions"});
    const std::string phase = text(status, {"phase"});

    std::int64_t restarts = 0;
    std::int64_t restartableRestarts = 0;
    std::size_t total = items(spec, {"containers"}).size();
    std::size_t ready = 0;
    TimePoint lastRestart{};
    bool haveLastRestart = false;
    TimePoint lastRestartableRestart{};
    bool haveLastRestartableRestart = false;

    std::string reason = text(status, {"reason"}).empty() ? phase : text(status, {"reason"});
    for (const json &c : items(status, {"conditions"}))
        if (text(c, {"type"}) == "PodScheduled" && text(c, {"reason"}) == "SchedulingGated")
            reason = "SchedulingGated";

    if (phase == "Succeeded")
        row.conditions = json::array({{{"type", "Completed"},
                                       {"status", "True"},
                                       {"reason", "Succeeded"},
                                       {"message", "All containers of the pod succeeded."}}});
    else if (phase == "Failed")
        row.conditions = json::array({{{"type", "Completed"},
                                       {"status", "True"},
                                       {"reason", "Failed"},
                                       {"message", "The pod terminated in failure."}}});

    const json &initSpecs = items(spec, {"initContainers"});
    for (const json &c : initSpecs)
        if (text(c, {"restartPolicy"}) == "Always")
            ++total; // sidecars count as containers of the running pod

    bool initializing = false;
    const json &initStatuses = items(status, {"initContainerStatuses"});
    for (std::size_t i = 0; i < initStatuses.size(); ++i) {
        const json &c = initStatuses[i];
        const std::string name = text(c, {"name"});
        const bool sidecar = restartableInit(spec, name);
        restarts += integer(c, {"restartCount"});
        latest(at(c, {"lastState", "terminated", "finishedAt"}), lastRestart, haveLastRestart);
        if (sidecar) {
            restartableRestarts += integer(c, {"restartCount"});
            latest(at(c, {"lastState", "terminated", "finishedAt"}), lastRestartableRestart,
                   haveLastRestartableRestart);
        }
        const json &terminated = at(c, {"state", "terminated"});
        const json &waiting = at(c, {"state", "waiting"});
        if (terminated.is_object() && integer(terminated, {"exitCode"}) == 0)
            continue;
        if (sidecar && boolean(c, {"started"})) {
            if (boolean(c, {"ready"}))
                ++ready;
            continue;
        }
        if (terminated.is_object()) {
            const std::string r = text(terminated, {"reason"});
            if (r.empty()) {
                const std::int64_t signal = integer(terminated, {"signal"});
                reason = signal != 0
                             ? "Init:Signal:" + std::to_string(signal)
                             : "Init:ExitCode:" + std::to_string(integer(terminated, {"exitCode"}));
            } else {
                reason = "Init:" + r;
            }
        } else if (waiting.is_object() && !text(waiting, {"reason"}).empty()
                   && text(waiting, {"reason"}) != "PodInitializing") {
            reason = "Init:" + text(waiting, {"reason"});
        } else {
            reason = "Init:" + std::to_string(i) + "/" + std::to_string(initSpecs.size());
        }
        initializing = true;
        break;
    }

    if (!initializing || conditionTrue(conditions, "Initialized")) {
        restarts = restartableRestarts;
        lastRestart = lastRestartableRestart;
        haveLastRestart = haveLastRestartableRestart;
        bool hasRunning = false;
        const json &statuses = items(status, {"containerStatuses"});
        // The last container's state wins, so walk backwards as upstream does.
        for (auto it = statuses.rbegin(); it != statuses.rend(); ++it) {
            const json &c = *it;
            restarts += integer(c, {"restartCount"});
            latest(at(c, {"lastState", "terminated", "finishedAt"}), lastRestart, haveLastRestart);
            const json &waiting = at(c, {"state", "waiting"});
            const json &terminated = at(c, {"state", "terminated"});
            if (waiting.is_object() && !text(waiting, {"reason"}).empty()) {
                reason = text(waiting, {"reason"});
            } else if (terminated.is_object() && !text(terminated, {"reason"}).empty()) {
                reason = text(terminated, {"reason"});
            } else if (terminated.is_object()) {
                const std::int64_t signal = integer(terminated, {"signal"});
                reason = signal != 0
                             ? "Signal:" + std::to_string(signal)
                             : "ExitCode:" + std::to_string(integer(terminated, {"exitCode"}));
            } else if (boolean(c, {"ready"}) && at(c, {"state", "running"}).is_object()) {
                hasRunning = true;
                ++ready;
            }
        }
        if (reason == "Completed" && hasRunning)
            reason = conditionTrue(conditions, "Ready") ? "Running" : "NotReady";
    }

    const bool deleting = at(pod, {"metadata", "deletionTimestamp"}).is_string();
    if (deleting && text(status, {"reason"}) == "NodeLost")
        reason = "Unknown";
    else if (deleting && phase != "Succeeded" && phase != "Failed")
        reason = "Terminating";

    std::string restartsText = std::to_string(restarts);
    if (restarts != 0 && haveLastRestart)
        restartsText += " (" + core::util::humanDuration(now - lastRestart) + " ago)";

    row.cells.push_back(text(pod, {"metadata", "name"}));
    row.cells.push_back(std::to_string(ready) + "/" + std::to_string(total));
    row.cells.push_back(reason);
    row.cells.push_back(restartsText);
    row.cells.push_back(age(pod, now));

    std::string ip;
    if (const json &ips = items(status, {"podIPs"}); !ips.empty())
        ip = text(ips[0], {"ip"});
    std::string node = text(spec, {"nodeName"});
    std::string nominated = text(status, {"nominatedNodeName"});
    std::string gates = "<none>";
    if (const json &g = items(spec, {"readinessGates"}); !g.empty()) {
        std::size_t trueCount = 0;
        for (const json &gate : g)
            if (conditionTrue(conditions, text(gate, {"conditionType"})))
                ++trueCount;
        gates = std::to_string(trueCount) + "/" + std::to_string(g.size());
    }
    row.cells.push_back(ip.empty() ? "<none>" : ip);
    row.cells.push_back(node.empty() ? "<none>" : node);
    row.cells.push_back(nominated.empty() ? "<none>" : nominated);
    row.cells.push_back(gates);
}

void printService(const json &svc, TimePoint now, Row &row)
{
    const json &spec = at(svc, {"spec"});
    const std::string type = text(spec, {"type"});
    std::string clusterIP = "<none>";
    if (const json &ips = items(spec, {"clusterIPs"}); !ips.empty() && ips[0].is_string())
        clusterIP = ips[0].get<std::string>();

    std::vector<std::string> externalIPs;
    for (const json &ip : items(spec, {"externalIPs"}))
        if (ip.is_string())
            externalIPs.push_back(ip.get<std::string>());
    std::string external;
    if (type == "ClusterIP" || type == "NodePort") {
        external = externalIPs.empty() ? "<none>" : join(externalIPs, ",");
    } else if (type == "LoadBalancer") {
        const std::vector<std::string> lb
            = loadBalancerAddresses(at(svc, {"status", "loadBalancer", "ingress"}));
        if (!externalIPs.empty()) {
            std::vector<std::string> all = lb;
            all.insert(all.end(), externalIPs.begin(), externalIPs.end());
            external = join(all, ",");
        } else {
            external = lb.empty() ? "<pending>" : join(lb, ",");
        }
    } else if (type == "ExternalName") {
        external = text(spec, {"externalName"});
    } else {
        external = "<unknown>";
    }

    std::vector<std::string> ports;
    for (const json &p : items(spec, {"ports"})) {
        std::string s = std::to_string(integer(p, {"port"}));
        if (const std::int64_t nodePort = integer(p, {"nodePort"}); nodePort > 0)
            s += ":" + std::to_string(nodePort);
        ports.push_back(s + "/" + text(p, {"protocol"}));
    }

    row.cells.push_back(text(svc, {"metadata", "name"}));
    row.cells.push_back(type);
    row.cells.push_back(clusterIP);
    row.cells.push_back(external);
    row.cells.push_back(ports.empty() ? "<none>" : join(ports, ","));
    row.cells.push_back(age(svc, now));
    row.cells.push_back(formatLabels(at(spec, {"selector"})));
}

std::string nodeAddress(const json &node, std::string_view type)
{
    for (const json &a : items(node, {"status", "addresses"}))
        if (text(a, {"type"}) == type)
            return text(a, {"address"});
    return "<none>";
}

void printNode(const json &node, TimePoint now, Row &row)
{
    std::vector<std::string> status;
    for (const json &c : items(node, {"status", "conditions"}))
        if (text(c, {"type"}) == "Ready") {
            status = {text(c, {"status"}) == "True" ? "Ready" : "NotReady"};
            break;
        }
    if (status.empty())
        status.push_back("Unknown");
    if (boolean(node, {"spec", "unschedulable"}))
        status.push_back("SchedulingDisabled");

    std::set<std::string> roles;
    const json &labels = at(node, {"metadata", "labels"});
    if (labels.is_object())
        for (auto it = labels.begin(); it != labels.end(); ++it) {
            constexpr std::string_view prefix = "node-role.kubernetes.io/";
            if (it.key().starts_with(prefix) && it.key().size() > prefix.size())
                roles.insert(it.key().substr(prefix.size()));
            else if (it.key() == "kubernetes.io/role" && it->is_string()
                     && !it->get<std::string>().empty())
                roles.insert(it->get<std::string>());
        }
    const std::string rolesText
        = roles.empty() ? "<none>"
                        : join(std::vector<std::string>(roles.begin(), roles.end()), ",");

    auto orUnknown = [](std::string s) { return s.empty() ? std::string("<unknown>") : s; };
    const json &info = at(node, {"status", "nodeInfo"});
    row.cells.push_back(text(node, {"metadata", "name"}));
    row.cells.push_back(join(status, ","));
    row.cells.push_back(rolesText);
    row.cells.push_back(age(node, now));
    row.cells.push_back(text(info, {"kubeletVersion"}));
    row.cells.push_back(nodeAddress(node, "InternalIP"));
    row.cells.push_back(nodeAddress(node, "ExternalIP"));
    row.cells.push_back(orUnknown(text(info, {"osImage"})));
    row.cells.push_back(orUnknown(text(info, {"kernelVersion"})));
    row.cells.push_back(orUnknown(text(info, {"containerRuntimeVersion"})));
}

void printNamespace(const json &ns, TimePoint now, Row &row)
{
    row.cells.push_back(text(ns, {"metadata", "name"}));
    row.cells.push_back(text(ns, {"status", "phase"}));
    row.cells.push_back(age(ns, now));
}

void printConfigMap(const json &cm, TimePoint now, Row &row)
{
    row.cells.push_back(text(cm, {"metadata", "name"}));
    row.cells.push_back(static_cast<std::int64_t>(count(cm, {"data"}) + count(cm, {"binaryData"})));
    row.cells.push_back(age(cm, now));
}

void printSecret(const json &secret, TimePoint now, Row &row)
{
    row.cells.push_back(text(secret, {"metadata", "name"}));
    row.cells.push_back(text(secret, {"type"}));
    row.cells.push_back(static_cast<std::int64_t>(count(secret, {"data"})));
    row.cells.push_back(age(secret, now));
}

void printServiceAccount(const json &sa, TimePoint now, Row &row)
{
    row.cells.push_back(text(sa, {"metadata", "name"}));
    row.cells.push_back(static_cast<std::int64_t>(count(sa, {"secrets"})));
    row.cells.push_back(age(sa, now));
}

std::string hostPort(const std::string &ip, std::int64_t port)
{
    const std::string p = std::to_string(port);
    return ip.find(':') != std::string::npos ? "[" + ip + "]:" + p : ip + ":" + p;
}

void printEndpoints(const json &ep, TimePoint now, Row &row)
{
    const json &subsets = items(ep, {"subsets"});
    std::string cell;
    if (subsets.empty()) {
        cell = "<none>";
    } else {
        // At most three addresses, then how many more (formatEndpoints).
        constexpr std::size_t max = 3;
        std::vector<std::string> list;
        std::size_t total = 0;
        bool more = false;
        for (const json &ss : subsets) {
            const json &addresses = items(ss, {"addresses"});
            const json &ports = items(ss, {"ports"});
            if (ports.empty()) {
                total += addresses.size();
                for (const json &a : addresses) {
                    if (list.size() == max) {
                        more = true;
                        break;
                    }
                    list.push_back(text(a, {"ip"}));
                }
                continue;
            }
            for (const json &p : ports) {
                total += addresses.size();
                for (const json &a : addresses) {
                    if (list.size() == max) {
                        more = true;
                        break;
                    }
                    list.push_back(hostPort(text(a, {"ip"}), integer(p, {"port"})));
                }
            }
        }
        cell = join(list, ",");
        if (more)
            cell += " + " + std::to_string(total - max) + " more...";
    }
    row.cells.push_back(text(ep, {"metadata", "name"}));
    row.cells.push_back(cell);
    row.cells.push_back(age(ep, now));
}

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string trimSpace(const std::string &s)
{
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos)
        return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

void printEvent(const json &ev, TimePoint now, Row &row)
{
    std::string first = since(at(ev, {"firstTimestamp"}), now);
    if (!at(ev, {"firstTimestamp"}).is_string())
        first = since(at(ev, {"eventTime"}), now);
    std::string last
        = at(ev, {"lastTimestamp"}).is_string() ? since(at(ev, {"lastTimestamp"}), now) : first;
    std::int64_t n = integer(ev, {"count"});
    if (at(ev, {"series"}).is_object()) {
        last = since(at(ev, {"series", "lastObservedTime"}), now);
        n = integer(ev, {"series", "count"});
    } else if (n == 0) {
        n = 1; // events written through events.k8s.io carry no count
    }
    const json &involved = at(ev, {"involvedObject"});
    std::string target = lower(text(involved, {"kind"}));
    if (!text(involved, {"name"}).empty())
        target += "/" + text(involved, {"name"});

    std::string component = text(ev, {"source", "component"});
    if (component.empty())
        component = text(ev, {"reportingComponent"});
    std::string host = text(ev, {"source", "host"});
    if (host.empty())
        host = text(ev, {"reportingInstance"});
    const std::string source = host.empty() ? component : component + ", " + host;

    row.cells.push_back(last);
    row.cells.push_back(text(ev, {"type"}));
    row.cells.push_back(text(ev, {"reason"}));
    row.cells.push_back(target);
    row.cells.push_back(text(involved, {"fieldPath"}));
    row.cells.push_back(source);
    row.cells.push_back(trimSpace(text(ev, {"message"})));
    row.cells.push_back(first);
    row.cells.push_back(n);
    row.cells.push_back(text(ev, {"metadata", "name"}));
}

std::string accessModes(const json &modes)
{
    static const std::vector<std::pair<std::string, std::string>> order{
        {"ReadWriteOnce", "RWO"},
        {"ReadOnlyMany", "ROX"},
        {"ReadWriteMany", "RWX"},
        {"ReadWriteOncePod", "RWOP"}};
    std::vector<std::string> out;
    for (const auto &[mode, abbreviation] : order)
        for (const json &m : items(modes, {}))
            if (m.is_string() && m.get<std::string>() == mode) {
                out.push_back(abbreviation);
                break;
            }
    return join(out, ",");
}

std::string storageClassOf(const json &object)
{
    // The beta annotation still wins over the field, as upstream's helpers decide.
    const json &annotation
        = at(object, {"metadata", "annotations", "volume.beta.kubernetes.io/storage-class"});
    if (annotation.is_string())
        return annotation.get<std::string>();
    return text(object, {"spec", "storageClassName"});
}

// A quantity as stored; an absent one prints as Go's zero Quantity does.
std::string quantity(const json &value)
{
    const std::string q = intOrString(value);
    return q.empty() ? "0" : q;
}

void printPersistentVolume(const json &pv, TimePoint now, Row &row)
{
    const json &spec = at(pv, {"spec"});
    std::string claim;
    if (at(spec, {"claimRef"}).is_object())
        claim = text(spec, {"claimRef", "namespace"}) + "/" + text(spec, {"claimRef", "name"});
    std::string phase = text(pv, {"status", "phase"});
    if (at(pv, {"metadata", "deletionTimestamp"}).is_string())
        phase = "Terminating";
    const std::string vac = text(spec, {"volumeAttributesClassName"});
    const std::string mode = text(spec, {"volumeMode"});
    row.cells.push_back(text(pv, {"metadata", "name"}));
    row.cells.push_back(quantity(at(spec, {"capacity", "storage"})));
    row.cells.push_back(accessModes(at(spec, {"accessModes"})));
    row.cells.push_back(text(spec, {"persistentVolumeReclaimPolicy"}));
    row.cells.push_back(phase);
    row.cells.push_back(claim);
    row.cells.push_back(storageClassOf(pv));
    row.cells.push_back(vac.empty() ? "<unset>" : vac);
    row.cells.push_back(text(pv, {"status", "reason"}));
    row.cells.push_back(age(pv, now));
    row.cells.push_back(mode.empty() ? "<unset>" : mode);
}

void printPersistentVolumeClaim(const json &pvc, TimePoint now, Row &row)
{
    const json &spec = at(pvc, {"spec"});
    std::string phase = text(pvc, {"status", "phase"});
    if (at(pvc, {"metadata", "deletionTimestamp"}).is_string())
        phase = "Terminating";
    std::string capacity;
    std::string modes;
    if (!text(spec, {"volumeName"}).empty()) {
        capacity = quantity(at(pvc, {"status", "capacity", "storage"}));
        modes = accessModes(at(pvc, {"status", "accessModes"}));
    }
    const std::string vac = text(spec, {"volumeAttributesClassName"});
    const std::string mode = text(spec, {"volumeMode"});
    row.cells.push_back(text(pvc, {"metadata", "name"}));
    row.cells.push_back(phase);
    row.cells.push_back(text(spec, {"volumeName"}));
    row.cells.push_back(capacity);
    row.cells.push_back(modes);
    row.cells.push_back(storageClassOf(pvc));
    row.cells.push_back(vac.empty() ? "<unset>" : vac);
    row.cells.push_back(age(pvc, now));
    row.cells.push_back(mode.empty() ? "<unset>" : mode);
}

void printResourceQuota(const json &quota, TimePoint now, Row &row)
{
    std::vector<std::string> requests;
    std::vector<std::string> limits;
    const json &hard = at(quota, {"status", "hard"});
    if (hard.is_object())
        for (auto it = hard.begin(); it != hard.end(); ++it) { // keys arrive sorted
            const std::string entry = it.key() + ": "
                                      + quantity(at(quota, {"status", "used", it.key()})) + "/"
                                      + quantity(*it);
            if (it.key().starts_with("limits."))
                limits.push_back(entry);
            else
                requests.push_back(entry);
        }
    row.cells.push_back(text(quota, {"metadata", "name"}));
    row.cells.push_back(join(requests, ", "));
    row.cells.push_back(join(limits, ", "));
    row.cells.push_back(age(quota, now));
}

void printReplicationController(const json &rc, TimePoint now, Row &row)
{
    const json &podSpec = at(rc, {"spec", "template", "spec"});
    row.cells.push_back(text(rc, {"metadata", "name"}));
    row.cells.push_back(integer(rc, {"spec", "replicas"}, 1));
    row.cells.push_back(integer(rc, {"status", "replicas"}));
    row.cells.push_back(integer(rc, {"status", "readyReplicas"}));
    row.cells.push_back(age(rc, now));
    row.cells.push_back(containerNames(podSpec));
    row.cells.push_back(containerImages(podSpec));
    row.cells.push_back(formatLabels(at(rc, {"spec", "selector"})));
}

void printPodTemplate(const json &pt, TimePoint, Row &row)
{
    const json &podSpec = at(pt, {"template", "spec"});
    row.cells.push_back(text(pt, {"metadata", "name"}));
    row.cells.push_back(containerNames(podSpec));
    row.cells.push_back(containerImages(podSpec));
    row.cells.push_back(formatLabels(at(pt, {"template", "metadata", "labels"})));
}

} // namespace

void addCorePrinters(std::vector<Printer> &out)
{
    const TableColumn containers
        = column("Containers", "string", "Names of the containers in the pod template.", 1);
    const TableColumn images
        = column("Images", "string", "Images of the containers in the pod template.", 1);

    out.push_back(
        {"",
         "pods",
         {nameColumn(), column("Ready", "string", "Ready containers out of all containers."),
          column("Status", "string", "Summary of the pod's phase and container states."),
          column("Restarts", "string",
                 "Container restarts, with the time since the most recent one."),
          ageColumn(), column("IP", "string", "The pod's IP address in the cluster network.", 1),
          column("Node", "string", "The node the pod is bound to.", 1),
          column("Nominated Node", "string",
                 "The node the scheduler nominated after preempting other pods.", 1),
          column("Readiness Gates", "string",
                 "Readiness gates whose condition is True, out of all gates.", 1)},
         printPod});
    out.push_back(
        {"",
         "services",
         {nameColumn(), column("Type", "string", "How the service is exposed."),
          column("Cluster-IP", "string", "The virtual IP inside the cluster."),
          column("External-IP", "string", "Addresses outside the cluster that reach the service."),
          column("Port(s)", "string", "Service ports, with node ports where allocated."),
          ageColumn(),
          column("Selector", "string", "Labels of the pods that back the service.", 1)},
         printService});
    out.push_back(
        {"",
         "nodes",
         {nameColumn(), column("Status", "string", "Readiness and schedulability of the node."),
          column("Roles", "string", "Roles from node-role.kubernetes.io labels."), ageColumn(),
          column("Version", "string", "Version of the node's kubelet."),
          column("Internal-IP", "string", "The node's InternalIP address.", 1),
          column("External-IP", "string", "The node's ExternalIP address.", 1),
          column("OS-Image", "string", "Operating system image the node reports.", 1),
          column("Kernel-Version", "string", "Kernel version the node reports.", 1),
          column("Container-Runtime", "string", "Container runtime name and version.", 1)},
         printNode});
    out.push_back(
        {"",
         "namespaces",
         {nameColumn(), column("Status", "string", "Phase of the namespace."), ageColumn()},
         printNamespace});
    out.push_back({"",
                   "configmaps",
                   {nameColumn(), column("Data", "string", "Number of data and binaryData keys."),
                    ageColumn()},
                   printConfigMap});
    out.push_back({"",
                   "secrets",
                   {nameColumn(), column("Type", "string", "Type of the secret."),
                    column("Data", "string", "Number of data keys."), ageColumn()},
                   printSecret});
    out.push_back(
        {"",
         "serviceaccounts",
         {nameColumn(), column("Secrets", "string", "Number of referenced secrets."), ageColumn()},
         printServiceAccount});
    out.push_back(
        {"",
         "endpoints",
         {nameColumn(), column("Endpoints", "string", "Ready addresses with their ports."),
          ageColumn()},
         printEndpoints});
    out.push_back(
        {"",
         "events",
         {column("Last Seen", "string", "Time since the event was last observed."),
          column("Type", "string", "Normal or Warning."),
          column("Reason", "string", "Short machine-readable reason."),
          column("Object", "string", "The object the event is about."),
          column("Subobject", "string", "The part of the object, such as a container.", 1),
          column("Source", "string", "The component that reported the event.", 1),
          column("Message", "string", "Human-readable description."),
          column("First Seen", "string", "Time since the event was first observed.", 1),
          column("Count", "string", "How often the event occurred.", 1),
          {"Name", "string", "name", "Name of the event object.", 1}},
         printEvent});
    out.push_back(
        {"",
         "persistentvolumes",
         {nameColumn(), column("Capacity", "string", "Storage capacity of the volume."),
          column("Access Modes", "string", "Ways the volume can be mounted."),
          column("Reclaim Policy", "string", "What happens to the volume when released."),
          column("Status", "string", "Phase of the volume."),
          column("Claim", "string", "The claim bound to the volume."),
          column("StorageClass", "string", "Storage class of the volume."),
          column("VolumeAttributesClass", "string", "Volume attributes class of the volume."),
          column("Reason", "string", "Why the volume is in this phase."), ageColumn(),
          column("VolumeMode", "string", "Filesystem or Block.", 1)},
         printPersistentVolume});
    out.push_back(
        {"",
         "persistentvolumeclaims",
         {nameColumn(), column("Status", "string", "Phase of the claim."),
          column("Volume", "string", "The volume bound to the claim."),
          column("Capacity", "string", "Capacity of the bound volume."),
          column("Access Modes", "string", "Access modes of the bound volume."),
          column("StorageClass", "string", "Storage class requested by the claim."),
          column("VolumeAttributesClass", "string", "Volume attributes class of the claim."),
          ageColumn(), column("VolumeMode", "string", "Filesystem or Block.", 1)},
         printPersistentVolumeClaim});
    out.push_back({"",
                   "resourcequotas",
                   {nameColumn(), column("Request", "string", "Used and hard request quotas."),
                    column("Limit", "string", "Used and hard limit quotas."), ageColumn()},
                   printResourceQuota});
    out.push_back({"",
                   "replicationcontrollers",
                   {nameColumn(), column("Desired", "integer", "Desired number of replicas."),
                    column("Current", "integer", "Replicas that exist."),
                    column("Ready", "integer", "Replicas that are ready."), ageColumn(), containers,
                    images, column("Selector", "string", "Labels of the pods it manages.", 1)},
                   printReplicationController});
    out.push_back({"",
                   "podtemplates",
                   {nameColumn(), column("Containers", "string", "Names of the containers."),
                    column("Images", "string", "Images of the containers."),
                    column("Pod Labels", "string", "Labels of the pod template.")},
                   printPodTemplate});
}

} // namespace kd::lc::apiserver::printers
