#pragma once

// Internal to the API server's Table support: per-kind row printers and the small helpers they
// share. Not part of the public API; table.cpp is the only user.

#include "table.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace kd::lc::apiserver::printers {

struct Row
{
    nlohmann::json cells = nlohmann::json::array();
    nlohmann::json conditions; // null when the row has none
};

using PrintFunction = void (*)(const nlohmann::json &object, core::util::TimePoint now, Row &row);

// A built-in kind's columns and row printer; columns and cells line up one to one.
struct Printer
{
    std::string group;
    std::string resource;
    std::vector<TableColumn> columns;
    PrintFunction print = nullptr;
};

// Printers of each API group family; table.cpp collects them once.
void addCorePrinters(std::vector<Printer> &out);
void addWorkloadPrinters(std::vector<Printer> &out);
void addOtherPrinters(std::vector<Printer> &out);

// Columns shared by most printers.
TableColumn nameColumn();
TableColumn ageColumn();
TableColumn column(std::string name, std::string type, std::string description, int priority = 0);

// Field access that tolerates absent or mistyped fields, returning upstream's zero values.
const nlohmann::json &at(const nlohmann::json &object,
                         std::initializer_list<std::string_view> path);
std::string text(const nlohmann::json &object, std::initializer_list<std::string_view> path);
std::int64_t integer(const nlohmann::json &object, std::initializer_list<std::string_view> path,
                     std::int64_t fallback = 0);
bool boolean(const nlohmann::json &object, std::initializer_list<std::string_view> path);
std::size_t count(const nlohmann::json &object, std::initializer_list<std::string_view> path);
const nlohmann::json &items(const nlohmann::json &object,
                            std::initializer_list<std::string_view> path); // array or empty

// "5m", "<unknown>" for an absent or unparsable timestamp (translateTimestampSince).
std::string since(const nlohmann::json &timestamp, core::util::TimePoint now);
std::string age(const nlohmann::json &object, core::util::TimePoint now);
// Sorted "k=v,k2=v2", "<none>" when empty (labels.FormatLabels).
std::string formatLabels(const nlohmann::json &labels);
// A LabelSelector as a selector string ("app=web,tier in (a,b)"); noneIfEmpty gives "<none>"
// for an absent or empty selector as metav1.FormatLabelSelector does.
std::string formatLabelSelector(const nlohmann::json &selector, bool noneIfEmpty = true);
// Comma-joined container names and images of a pod spec.
std::string containerNames(const nlohmann::json &podSpec);
std::string containerImages(const nlohmann::json &podSpec);
std::string join(const std::vector<std::string> &parts, std::string_view separator);
// Sorted, de-duplicated IPs (or hostnames) of a load balancer status's ingress list.
std::vector<std::string> loadBalancerAddresses(const nlohmann::json &ingress);
// An IntOrString as text.
std::string intOrString(const nlohmann::json &value);

} // namespace kd::lc::apiserver::printers
