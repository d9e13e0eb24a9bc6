#include "statedb.h"

#include <sqlite3.h>

#include <string>

namespace kd::lc::storage {

using core::util::Error;
using core::util::Result;

namespace {

// Revision 1 of the schema; FORMAT.md describes every column.
constexpr const char *kCreateSchema = R"sql(
CREATE TABLE meta(
    key   TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES('revision', 0);
CREATE TABLE objects(
    id              INTEGER PRIMARY KEY,
    grp             TEXT NOT NULL,
    resource        TEXT NOT NULL,
    namespace       TEXT NOT NULL,
    name            TEXT NOT NULL,
    create_revision INTEGER NOT NULL,
    mod_revision    INTEGER NOT NULL,
    value           TEXT NOT NULL,
    UNIQUE(grp, resource, namespace, name)
);
)sql";

std::string columnText(sqlite3_stmt *stmt, int column)
{
    const auto *text = reinterpret_cast<const char *>(sqlite3_column_text(stmt, column));
    if (!text)
        return {};
    return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
}

void bindText(sqlite3_stmt *stmt, int index, const std::string &text)
{
    sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

// Finalizes a statement when a scope ends, whatever path leaves it.
class StatementGuard final
{
public:
    explicit StatementGuard(sqlite3_stmt *stmt)
        : m_stmt(stmt)
    {}
    ~StatementGuard() { sqlite3_finalize(m_stmt); }
    StatementGuard(const StatementGuard &) = delete;
    StatementGuard &operator=(const StatementGuard &) = delete;

private:
    sqlite3_stmt *m_stmt;
};

} // namespace

StateDb::StateDb(sqlite3 *db, std::string path)
    : m_db(db)
    , m_path(std::move(path))
{}

StateDb::~StateDb()
{
    sqlite3_finalize(m_upsert);
    sqlite3_finalize(m_delete);
    sqlite3_finalize(m_setRevision);
    sqlite3_close_v2(m_db);
}

Error StateDb::sqliteError(const std::string &what) const
{
    return Error(Error::Code::Io, m_path + ": " + what + ": " + sqlite3_errmsg(m_db));
}

Result<void> StateDb::exec(const char *sql)
{
    char *message = nullptr;
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        const std::string text = message ? message : sqlite3_errmsg(m_db);
        sqlite3_free(message);
        return Error(Error::Code::Io, m_path + ": " + text);
    }
    return {};
}

Result<std::unique_ptr<StateDb>> StateDb::open(const std::string &path)
{
    sqlite3 *raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                   nullptr);
    std::unique_ptr<StateDb> db(new StateDb(raw, path));
    if (rc != SQLITE_OK)
        return db->sqliteError("cannot open");

    // The first read of the header tells a SQLite file from anything else.
    int applicationId = 0;
    int userVersion = 0;
    int tableCount = 0;
    {
        sqlite3_stmt *stmt = nullptr;
        const char *sql = "SELECT (SELECT application_id FROM pragma_application_id),"
                          " (SELECT user_version FROM pragma_user_version),"
                          " (SELECT count(*) FROM sqlite_master)";
        if (sqlite3_prepare_v2(raw, sql, -1, &stmt, nullptr) != SQLITE_OK) {
            const int code = sqlite3_errcode(raw);
            sqlite3_finalize(stmt);
            if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
                return Error(Error::Code::Decode,
                             path
                                 + " is not a Kubedesk cluster database (the file is corrupt or "
                                   "not SQLite): "
                                 + sqlite3_errmsg(raw));
            }
            return db->sqliteError("cannot read the database header");
        }
        StatementGuard guard(stmt);
        const int step = sqlite3_step(stmt);
        if (step != SQLITE_ROW) {
            if (step == SQLITE_NOTADB || step == SQLITE_CORRUPT) {
                return Error(Error::Code::Decode,
                             path
                                 + " is not a Kubedesk cluster database (the file is corrupt or "
                                   "not SQLite): "
                                 + sqlite3_errmsg(raw));
            }
            return db->sqliteError("cannot read the database header");
        }
        applicationId = sqlite3_column_int(stmt, 0);
        userVersion = sqlite3_column_int(stmt, 1);
        tableCount = sqlite3_column_int(stmt, 2);
    }

    const bool fresh = applicationId == 0 && userVersion == 0 && tableCount == 0;
    if (!fresh && applicationId != kApplicationId) {
        return Error(Error::Code::Decode,
                     path + " is a SQLite database of another application (application_id "
                         + std::to_string(applicationId) + "), not a Kubedesk cluster state");
    }
    if (!fresh && userVersion != kSchemaVersion) {
        return Error(Error::Code::Decode, path + " has schema version "
                                              + std::to_string(userVersion)
                                              + ", this kubedesk-cluster reads only version "
                                              + std::to_string(kSchemaVersion)
                                              + " (was it written by a newer Kubedesk?)");
    }

    // WAL lets readers of the file (sqlite3 CLI, backups) run beside the writer, and commits
    // append to the log instead of rewriting pages. FULL syncs the log on every commit: with
    // group commit that is one fsync per batch, and it makes commits power-loss safe.
    sqlite3_stmt *walStmt = nullptr;
    if (sqlite3_prepare_v2(raw, "PRAGMA journal_mode=WAL", -1, &walStmt, nullptr) != SQLITE_OK)
        return db->sqliteError("cannot enable WAL");
    {
        StatementGuard guard(walStmt);
        if (sqlite3_step(walStmt) != SQLITE_ROW || columnText(walStmt, 0) != "wal")
            return db->sqliteError("cannot enable WAL");
    }
    if (auto r = db->exec("PRAGMA synchronous=FULL"); !r)
        return r.error();

    if (fresh) {
        std::string create = "BEGIN IMMEDIATE;";
        create += kCreateSchema;
        create += "PRAGMA application_id=" + std::to_string(kApplicationId) + ";";
        create += "PRAGMA user_version=" + std::to_string(kSchemaVersion) + ";";
        create += "COMMIT;";
        if (auto r = db->exec(create.c_str()); !r) {
            static_cast<void>(db->exec("ROLLBACK"));
            Error error = r.error();
            return error.prefix("creating the schema: ");
        }
    }
    if (auto r = db->prepareStatements(); !r)
        return r.error();
    return db;
}

Result<void> StateDb::prepareStatements()
{
    const char *upsert
        = "INSERT INTO objects(grp, resource, namespace, name, create_revision, mod_revision, "
          "value) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(grp, resource, namespace, name) "
          "DO UPDATE SET create_revision = excluded.create_revision, "
          "mod_revision = excluded.mod_revision, value = excluded.value";
    const char *remove
        = "DELETE FROM objects WHERE grp = ?1 AND resource = ?2 AND namespace = ?3 AND name = ?4";
    const char *setRevision = "UPDATE meta SET value = ?1 WHERE key = 'revision'";
    if (sqlite3_prepare_v3(m_db, upsert, -1, SQLITE_PREPARE_PERSISTENT, &m_upsert, nullptr)
            != SQLITE_OK
        || sqlite3_prepare_v3(m_db, remove, -1, SQLITE_PREPARE_PERSISTENT, &m_delete, nullptr)
               != SQLITE_OK
        || sqlite3_prepare_v3(m_db, setRevision, -1, SQLITE_PREPARE_PERSISTENT, &m_setRevision,
                              nullptr)
               != SQLITE_OK) {
        return sqliteError("the schema does not match version " + std::to_string(kSchemaVersion));
    }
    return {};
}

Result<StateDb::Contents> StateDb::load()
{
    Contents contents;
    {
        sqlite3_stmt *stmt = nullptr;
        if (sqlite3_prepare_v2(m_db, "SELECT value FROM meta WHERE key = 'revision'", -1, &stmt,
                               nullptr)
            != SQLITE_OK) {
            sqlite3_finalize(stmt);
            return sqliteError("cannot read the revision");
        }
        StatementGuard guard(stmt);
        if (sqlite3_step(stmt) != SQLITE_ROW)
            return Error(Error::Code::Decode, m_path + ": the revision record is missing");
        contents.revision = sqlite3_column_int64(stmt, 0);
    }

    sqlite3_stmt *stmt = nullptr;
    if (sqlite3_prepare_v2(m_db,
                           "SELECT grp, resource, namespace, name, create_revision, mod_revision, "
                           "value FROM objects",
                           -1, &stmt, nullptr)
        != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return sqliteError("cannot read objects");
    }
    StatementGuard guard(stmt);
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        Row row;
        row.key.groupResource.group = columnText(stmt, 0);
        row.key.groupResource.resource = columnText(stmt, 1);
        row.key.ns = columnText(stmt, 2);
        row.key.name = columnText(stmt, 3);
        row.createRevision = sqlite3_column_int64(stmt, 4);
        row.modRevision = sqlite3_column_int64(stmt, 5);
        row.value = columnText(stmt, 6);
        contents.rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE)
        return sqliteError("cannot read objects");
    return contents;
}

Result<void> StateDb::commit(const std::vector<Change> &changes, Revision revision)
{
    if (auto r = exec("BEGIN IMMEDIATE"); !r)
        return r;
    auto fail = [this](const std::string &what) {
        Error error = sqliteError(what);
        static_cast<void>(exec("ROLLBACK"));
        return error;
    };
    for (const Change &change : changes) {
        const Key &key = *change.key;
        sqlite3_stmt *stmt = change.object ? m_upsert : m_delete;
        sqlite3_reset(stmt);
        bindText(stmt, 1, key.groupResource.group);
        bindText(stmt, 2, key.groupResource.resource);
        bindText(stmt, 3, key.ns);
        bindText(stmt, 4, key.name);
        if (change.object) {
            sqlite3_bind_int64(stmt, 5, change.object->createRevision());
            sqlite3_bind_int64(stmt, 6, change.object->modRevision());
            bindText(stmt, 7, change.object->json());
        }
        const int rc = sqlite3_step(stmt);
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        if (rc != SQLITE_DONE)
            return fail("cannot write " + key.groupResource.toString() + " " + key.name);
    }
    sqlite3_reset(m_setRevision);
    sqlite3_bind_int64(m_setRevision, 1, revision);
    const int rc = sqlite3_step(m_setRevision);
    sqlite3_reset(m_setRevision);
    if (rc != SQLITE_DONE)
        return fail("cannot record the revision");
    if (sqlite3_exec(m_db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
        return fail("cannot commit");
    return {};
}

} // namespace kd::lc::storage
