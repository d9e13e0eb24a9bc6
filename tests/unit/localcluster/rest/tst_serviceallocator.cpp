// The Service cluster IP and node port allocator: ranges, requested values, immutability,
// release, and rebuilding from stored Services.

#include <localcluster/apiserver/registry/serviceallocator.h>

#include <nlohmann/json.hpp>

#include <QTest>

using kd::core::util::Error;
using kd::lc::apiserver::registry::ServiceAllocator;
using nlohmann::json;

// nlohmann::json values compared by their serialisation (QCOMPARE cannot take json).
#define QCOMPARE_JSON(actual, expected) \
    QCOMPARE(QString::fromStdString(json(actual).dump()), \
             QString::fromStdString(json(expected).dump()))

namespace {

json service(const json &spec)
{
    return {{"spec", spec}};
}

std::uint32_t ipOf(const std::string &text)
{
    std::uint32_t ip = 0;
    return ServiceAllocator::parseIp(text, ip) ? ip : 0;
}

} // namespace

class TestServiceAllocator final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parseIp_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("valid");
        QTest::newRow("plain") << "10.96.0.1" << true;
        QTest::newRow("max") << "255.255.255.255" << true;
        QTest::newRow("octet too big") << "10.96.0.256" << false;
        QTest::newRow("three parts") << "10.96.0" << false;
        QTest::newRow("leading zero") << "10.096.0.1" << false;
        QTest::newRow("trailing dot") << "10.96.0.1." << false;
        QTest::newRow("word") << "None" << false;
        QTest::newRow("ipv6") << "fd00::1" << false;
    }
    void parseIp()
    {
        QFETCH(QString, text);
        QFETCH(bool, valid);
        std::uint32_t ip = 0;
        QCOMPARE(ServiceAllocator::parseIp(text.toStdString(), ip), valid);
        if (valid)
            QCOMPARE(QString::fromStdString(ServiceAllocator::formatIp(ip)), text);
    }

    void allocatesDistinctAddressesInRange()
    {
        ServiceAllocator allocator;
        allocator.restore(service({{"clusterIP", "10.96.0.1"}}));
        std::set<std::string> seen;
        for (int i = 0; i < 200; ++i) {
            json object = service({{"type", "ClusterIP"}});
            auto held = allocator.prepare(object, nullptr);
            QVERIFY(held);
            const std::string ip = object["spec"]["clusterIP"];
            QCOMPARE_JSON(object["spec"]["clusterIPs"], json::array({ip}));
            const std::uint32_t address = ipOf(ip);
            QVERIFY(address > ServiceAllocator::kBase);
            QVERIFY(address < ServiceAllocator::kBase + ServiceAllocator::kSize - 1);
            QVERIFY(ip != "10.96.0.1");
            QVERIFY(seen.insert(ip).second);
            QVERIFY(allocator.ipTaken(address));
        }
    }

    void requestedValues_data()
    {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<QString>("field"); // empty: accepted
        QTest::addColumn<QString>("message");
        QTest::newRow("free ip") << R"({"clusterIP":"10.100.0.5"})"
                                 << ""
                                 << "";
        QTest::newRow("taken ip")
            << R"({"clusterIP":"10.96.0.10"})"
            << "spec.clusterIPs"
            << R"(Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated)";
        QTest::newRow("out of range")
            << R"({"clusterIP":"10.0.0.1"})"
            << "spec.clusterIPs"
            << R"(Invalid value: []string{"10.0.0.1"}: failed to allocate IP 10.0.0.1: the provided IP (10.0.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12)";
        QTest::newRow("network address")
            << R"({"clusterIP":"10.96.0.0"})"
            << "spec.clusterIPs"
            << R"(Invalid value: []string{"10.96.0.0"}: failed to allocate IP 10.96.0.0: the provided IP (10.96.0.0) is not in the valid range. The range of valid IPs is 10.96.0.0/12)";
        QTest::newRow("not an ip")
            << R"({"clusterIP":"abc"})"
            << "spec.clusterIPs[0]"
            << R"(Invalid value: "abc": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff))";
        QTest::newRow("headless") << R"({"clusterIP":"None"})"
                                  << ""
                                  << "";
        QTest::newRow("taken node port")
            << R"({"type":"NodePort","ports":[{"port":80,"nodePort":30080}]})"
            << "spec.ports[0].nodePort"
            << "Invalid value: 30080: provided port is already allocated";
        QTest::newRow("node port out of range")
            << R"({"type":"NodePort","ports":[{"port":80,"nodePort":32768}]})"
            << "spec.ports[0].nodePort"
            << "Invalid value: 32768: provided port is not in the valid range. The range of valid "
               "ports is 30000-32767";
    }
    void requestedValues()
    {
        QFETCH(QString, spec);
        QFETCH(QString, field);
        QFETCH(QString, message);
        ServiceAllocator allocator;
        allocator.restore(service(
            {{"clusterIP", "10.96.0.10"}, {"ports", {{{"port", 1}, {"nodePort", 30080}}}}}));
        json object = service(json::parse(spec.toStdString()));
        auto held = allocator.prepare(object, nullptr);
        if (field.isEmpty()) {
            QVERIFY(held);
            return;
        }
        QVERIFY(!held);
        QCOMPARE(held.error().code(), Error::Code::Invalid);
        QCOMPARE(QString::fromStdString(held.error().causes().at(0).field), field);
        QCOMPARE(QString::fromStdString(held.error().causes().at(0).message), message);
    }

    void failedPrepareReservesNothing()
    {
        ServiceAllocator allocator;
        allocator.restore(
            service({{"type", "NodePort"}, {"ports", {{{"port", 1}, {"nodePort", 30001}}}}}));
        // The IP is taken first, then the second port fails: both must be given back.
        json object = service({{"clusterIP", "10.96.1.1"},
                               {"type", "NodePort"},
                               {"ports", {{{"port", 80}}, {{"port", 81}, {"nodePort", 30001}}}}});
        QVERIFY(!allocator.prepare(object, nullptr));
        QVERIFY(!allocator.ipTaken(ipOf("10.96.1.1")));
        int taken = 0;
        for (int port = ServiceAllocator::kFirstPort; port <= ServiceAllocator::kLastPort; ++port)
            taken += allocator.portTaken(port) ? 1 : 0;
        QCOMPARE(taken, 1);
    }

    void updateKeepsAndProtectsValues()
    {
        ServiceAllocator allocator;
        json before = service({{"type", "NodePort"}, {"ports", {{{"port", 80}}}}});
        QVERIFY(allocator.prepare(before, nullptr));
        const json ip = before["spec"]["clusterIP"];
        const json nodePort = before["spec"]["ports"][0]["nodePort"];

        // Left out: kept, nothing new reserved.
        json update = service({{"type", "NodePort"}, {"ports", {{{"port", 80}}}}});
        auto added = allocator.prepare(update, &before);
        QVERIFY(added);
        QVERIFY(added->empty());
        QCOMPARE_JSON(update["spec"]["clusterIP"], ip);
        QCOMPARE_JSON(update["spec"]["ports"][0]["nodePort"], nodePort);

        // Changed: refused.
        json moved = update;
        moved["spec"]["clusterIP"] = "10.96.3.3";
        moved["spec"]["clusterIPs"] = {"10.96.3.3"};
        auto refused = allocator.prepare(moved, &before);
        QVERIFY(!refused);
        QCOMPARE(QString::fromStdString(refused.error().causes().at(0).message),
                 QString(R"(Invalid value: []string{"10.96.3.3"}: may not change once set)"));

        // Back to ClusterIP: node ports dropped from the spec; the caller releases them.
        json plain = update;
        plain["spec"]["type"] = "ClusterIP";
        QVERIFY(allocator.prepare(plain, &update));
        QVERIFY(!plain["spec"]["ports"][0].contains("nodePort"));
        QVERIFY(ServiceAllocator::held(plain).nodePorts.empty());
    }

    void releaseAndRestore()
    {
        ServiceAllocator first;
        json object = service({{"type", "LoadBalancer"}, {"ports", {{{"port", 443}}}}});
        QVERIFY(first.prepare(object, nullptr));
        const auto holding = ServiceAllocator::held(object);
        QCOMPARE(holding.ips.size(), std::size_t(1));
        QCOMPARE(holding.nodePorts.size(), std::size_t(1));

        // A restarted server rebuilds the pools from the stored object.
        ServiceAllocator second;
        second.restore(object);
        QVERIFY(second.ipTaken(*holding.ips.begin()));
        QVERIFY(second.portTaken(*holding.nodePorts.begin()));
        json clash = service({{"clusterIP", object["spec"]["clusterIP"]}});
        QVERIFY(!second.prepare(clash, nullptr));

        second.release(holding);
        QVERIFY(!second.ipTaken(*holding.ips.begin()));
        QVERIFY(!second.portTaken(*holding.nodePorts.begin()));
        QVERIFY(second.prepare(clash, nullptr));
    }

    void externalNameHasNoClusterIp()
    {
        ServiceAllocator allocator;
        json object = service({{"type", "ExternalName"}, {"externalName", "example.com"}});
        auto held = allocator.prepare(object, nullptr);
        QVERIFY(held);
        QVERIFY(held->empty());
        QVERIFY(!object["spec"].contains("clusterIP"));
    }
};

QTEST_GUILESS_MAIN(TestServiceAllocator)
#include "tst_serviceallocator.moc"
