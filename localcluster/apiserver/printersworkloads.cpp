// Row printers for workload kinds (apps, batch, autoscaling, policy), following upstream's
// printers column for column.

#include "printers.h"

#include <algorithm>
#include <cctype>

namespace kd::lc::apiserver::printers {

using core::util::TimePoint;
using nlohmann::json;

namespace {

void printDeployment(const json &d, TimePoint now, Row &row)
{
    const json &podSpec = at(d, {"spec", "template", "spec"});
    row.cells.push_back(text(d, {"metadata", "name"}));
    row.cells.push_back(std::to_string(integer(d, {"status", "readyReplicas"})) + "/"
                        + std::to_string(integer(d, {"spec", "replicas"}, 1)));
    row.cells.push_back(integer(d, {"status", "updatedReplicas"}));
    row.cells.push_back(integer(d, {"status", "availableReplicas"}));
    row.cells.push_back(age(d, now));
    row.cells.push_back(containerNames(podSpec));
    row.cells.push_back(containerImages(podSpec));
    // Deployments print the bare selector string, empty rather than <none>.
    row.cells.push_back(formatLabelSelector(at(d, {"spec", "selector"}), false));
}

void printReplicaSet(const json &rs, TimePoint now, Row &row)
{
    const json &podSpec = at(rs, {"spec", "template", "spec"});
    row.cells.push_back(text(rs, {"metadata", "name"}));
    row.cells.push_back(integer(rs, {"spec", "replicas"}, 1));
    row.cells.push_back(integer(rs, {"status", "replicas"}));
    row.cells.push_back(integer(rs, {"status", "readyReplicas"}));
    row.cells.push_back(age(rs, now));
    row.cells.push_back(containerNames(podSpec));
    row.cells.push_back(containerImages(podSpec));
    row.cells.push_back(formatLabelSelector(at(rs, {"spec", "selector"})));
}

void printStatefulSet(const json &sts, TimePoint now, Row &row)
{
    const json &podSpec = at(sts, {"spec", "template", "spec"});
    row.cells.push_back(text(sts, {"metadata", "name"}));
    row.cells.push_back(std::to_string(integer(sts, {"status", "readyReplicas"})) + "/"
                        + std::to_string(integer(sts, {"spec", "replicas"}, 1)));
    row.cells.push_back(age(sts, now));
    row.cells.push_back(containerNames(podSpec));
    row.cells.push_back(containerImages(podSpec));
}

void printDaemonSet(const json &ds, TimePoint now, Row &row)
{
    const json &podSpec = at(ds, {"spec", "template", "spec"});
    row.cells.push_back(text(ds, {"metadata", "name"}));
    row.cells.push_back(integer(ds, {"status", "desiredNumberScheduled"}));
    row.cells.push_back(integer(ds, {"status", "currentNumberScheduled"}));
    row.cells.push_back(integer(ds, {"status", "numberReady"}));
    row.cells.push_back(integer(ds, {"status", "updatedNumberScheduled"}));
    row.cells.push_back(integer(ds, {"status", "numberAvailable"}));
    row.cells.push_back(formatLabels(at(podSpec, {"nodeSelector"})));
    row.cells.push_back(age(ds, now));
    row.cells.push_back(containerNames(podSpec));
    row.cells.push_back(containerImages(podSpec));
    row.cells.push_back(formatLabelSelector(at(ds, {"spec", "selector"})));
}

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

void printControllerRevision(const json &cr, TimePoint now, Row &row)
{
    std::string controller = "<none>";
    for (const json &ref : items(cr, {"metadata", "ownerReferences"})) {
        if (!boolean(ref, {"controller"}))
            continue;
        const std::string apiVersion = text(ref, {"apiVersion"});
        const auto slash = apiVersion.find('/');
        const std::string group = slash == std::string::npos ? "" : apiVersion.substr(0, slash);
        controller = lower(text(ref, {"kind"})) + (group.empty() ? "" : "." + group) + "/"
                     + text(ref, {"name"});
        break;
    }
    row.cells.push_back(text(cr, {"metadata", "name"}));
    row.cells.push_back(controller);
    row.cells.push_back(integer(cr, {"revision"}));
    row.cells.push_back(age(cr, now));
}

// The first condition of this type decides, as upstream's hasJobCondition does.
bool hasCondition(const json &object, std::string_view type)
{
    for (const json &c : items(object, {"status", "conditions"}))
        if (text(c, {"type"}) == type)
            return text(c, {"status"}) == "True";
    return false;
}

void printJob(const json &job, TimePoint now, Row &row)
{
    const json &spec = at(job, {"spec"});
    const std::int64_t succeeded = integer(job, {"status", "succeeded"});
    std::string completions;
    if (at(spec, {"completions"}).is_number_integer()) {
        completions
            = std::to_string(succeeded) + "/" + std::to_string(integer(spec, {"completions"}));
    } else {
        const std::int64_t parallelism = integer(spec, {"parallelism"});
        completions = parallelism > 1
                          ? std::to_string(succeeded) + "/1 of " + std::to_string(parallelism)
                          : std::to_string(succeeded) + "/1";
    }

    std::string duration;
    const json &start = at(job, {"status", "startTime"});
    const json &end = at(job, {"status", "completionTime"});
    if (start.is_string()) {
        auto s = core::util::parseRfc3339(start.get_ref<const std::string &>());
        if (s) {
            TimePoint until = now;
            if (end.is_string())
                if (auto e = core::util::parseRfc3339(end.get_ref<const std::string &>()))
                    until = e.value();
            duration = core::util::humanDuration(until - s.value());
        }
    }

    std::string status = "Running";
    if (hasCondition(job, "Complete"))
        status = "Complete";
    else if (hasCondition(job, "Failed"))
        status = "Failed";
    else if (at(job, {"metadata", "deletionTimestamp"}).is_string())
        status = "Terminating";
    else if (hasCondition(job, "Suspended"))
        status = "Suspended";
    else if (hasCondition(job, "FailureTarget"))
        status = "FailureTarget";

    const json &podSpec = at(spec, {"template", "spec"});
    row.cells.push_back(text(job, {"metadata", "name"}));
    row.cells.push_back(status);
    row.cells.push_back(completions);
    row.cells.push_back(duration);
    row.cells.push_back(age(job, now));
    row.cells.push_back(containerNames(podSpec));
    row.cells.push_back(containerImages(podSpec));
    row.cells.push_back(formatLabelSelector(at(spec, {"selector"})));
}

void printCronJob(const json &cj, TimePoint now, Row &row)
{
    const json &spec = at(cj, {"spec"});
    const json &jobSpec = at(spec, {"jobTemplate", "spec"});
    const std::string timeZone = text(spec, {"timeZone"});
    const json &last = at(cj, {"status", "lastScheduleTime"});
    row.cells.push_back(text(cj, {"metadata", "name"}));
    row.cells.push_back(text(spec, {"schedule"}));
    row.cells.push_back(timeZone.empty() ? "<none>" : timeZone);
    // Upstream declares the column boolean but sends a word, "<unset>" when absent.
    const json &suspend = at(spec, {"suspend"});
    row.cells.push_back(!suspend.is_boolean() ? "<unset>" : suspend.get<bool>() ? "True" : "False");
    row.cells.push_back(static_cast<std::int64_t>(items(cj, {"status", "active"}).size()));
    row.cells.push_back(last.is_string() ? since(last, now) : std::string("<none>"));
    row.cells.push_back(age(cj, now));
    row.cells.push_back(containerNames(at(jobSpec, {"template", "spec"})));
    row.cells.push_back(containerImages(at(jobSpec, {"template", "spec"})));
    row.cells.push_back(formatLabelSelector(at(jobSpec, {"selector"})));
}

// One entry of the Targets cell for an autoscaling/v2 metric and its current status.
std::string metricTarget(const json &spec, const json &status)
{
    const std::string type = text(spec, {"type"});
    auto current = [&](const char *key, const char *field) {
        const std::string q = intOrString(at(status, {key, "current", field}));
        return q.empty() ? std::string("<unknown>") : q;
    };
    if (type == "External" || type == "Object") {
        const char *key = type == "External" ? "external" : "object";
        const json &target = at(spec, {key, "target"});
        if (!at(target, {"averageValue"}).is_null())
            return current(key, "averageValue") + "/" + intOrString(at(target, {"averageValue"}))
                   + " (avg)";
        const std::string cur = at(status, {key}).is_object()
                                    ? intOrString(at(status, {key, "current", "value"}))
                                    : std::string("<unknown>");
        return cur + "/" + intOrString(at(target, {"value"}));
    }
    if (type == "Pods")
        return current("pods", "averageValue") + "/"
               + intOrString(at(spec, {"pods", "target", "averageValue"}));
    if (type == "Resource" || type == "ContainerResource") {
        const char *key = type == "Resource" ? "resource" : "containerResource";
        const std::string name = text(spec, {key, "name"});
        const json &target = at(spec, {key, "target"});
        if (!at(target, {"averageValue"}).is_null())
            return name + ": " + current(key, "averageValue") + "/"
                   + intOrString(at(target, {"averageValue"}));
        std::string cur = "<unknown>";
        if (at(status, {key, "current", "averageUtilization"}).is_number_integer())
            cur = std::to_string(integer(status, {key, "current", "averageUtilization"})) + "%";
        std::string goal = "<auto>";
        if (at(target, {"averageUtilization"}).is_number_integer())
            goal = std::to_string(integer(target, {"averageUtilization"})) + "%";
        return name + ": " + cur + "/" + goal;
    }
    return "<unknown type>";
}

// autoscaling/v1 objects carry one CPU target; present them as the v2 metric they convert to.
json v1Metrics(const json &hpa, json &statuses)
{
    json metrics = json::array();
    if (!at(hpa, {"spec", "targetCPUUtilizationPercentage"}).is_number_integer())
        return metrics;
    metrics.push_back(
        {{"type", "Resource"},
         {"resource",
          {{"name", "cpu"},
           {"target",
            {{"type", "Utilization"},
             {"averageUtilization", integer(hpa, {"spec", "targetCPUUtilizationPercentage"})}}}}}});
    if (at(hpa, {"status", "currentCPUUtilizationPercentage"}).is_number_integer())
        statuses.push_back({{"type", "Resource"},
                            {"resource",
                             {{"name", "cpu"},
                              {"current",
                               {{"averageUtilization",
                                 integer(hpa, {"status", "currentCPUUtilizationPercentage"})}}}}}});
    return metrics;
}

void printHorizontalPodAutoscaler(const json &hpa, TimePoint now, Row &row)
{
    const json &spec = at(hpa, {"spec"});
    const std::string reference
        = text(spec, {"scaleTargetRef", "kind"}) + "/" + text(spec, {"scaleTargetRef", "name"});

    json v1Statuses = json::array();
    const json v1 = v1Metrics(hpa, v1Statuses);
    const json &metrics = v1.empty() ? items(spec, {"metrics"}) : v1;
    const json &statuses = v1.empty() ? items(hpa, {"status", "currentMetrics"}) : v1Statuses;

    std::string targets = "<none>";
    if (!metrics.empty()) {
        // At most two metrics, then how many more (formatHPAMetrics).
        constexpr std::size_t max = 2;
        std::vector<std::string> list;
        for (std::size_t i = 0; i < metrics.size() && i < max; ++i)
            list.push_back(metricTarget(metrics[i], i < statuses.size() ? statuses[i] : json()));
        targets = join(list, ", ");
        if (metrics.size() > max)
            targets += " + " + std::to_string(metrics.size() - max) + " more...";
    }

    row.cells.push_back(text(hpa, {"metadata", "name"}));
    row.cells.push_back(reference);
    row.cells.push_back(targets);
    row.cells.push_back(at(spec, {"minReplicas"}).is_number_integer()
                            ? std::to_string(integer(spec, {"minReplicas"}))
                            : std::string("<unset>"));
    row.cells.push_back(integer(spec, {"maxReplicas"}));
    row.cells.push_back(integer(hpa, {"status", "currentReplicas"}));
    row.cells.push_back(age(hpa, now));
}

void printPodDisruptionBudget(const json &pdb, TimePoint now, Row &row)
{
    const json &minAvailable = at(pdb, {"spec", "minAvailable"});
    const json &maxUnavailable = at(pdb, {"spec", "maxUnavailable"});
    row.cells.push_back(text(pdb, {"metadata", "name"}));
    row.cells.push_back(minAvailable.is_null() ? "N/A" : intOrString(minAvailable));
    row.cells.push_back(maxUnavailable.is_null() ? "N/A" : intOrString(maxUnavailable));
    row.cells.push_back(integer(pdb, {"status", "disruptionsAllowed"}));
    row.cells.push_back(age(pdb, now));
}

} // namespace

void addWorkloadPrinters(std::vector<Printer> &out)
{
    const TableColumn containers
        = column("Containers", "string", "Names of the containers in the pod template.", 1);
    const TableColumn images
        = column("Images", "string", "Images of the containers in the pod template.", 1);
    const TableColumn selector = column("Selector", "string", "Label selector of its pods.", 1);

    out.push_back({"apps",
                   "deployments",
                   {nameColumn(), column("Ready", "string", "Ready pods out of desired replicas."),
                    column("Up-to-date", "string", "Pods running the current template."),
                    column("Available", "string", "Pods available to serve."), ageColumn(),
                    containers, images, selector},
                   printDeployment});
    out.push_back({"apps",
                   "replicasets",
                   {nameColumn(), column("Desired", "integer", "Desired number of replicas."),
                    column("Current", "integer", "Replicas that exist."),
                    column("Ready", "integer", "Replicas that are ready."), ageColumn(), containers,
                    images, selector},
                   printReplicaSet});
    out.push_back({"apps",
                   "statefulsets",
                   {nameColumn(), column("Ready", "string", "Ready pods out of desired replicas."),
                    ageColumn(), containers, images},
                   printStatefulSet});
    out.push_back({"apps",
                   "daemonsets",
                   {nameColumn(), column("Desired", "integer", "Nodes that should run the pod."),
                    column("Current", "integer", "Nodes running the pod."),
                    column("Ready", "integer", "Nodes whose pod is ready."),
                    column("Up-to-date", "integer", "Nodes running the current template."),
                    column("Available", "integer", "Nodes whose pod is available."),
                    column("Node Selector", "string", "Node labels the pods are restricted to."),
                    ageColumn(), containers, images, selector},
                   printDaemonSet});
    out.push_back({"apps",
                   "controllerrevisions",
                   {nameColumn(), column("Controller", "string", "The owning controller."),
                    column("Revision", "string", "Revision number of the state."), ageColumn()},
                   printControllerRevision});
    out.push_back({"batch",
                   "jobs",
                   {nameColumn(), column("Status", "string", "Status of the job."),
                    column("Completions", "string", "Succeeded pods out of the completions."),
                    column("Duration", "string", "How long the job ran or has been running."),
                    ageColumn(), containers, images, selector},
                   printJob});
    out.push_back({"batch",
                   "cronjobs",
                   {nameColumn(), column("Schedule", "string", "The schedule in cron format."),
                    column("Timezone", "string", "Time zone the schedule is interpreted in."),
                    column("Suspend", "boolean", "Whether future runs are suspended."),
                    column("Active", "integer", "Jobs currently running."),
                    column("Last Schedule", "string", "Time since a job was last scheduled."),
                    ageColumn(), containers, images, selector},
                   printCronJob});
    out.push_back({"autoscaling",
                   "horizontalpodautoscalers",
                   {nameColumn(), column("Reference", "string", "The scaled workload."),
                    column("Targets", "string", "Current and target values of the metrics."),
                    column("MinPods", "string", "Lower replica limit."),
                    column("MaxPods", "string", "Upper replica limit."),
                    column("Replicas", "string", "Current number of replicas."), ageColumn()},
                   printHorizontalPodAutoscaler});
    out.push_back(
        {"policy",
         "poddisruptionbudgets",
         {nameColumn(), column("Min Available", "string", "Pods that must stay available."),
          column("Max Unavailable", "string", "Pods that may be unavailable."),
          column("Allowed Disruptions", "integer", "Pods that may be disrupted now."), ageColumn()},
         printPodDisruptionBudget});
}

} // namespace kd::lc::apiserver::printers
