#include <core/api/status.h>

#include <nlohmann/json.hpp>

#include <QTest>

using kd::core::api::errorFromStatus;
using kd::core::api::statusFromError;
using kd::core::util::Error;

Q_DECLARE_METATYPE(Error::Code)

class tst_Status : public QObject
{
    Q_OBJECT

private slots:
    void readsServerStatus_data()
    {
        QTest::addColumn<QString>("body");
        QTest::addColumn<int>("httpStatus");
        QTest::addColumn<Error::Code>("code");
        QTest::addColumn<int>("expectedStatus");
        QTest::addColumn<QString>("reason");
        QTest::addColumn<QString>("message");
        QTest::newRow("not found") << "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
                                      "\"status\":\"Failure\",\"message\":\"secrets \\\"db\\\" not "
                                      "found\",\"reason\":\"NotFound\",\"details\":{\"name\":"
                                      "\"db\",\"kind\":\"secrets\"},\"code\":404}"
                                   << 404 << Error::Code::NotFound << 404 << "NotFound"
                                   << "secrets \"db\" not found";
        QTest::newRow("watch expired inside 200")
            << "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
               "\"message\":\"too old resource version: 5 of "
               "900\",\"reason\":\"Expired\",\"code\":410}"
            << 200 << Error::Code::Gone << 410 << "Expired"
            << "too old resource version: 5 of 900";
        QTest::newRow("gone reason") << "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":"
                                        "\"m\",\"reason\":\"Gone\",\"code\":410}"
                                     << 410 << Error::Code::Gone << 410 << "Gone"
                                     << "m";
        QTest::newRow("no code in body")
            << "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"m\"}" << 409
            << Error::Code::Conflict << 409 << ""
            << "m";
        QTest::newRow("no message")
            << "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"Forbidden\",\"code\":403}"
            << 403 << Error::Code::Forbidden << 403 << "Forbidden"
            << "the server reported 403 Forbidden without a message";
        QTest::newRow("wrong types ignored") << "{\"kind\":\"Status\",\"message\":7,\"reason\":["
                                                "\"x\"],\"code\":\"404\",\"details\":5}"
                                             << 404 << Error::Code::NotFound << 404 << ""
                                             << "the server reported 404 without a message";
        QTest::newRow("not a status")
            << "{\"kind\":\"Pod\"}" << 503 << Error::Code::ServiceUnavailable << 503
            << "ServiceUnavailable"
            << "the server answered 503 without a Status object";
        QTest::newRow("not an object")
            << "\"oops\"" << 500 << Error::Code::Internal << 500 << "InternalError"
            << "the server answered 500 without a Status object";
    }

    void readsServerStatus()
    {
        QFETCH(QString, body);
        QFETCH(int, httpStatus);
        QFETCH(Error::Code, code);
        QFETCH(int, expectedStatus);
        QFETCH(QString, reason);
        QFETCH(QString, message);
        const Error error = errorFromStatus(nlohmann::json::parse(body.toStdString()), httpStatus);
        QCOMPARE(error.code(), code);
        QCOMPARE(error.httpStatus(), expectedStatus);
        QCOMPARE(QString::fromStdString(error.reason()), reason);
        QCOMPARE(QString::fromStdString(error.message()), message);
    }

    void readsCausesAndRetryAfter()
    {
        const auto body = nlohmann::json::parse(
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
            "\"message\":\"ConfigMap \\\"Bad_Name\\\" is invalid: metadata.name: Invalid "
            "value\",\"reason\":\"Invalid\",\"details\":{\"name\":\"Bad_Name\",\"kind\":"
            "\"ConfigMap\",\"causes\":[{\"reason\":\"FieldValueInvalid\",\"message\":\"Invalid "
            "value: \\\"Bad_Name\\\"\",\"field\":\"metadata.name\"},{\"message\":\"only a "
            "message\"},\"not an object\"],\"retryAfterSeconds\":7},\"code\":422}");
        const Error error = errorFromStatus(body, 422);
        QCOMPARE(error.code(), Error::Code::Invalid);
        QCOMPARE(error.causes().size(), size_t(2));
        QCOMPARE(error.causes()[0], (Error::Cause{"FieldValueInvalid",
                                                  "Invalid value: \"Bad_Name\"", "metadata.name"}));
        QCOMPARE(error.causes()[1], (Error::Cause{"", "only a message", ""}));
        QCOMPARE(error.retryAfterSeconds(), 7);
    }

    void writesStatus()
    {
        Error error(Error::Code::Invalid, "Pod \"x\" is invalid");
        error.addCause({"FieldValueRequired", "Required value", "spec.containers"});
        error.addCause({"FieldValueInvalid", "", "metadata.name"});
        const nlohmann::json status = statusFromError(error);
        const auto expected = nlohmann::json::parse(
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
            "\"message\":\"Pod \\\"x\\\" is "
            "invalid\",\"reason\":\"Invalid\",\"code\":422,\"details\":{\"causes\":[{\"reason\":"
            "\"FieldValueRequired\",\"message\":\"Required "
            "value\",\"field\":\"spec.containers\"},{\"reason\":\"FieldValueInvalid\",\"field\":"
            "\"metadata.name\"}]}}");
        QCOMPARE(QString::fromStdString(status.dump()), QString::fromStdString(expected.dump()));
    }

    void writesGoneAsExpiredAndRetryAfter()
    {
        const nlohmann::json gone = statusFromError(Error(Error::Code::Gone, "too old"));
        QCOMPARE(gone["reason"].get<std::string>(), std::string("Expired"));
        QCOMPARE(gone["code"].get<int>(), 410);
        QVERIFY(!gone.contains("details"));

        Error busy(Error::Code::TooManyRequests, "slow down");
        busy.setRetryAfterSeconds(2);
        const nlohmann::json status = statusFromError(busy);
        QCOMPARE(status["code"].get<int>(), 429);
        QCOMPARE(status["details"]["retryAfterSeconds"].get<int>(), 2);
    }

    void localErrorsBecomeInternalError()
    {
        const nlohmann::json status = statusFromError(Error(Error::Code::Io, "disk full"));
        QCOMPARE(status["code"].get<int>(), 500);
        QCOMPARE(status["reason"].get<std::string>(), std::string("InternalError"));
        QCOMPARE(status["message"].get<std::string>(), std::string("disk full"));
    }

    void roundTrip()
    {
        for (Error::Code code :
             {Error::Code::NotFound, Error::Code::AlreadyExists, Error::Code::Conflict,
              Error::Code::Gone, Error::Code::Invalid, Error::Code::Forbidden, Error::Code::Timeout,
              Error::Code::TooManyRequests, Error::Code::Internal}) {
            Error error(code, "message");
            error.addCause({"r", "m", "f"}).setRetryAfterSeconds(4);
            QCOMPARE(errorFromStatus(statusFromError(error), 200), error);
        }
    }
};

QTEST_APPLESS_MAIN(tst_Status)
#include "tst_status.moc"
