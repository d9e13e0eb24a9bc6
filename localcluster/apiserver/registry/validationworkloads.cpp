// Workload rules (upstream's pkg/apis/apps/validation and pkg/apis/batch/validation): deployment
// strategies, job counts and immutable job fields, CronJob schedules and time zones, and what a
// StatefulSet update may change.

#include "validationrules.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace kd::lc::apiserver::registry::rules {

using nlohmann::json;

namespace {

const char *const kNonNegative = "must be greater than or equal to 0";

void nonNegative(Causes &causes, const json &spec, const char *key, const std::string &path)
{
    const json &value = member(spec, key);
    if (value.is_number() && value.get<double>() < 0)
        invalid(causes, path + "." + key, printed(value), kNonNegative);
}

// Go's %#v of an intstr.IntOrString value.
std::string goIntOrString(const json &value)
{
    if (value.is_string())
        return "intstr.IntOrString{Type:1, IntVal:0, StrVal:" + goQuoted(value.get<std::string>())
               + "}";
    return "intstr.IntOrString{Type:0, IntVal:"
           + (value.is_number_integer() ? value.dump() : std::string("0")) + ", StrVal:\"\"}";
}

bool isPercent(const std::string &text)
{
    return text.size() > 1 && text.back() == '%'
           && std::all_of(text.begin(), text.end() - 1,
                          [](char c) { return c >= '0' && c <= '9'; });
}

// getIntOrPercentValue: the number, or the percentage's number; 0 when it does not parse.
long long intOrPercentValue(const json &value)
{
    if (value.is_number_integer())
        return value.get<long long>();
    if (value.is_string() && isPercent(value.get<std::string>())) {
        const std::string digits = value.get<std::string>();
        return std::stoll(digits.substr(0, std::min<std::size_t>(digits.size() - 1, 15)));
    }
    return 0;
}

void positiveIntOrPercent(Causes &causes, const json &value, const std::string &field)
{
    if (value.is_string() && !isPercent(value.get<std::string>()))
        invalid(causes, field, goIntOrString(value),
                "a valid percent string must be a numeric string followed by an ending '%' "
                "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')");
    else if (value.is_number() && value.get<double>() < 0)
        invalid(causes, field, value.dump(), kNonNegative);
}

std::string joined(const std::vector<std::string> &fields)
{
    std::string text = "[";
    for (std::size_t i = 0; i < fields.size(); ++i)
        text += (i ? " " : "") + fields[i];
    return text + "]";
}

struct Bounds
{
    int min;
    int max;
    std::vector<std::string> names; // index + min is the value
};

// strconv.Atoi's error, as robfig/cron wraps it.
std::string parseNumber(const std::string &expression, const Bounds &bounds, int &out)
{
    std::string lower = expression;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    for (std::size_t i = 0; i < bounds.names.size(); ++i) {
        if (bounds.names[i] == lower) {
            out = int(i) + bounds.min;
            return {};
        }
    }
    std::size_t start = !expression.empty() && (expression[0] == '+' || expression[0] == '-');
    const bool digits = expression.size() > start
                        && std::all_of(expression.begin() + long(start), expression.end(),
                                       [](char c) { return c >= '0' && c <= '9'; });
    if (!digits)
        return "failed to parse int from " + expression + ": strconv.Atoi: parsing "
               + goQuoted(expression) + ": invalid syntax";
    if (expression.size() - start > 18)
        return "failed to parse int from " + expression + ": strconv.Atoi: parsing "
               + goQuoted(expression) + ": value out of range";
    const long long number = std::stoll(expression);
    if (number < 0)
        return "negative number (" + std::to_string(number) + ") not allowed: " + expression;
    out = number > 1000000 ? 1000000 : int(number);
    return {};
}

std::vector<std::string> split(const std::string &text, char separator)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t next = text.find(separator, start);
        parts.push_back(text.substr(start, next - start));
        if (next == std::string::npos)
            return parts;
        start = next + 1;
    }
}

// robfig/cron getRange for one comma-separated part of a field.
std::string checkRange(const std::string &expression, const Bounds &bounds)
{
    const auto rangeAndStep = split(expression, '/');
    const auto lowAndHigh = split(rangeAndStep[0], '-');
    int start = 0;
    int end = 0;
    if (lowAndHigh[0] == "*" || lowAndHigh[0] == "?") {
        start = bounds.min;
        end = bounds.max;
    } else {
        if (auto error = parseNumber(lowAndHigh[0], bounds, start); !error.empty())
            return error;
        if (lowAndHigh.size() == 1)
            end = start;
        else if (lowAndHigh.size() == 2) {
            if (auto error = parseNumber(lowAndHigh[1], bounds, end); !error.empty())
                return error;
        } else
            return "too many hyphens: " + expression;
    }
    int step = 1;
    if (rangeAndStep.size() == 2) {
        if (auto error = parseNumber(rangeAndStep[1], Bounds{0, 0, {}}, step); !error.empty())
            return error;
        if (lowAndHigh.size() == 1)
            end = bounds.max;
    } else if (rangeAndStep.size() > 2) {
        return "too many slashes: " + expression;
    }
    if (start < bounds.min)
        return "beginning of range (" + std::to_string(start) + ") below minimum ("
               + std::to_string(bounds.min) + "): " + expression;
    if (end > bounds.max)
        return "end of range (" + std::to_string(end) + ") above maximum ("
               + std::to_string(bounds.max) + "): " + expression;
    if (start > end)
        return "beginning of range (" + std::to_string(start) + ") beyond end of range ("
               + std::to_string(end) + "): " + expression;
    if (step == 0)
        return "step of range should be a positive number: " + expression;
    return {};
}

bool validDuration(const std::string &text)
{
    // Go's time.ParseDuration: [-+]?(number unit)+ with units ns us µs ms s m h, or "0".
    std::size_t i = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
    if (text.substr(i) == "0")
        return true;
    if (i >= text.size())
        return false;
    while (i < text.size()) {
        const std::size_t begin = i;
        while (i < text.size()
               && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
            ++i;
        if (i == begin)
            return false;
        bool unit = false;
        for (const char *u : {"ns", "us", "µs", "ms", "s", "m", "h"}) {
            if (text.compare(i, std::strlen(u), u) == 0) { // "ms" is tried before "m"
                i += std::strlen(u);
                unit = true;
                break;
            }
        }
        if (!unit)
            return false;
    }
    return true;
}

bool knownTimeZone(const std::string &zone)
{
    if (zone == "UTC")
        return true;
    std::error_code error;
    const std::filesystem::path root("/usr/share/zoneinfo");
    if (!std::filesystem::is_directory(root, error))
        return true; // no database here to judge by: accept what passed the character rules
    return std::filesystem::is_regular_file(root / zone, error);
}

void validateTimeZone(Causes &causes, const json &zone, const std::string &field)
{
    if (!zone.is_string())
        return;
    const std::string name = zone.get<std::string>();
    if (name.empty()) {
        invalid(causes, field, goQuoted(name), "timeZone must be nil or non-empty string");
        return;
    }
    for (const std::string &part : split(name, '/')) {
        const bool charset = !part.empty() && part.size() <= 14
                             && std::all_of(part.begin(), part.end(), [](char c) {
                                    return std::isalnum(static_cast<unsigned char>(c)) || c == '.'
                                           || c == '-' || c == '_' || c == '+';
                                });
        if (part == "." || part == ".." || part.starts_with("-") || !charset) {
            invalid(causes, field, goQuoted(name), "unknown time zone " + name);
            return;
        }
    }
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    if (lower == "local")
        invalid(causes, field, goQuoted(name),
                "timeZone must be an explicit time zone as defined in "
                "https://www.iana.org/time-zones");
    else if (!knownTimeZone(name))
        invalid(causes, field, goQuoted(name), "unknown time zone " + name);
}

} // namespace

std::string cronScheduleError(const std::string &scheduleText)
{
    std::string schedule = scheduleText;
    if (schedule.empty())
        return "empty spec string";
    if (schedule.starts_with("TZ=") || schedule.starts_with("CRON_TZ=")) {
        const std::size_t space = schedule.find(' ');
        const std::size_t equals = schedule.find('=');
        const std::string zone = schedule.substr(
            equals + 1, space == std::string::npos ? std::string::npos : space - equals - 1);
        if (!knownTimeZone(zone))
            return "provided bad location " + zone + ": unknown time zone " + zone;
        schedule = space == std::string::npos ? std::string() : schedule.substr(space + 1);
        while (!schedule.empty() && schedule.front() == ' ')
            schedule.erase(0, 1);
    }
    if (schedule.starts_with("@")) {
        for (const char *descriptor :
             {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}) {
            if (schedule == descriptor)
                return {};
        }
        if (schedule.starts_with("@every ")) {
            const std::string duration = schedule.substr(7);
            if (validDuration(duration))
                return {};
            return "failed to parse duration " + schedule + ": time: invalid duration "
                   + goQuoted(duration);
        }
        return "unrecognized descriptor: " + schedule;
    }
    std::vector<std::string> fields;
    std::istringstream words(schedule);
    for (std::string word; words >> word;)
        fields.push_back(word);
    if (fields.size() != 5)
        return "expected exactly 5 fields, found " + std::to_string(fields.size()) + ": "
               + joined(fields);
    static const std::vector<Bounds> bounds{
        {0, 59, {}},
        {0, 23, {}},
        {1, 31, {}},
        {1,
         12,
         {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
        {0, 6, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}}};
    for (std::size_t i = 0; i < fields.size(); ++i) {
        for (const std::string &part : split(fields[i], ',')) {
            if (auto error = checkRange(part, bounds[i]); !error.empty())
                return error;
        }
    }
    return {};
}

void validateDeploymentStrategy(Causes &causes, const json &spec)
{
    const json &strategy = member(spec, "strategy");
    if (!strategy.is_object())
        return;
    const json &type = member(strategy, "type");
    const json &rolling = member(strategy, "rollingUpdate");
    if (type == "Recreate") {
        if (!rolling.is_null())
            forbidden(causes, "spec.strategy.rollingUpdate",
                      "may not be specified when strategy `type` is 'Recreate'");
    } else if (type == "RollingUpdate") {
        if (!rolling.is_object())
            return;
        const json &maxUnavailable = member(rolling, "maxUnavailable");
        const json &maxSurge = member(rolling, "maxSurge");
        const std::string path = "spec.strategy.rollingUpdate";
        positiveIntOrPercent(causes, maxUnavailable, path + ".maxUnavailable");
        positiveIntOrPercent(causes, maxSurge, path + ".maxSurge");
        if (intOrPercentValue(maxUnavailable) == 0 && intOrPercentValue(maxSurge) == 0)
            invalid(causes, path + ".maxUnavailable", goIntOrString(maxUnavailable),
                    "may not be 0 when `maxSurge` is 0");
        if (maxUnavailable.is_string() && isPercent(maxUnavailable.get<std::string>())
            && intOrPercentValue(maxUnavailable) > 100)
            invalid(causes, path + ".maxUnavailable", goIntOrString(maxUnavailable),
                    "must not be greater than 100%");
    } else if (!type.is_null()) {
        const std::string typeText = type.is_string() ? type.get<std::string>() : type.dump();
        notSupported(causes, "spec.strategy",
                     "apps.DeploymentStrategy{Type:" + goQuoted(typeText) + ", RollingUpdate:"
                         + (rolling.is_null() ? "(*apps.RollingUpdateDeployment)(nil)"
                                              : "(*apps.RollingUpdateDeployment)(…)")
                         + "}",
                     {"Recreate", "RollingUpdate"});
    }
}

void validateJobSpec(Causes &causes, const json &spec)
{
    for (const char *key : {"parallelism", "completions", "activeDeadlineSeconds", "backoffLimit"})
        nonNegative(causes, spec, key, "spec");
}

void validateJobUpdate(Causes &causes, const json &job, const json &oldJob)
{
    const json &spec = member(job, "spec");
    const json &oldSpec = member(oldJob, "spec");
    const json &completions = member(spec, "completions");
    // Elastic indexed jobs scale completions together with parallelism.
    const bool elastic = member(spec, "completionMode") == "Indexed" && completions.is_number()
                         && completions == member(spec, "parallelism");
    if (!elastic && !semanticEqual(completions, member(oldSpec, "completions")))
        invalid(causes, "spec.completions", printed(completions), "field is immutable");
    // A suspended job that never started may still move its pods (scheduling directives).
    json oldTemplate = member(oldSpec, "template");
    const json &templ = member(spec, "template");
    const bool suspended = member(oldSpec, "suspend") == true;
    const bool started = !member(member(oldJob, "status"), "startTime").is_null();
    if (suspended && !started && oldTemplate.is_object()) {
        json &metadata = oldTemplate["metadata"];
        metadata["labels"] = member(member(templ, "metadata"), "labels");
        metadata["annotations"] = member(member(templ, "metadata"), "annotations");
        json &podSpec = oldTemplate["spec"];
        for (const char *key : {"nodeSelector", "tolerations", "affinity", "schedulingGates"})
            podSpec[key] = member(member(templ, "spec"), key);
    }
    if (!semanticEqual(templ, oldTemplate))
        invalid(causes, "spec.template", "core.PodTemplateSpec{…}", "field is immutable");
    const json &mode = member(spec, "completionMode");
    if (!semanticEqual(mode, member(oldSpec, "completionMode")))
        invalid(causes, "spec.completionMode", printed(mode), "field is immutable");
}

void validateCronJob(Causes &causes, const json &cronJob)
{
    const json &spec = member(cronJob, "spec");
    const json &schedule = member(spec, "schedule");
    const std::string scheduleText = schedule.is_string() ? schedule.get<std::string>() : "";
    if (scheduleText.empty()) {
        required(causes, "spec.schedule");
    } else {
        if (const std::string error = cronScheduleError(scheduleText); !error.empty())
            invalid(causes, "spec.schedule", goQuoted(scheduleText), error);
        if (scheduleText.find("TZ") != std::string::npos)
            invalid(causes, "spec.schedule", goQuoted(scheduleText),
                    "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
    }
    nonNegative(causes, spec, "startingDeadlineSeconds", "spec");
    const json &policy = member(spec, "concurrencyPolicy");
    if (policy == "")
        required(causes, "spec.concurrencyPolicy");
    else if (policy.is_string() && policy != "Allow" && policy != "Forbid" && policy != "Replace")
        notSupported(causes, "spec.concurrencyPolicy", printed(policy),
                     {"Allow", "Forbid", "Replace"});
    const json &podSpec
        = member(member(member(member(spec, "jobTemplate"), "spec"), "template"), "spec");
    const std::string podPath = "spec.jobTemplate.spec.template.spec";
    validatePodSpec(causes, podSpec, podPath);
    validateTemplateRestartPolicy(causes, podSpec, podPath, {"OnFailure", "Never"});
    nonNegative(causes, spec, "successfulJobsHistoryLimit", "spec");
    nonNegative(causes, spec, "failedJobsHistoryLimit", "spec");
    validateTimeZone(causes, member(spec, "timeZone"), "spec.timeZone");
}

void validateStatefulSetUpdate(Causes &causes, const json &spec, const json &oldSpec)
{
    if (!spec.is_object() || !oldSpec.is_object())
        return;
    json clone = spec;
    for (const char *key : {"replicas", "template", "updateStrategy", "minReadySeconds", "ordinals",
                            "revisionHistoryLimit", "persistentVolumeClaimRetentionPolicy"})
        clone[key] = member(oldSpec, key);
    if (!semanticEqual(clone, oldSpec))
        forbidden(causes, "spec",
                  "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                  "'template', 'updateStrategy', 'revisionHistoryLimit', "
                  "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
}

} // namespace kd::lc::apiserver::registry::rules
