#include <core/util/error.h>
#include <core/util/result.h>

#include <QTest>

using kd::core::util::Error;
using kd::core::util::Result;

Q_DECLARE_METATYPE(Error::Code)

class tst_Error : public QObject
{
    Q_OBJECT

private slots:
    void codeTable_data()
    {
        QTest::addColumn<Error::Code>("code");
        QTest::addColumn<QString>("reason");
        QTest::addColumn<int>("status");
        QTest::newRow("NotFound") << Error::Code::NotFound << "NotFound" << 404;
        QTest::newRow("AlreadyExists") << Error::Code::AlreadyExists << "AlreadyExists" << 409;
        QTest::newRow("Conflict") << Error::Code::Conflict << "Conflict" << 409;
        QTest::newRow("Invalid") << Error::Code::Invalid << "Invalid" << 422;
        QTest::newRow("Gone") << Error::Code::Gone << "Expired" << 410;
        QTest::newRow("BadRequest") << Error::Code::BadRequest << "BadRequest" << 400;
        QTest::newRow("Unauthorized") << Error::Code::Unauthorized << "Unauthorized" << 401;
        QTest::newRow("Forbidden") << Error::Code::Forbidden << "Forbidden" << 403;
        QTest::newRow("MethodNotAllowed")
            << Error::Code::MethodNotAllowed << "MethodNotAllowed" << 405;
        QTest::newRow("NotAcceptable") << Error::Code::NotAcceptable << "NotAcceptable" << 406;
        QTest::newRow("UnsupportedMediaType")
            << Error::Code::UnsupportedMediaType << "UnsupportedMediaType" << 415;
        QTest::newRow("RequestEntityTooLarge")
            << Error::Code::RequestEntityTooLarge << "RequestEntityTooLarge" << 413;
        QTest::newRow("TooManyRequests")
            << Error::Code::TooManyRequests << "TooManyRequests" << 429;
        QTest::newRow("Timeout") << Error::Code::Timeout << "Timeout" << 504;
        QTest::newRow("Internal") << Error::Code::Internal << "InternalError" << 500;
        QTest::newRow("ServiceUnavailable")
            << Error::Code::ServiceUnavailable << "ServiceUnavailable" << 503;
    }

    void codeTable()
    {
        QFETCH(Error::Code, code);
        QFETCH(QString, reason);
        QFETCH(int, status);
        QCOMPARE(QString::fromStdString(Error::reasonFor(code)), reason);
        QCOMPARE(Error::httpStatusFor(code), status);
        // The reason alone identifies the code, whatever status came with it.
        QCOMPARE(Error::codeFor(reason.toStdString(), 0), code);

        const Error error(code, "boom");
        QCOMPARE(error.code(), code);
        QCOMPARE(error.httpStatus(), status);
        QCOMPARE(QString::fromStdString(error.reason()), reason);
        QCOMPARE(error.message(), std::string("boom"));
    }

    void codeForFallbacks_data()
    {
        QTest::addColumn<QString>("reason");
        QTest::addColumn<int>("status");
        QTest::addColumn<Error::Code>("expected");
        QTest::newRow("Gone reason") << "Gone" << 410 << Error::Code::Gone;
        QTest::newRow("Expired reason") << "Expired" << 410 << Error::Code::Gone;
        QTest::newRow("ServerTimeout") << "ServerTimeout" << 500 << Error::Code::Timeout;
        QTest::newRow("reason wins over status") << "NotFound" << 500 << Error::Code::NotFound;
        QTest::newRow("unknown reason 404") << "Weird" << 404 << Error::Code::NotFound;
        QTest::newRow("empty reason 409") << "" << 409 << Error::Code::Conflict;
        QTest::newRow("empty reason 422") << "" << 422 << Error::Code::Invalid;
        QTest::newRow("empty reason 410") << "" << 410 << Error::Code::Gone;
        QTest::newRow("empty reason 429") << "" << 429 << Error::Code::TooManyRequests;
        QTest::newRow("empty reason 503") << "" << 503 << Error::Code::ServiceUnavailable;
        QTest::newRow("empty reason 504") << "" << 504 << Error::Code::Timeout;
        QTest::newRow("empty reason 500") << "" << 500 << Error::Code::Internal;
        QTest::newRow("teapot") << "" << 418 << Error::Code::Unknown;
        QTest::newRow("nothing") << "" << 0 << Error::Code::Unknown;
    }

    void codeForFallbacks()
    {
        QFETCH(QString, reason);
        QFETCH(int, status);
        QFETCH(Error::Code, expected);
        QCOMPARE(Error::codeFor(reason.toStdString(), status), expected);
    }

    void localCodesHaveNoHttpStatus()
    {
        for (Error::Code code : {Error::Code::Transport, Error::Code::Decode, Error::Code::Io,
                                 Error::Code::Cancelled, Error::Code::Unknown}) {
            QCOMPARE(Error::httpStatusFor(code), 0);
            QVERIFY(Error::reasonFor(code).empty());
        }
        QCOMPARE(std::string(Error::codeName(Error::Code::Decode)), std::string("Decode"));
        QCOMPARE(std::string(Error::codeName(Error::Code::Gone)), std::string("Gone"));
        QCOMPARE(std::string(Error::codeName(Error::Code::Internal)), std::string("Internal"));
    }

    void prefixAndCausesKeepEverythingElse()
    {
        Error error(Error::Code::Invalid, 422, "Invalid", "name is bad");
        error.addCause({"FieldValueInvalid", "Invalid value", "metadata.name"})
            .addCause({"FieldValueRequired", "Required value", "spec.containers"})
            .setRetryAfterSeconds(3)
            .prefix("creating ConfigMap: ");
        QCOMPARE(error.message(), std::string("creating ConfigMap: name is bad"));
        QCOMPARE(error.code(), Error::Code::Invalid);
        QCOMPARE(error.httpStatus(), 422);
        QCOMPARE(error.reason(), std::string("Invalid"));
        QCOMPARE(error.retryAfterSeconds(), 3);
        QCOMPARE(error.causes().size(), size_t(2));
        QCOMPARE(error.causes()[1].field, std::string("spec.containers"));
    }

    void resultCarriesValueOrError()
    {
        Result<int> good = 5;
        QVERIFY(good.ok());
        QCOMPARE(*good, 5);
        Result<int> bad = Error(Error::Code::NotFound, "missing");
        QVERIFY(!bad.ok());
        QCOMPARE(bad.error().httpStatus(), 404);
        QCOMPARE(bad.valueOr(7), 7);
    }
};

QTEST_APPLESS_MAIN(tst_Error)
#include "tst_error.moc"
