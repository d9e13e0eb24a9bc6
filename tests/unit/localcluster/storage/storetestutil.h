#pragma once

#include <localcluster/storage/store.h>

#include <nlohmann/json.hpp>

#include <QTest>

#include <string>

// Helpers shared by the storage tests.
namespace kd::lc::storage::test {

inline Key podKey(const std::string &ns, const std::string &name)
{
    return Key{{"", "pods"}, ns, name};
}

inline nlohmann::json pod(const std::string &ns, const std::string &name, int generation = 1)
{
    return {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", name}, {"namespace", ns}, {"uid", "uid-" + ns + "-" + name}}},
            {"spec", {{"generation", generation}}}};
}

inline std::string resourceVersion(const ObjectRef &object)
{
    return object->object()["metadata"]["resourceVersion"].get<std::string>();
}

} // namespace kd::lc::storage::test

// Verifies a Result, evaluated once, and prints its Error when it failed.
#define KD_VERIFY_OK(expr) \
    do { \
        const auto &kdResult = (expr); \
        QVERIFY2(kdResult.ok(), kdResult.ok() ? "" : kdResult.error().message().c_str()); \
    } while (false)
