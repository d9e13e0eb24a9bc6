#pragma once

#include <core/util/error.h>

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

// Internal to registry/validation*.cpp (not part of the public API): the cause builders that word
// a problem the way apimachinery's field.Error prints it ("<field>: <Type>[: <value>][:
// <detail>]"), a few JSON readers, and the per-group validators that validate() dispatches to. The
// validators see objects after defaulting; a field that defaulting fills is only checked when
// present, so that a caller validating a raw object is not told about fields the server would have
// set. Pure functions; any thread; never throw.
namespace kd::lc::apiserver::registry::rules {

using Causes = std::vector<core::util::Error::Cause>;

// field.Required / Forbidden / Invalid / NotSupported / Duplicate / NotFound. `value` is the bad
// value already printed as Go prints it (see printed()).
void required(Causes &causes, const std::string &field, const std::string &detail = {});
void forbidden(Causes &causes, const std::string &field, const std::string &detail);
void invalid(Causes &causes, const std::string &field, const std::string &value,
             const std::string &detail);
void notSupported(Causes &causes, const std::string &field, const std::string &value,
                  const std::vector<std::string> &supported);
void duplicate(Causes &causes, const std::string &field, const std::string &value);
void notFound(Causes &causes, const std::string &field, const std::string &value);

// Go's %q of a string (JSON escaping is the same for the printable ASCII users type).
std::string goQuoted(const std::string &text);
// A JSON scalar as a field error prints it: strings quoted, numbers and booleans bare, null as
// "null"; arrays and objects as their JSON text.
std::string printed(const nlohmann::json &value);

// The member `key` of `object`, or null when `object` is not an object or lacks it.
const nlohmann::json &member(const nlohmann::json &object, const char *key);
// The member `key` as a string, "" when absent or of another type.
std::string text(const nlohmann::json &object, const char *key);
// True when `key` is absent, null, "" or [].
bool missing(const nlohmann::json &object, const char *key);
// Equality as apimachinery's semantic DeepEqual sees two decoded objects: members that are
// null, false, "" or [] count as absent (Go's zero values and nil slices).
bool semanticEqual(const nlohmann::json &a, const nlohmann::json &b);
// A short diff of the top-level fields that differ, in the shape of the cmp.Diff that upstream
// appends to some Forbidden messages ("  core.PodSpec{\n- \tField: old,\n+ \tField: new,\n  }").
// The values are printed as JSON, not as Go literals.
std::string goDiff(const std::string &typeName, const nlohmann::json &before,
                   const nlohmann::json &after);

// metav1 ValidateLabels / core ValidateAnnotations: keys are qualified names ("prefix/name"),
// label values at most 63 characters of [-A-Za-z0-9_.] that start and end alphanumeric.
void validateLabels(Causes &causes, const nlohmann::json &labels, const std::string &path);
void validateAnnotations(Causes &causes, const nlohmann::json &annotations,
                         const std::string &path);

// Pod specs (validationpod.cpp). `path` is where the PodSpec sits ("spec",
// "spec.template.spec").
void validatePodSpec(Causes &causes, const nlohmann::json &spec, const std::string &path);
// The restartPolicy values a pod template's owner accepts (apps: "Always"; jobs: "OnFailure",
// "Never"); an absent policy is left to defaulting.
void validateTemplateRestartPolicy(Causes &causes, const nlohmann::json &podSpec,
                                   const std::string &path,
                                   const std::vector<std::string> &allowed);
// ValidatePodUpdate: what may change in a running pod's spec.
void validatePodUpdate(Causes &causes, const nlohmann::json &spec, const nlohmann::json &oldSpec);

// Workloads (validationworkloads.cpp).
void validateDeploymentStrategy(Causes &causes, const nlohmann::json &spec);
void validateJobSpec(Causes &causes, const nlohmann::json &spec);
void validateJobUpdate(Causes &causes, const nlohmann::json &job, const nlohmann::json &oldJob);
void validateCronJob(Causes &causes, const nlohmann::json &cronJob);
void validateStatefulSetUpdate(Causes &causes, const nlohmann::json &spec,
                               const nlohmann::json &oldSpec);
// robfig/cron's standard parser as CronJob uses it: "" when `schedule` parses, else its error.
std::string cronScheduleError(const std::string &schedule);

// Services, configuration, storage and RBAC (validationupdate.cpp).
void validateServiceSpec(Causes &causes, const nlohmann::json &spec);
void validateServiceUpdate(Causes &causes, const nlohmann::json &spec,
                           const nlohmann::json &oldSpec);
void validateConfigUpdate(Causes &causes, const nlohmann::json &object, const nlohmann::json &old,
                          bool secret);
void validatePersistentVolumeClaimUpdate(Causes &causes, const nlohmann::json &claim,
                                         const nlohmann::json &oldClaim);
void validateStorageClassUpdate(Causes &causes, const nlohmann::json &object,
                                const nlohmann::json &old);
void validateRoleBindingUpdate(Causes &causes, const nlohmann::json &object,
                               const nlohmann::json &old);

} // namespace kd::lc::apiserver::registry::rules
