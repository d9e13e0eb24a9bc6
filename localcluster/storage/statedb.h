#pragma once

#include <localcluster/storage/key.h>
#include <localcluster/storage/storedobject.h>

#include <core/util/result.h>

#include <memory>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace kd::lc::storage {

// The SQLite side of the Store: schema creation and checks, loading at open, and committing one
// group of writes in one transaction. Schema and pragmas are documented in FORMAT.md.
// Owned by the Store; used by one thread at a time (the opener, then the writer thread).
class StateDb final
{
public:
    struct Row
    {
        Key key;
        Revision createRevision = 0;
        Revision modRevision = 0;
        std::string value; // the object's JSON text
    };

    struct Contents
    {
        Revision revision = 0;
        std::vector<Row> rows;
    };

    // One change of a group: `object` null means the key was deleted.
    struct Change
    {
        const Key *key = nullptr;
        const StoredObject *object = nullptr;
    };

    static constexpr int kSchemaVersion = 1;
    static constexpr int kApplicationId = 0x4B44434C; // "KDCL"

    // Opens or creates the database at `path`. Refuses files that are not SQLite, SQLite files
    // of another application and unknown schema versions, with an Error naming the problem.
    static core::util::Result<std::unique_ptr<StateDb>> open(const std::string &path);
    ~StateDb();
    StateDb(const StateDb &) = delete;
    StateDb &operator=(const StateDb &) = delete;

    core::util::Result<Contents> load();
    // Applies every change and records `revision` as the global revision, atomically and
    // durably; on failure nothing is applied.
    core::util::Result<void> commit(const std::vector<Change> &changes, Revision revision);

private:
    StateDb(sqlite3 *db, std::string path);
    core::util::Result<void> exec(const char *sql);
    core::util::Result<void> prepareStatements();
    core::util::Error sqliteError(const std::string &what) const;

    sqlite3 *m_db = nullptr;
    std::string m_path;
    sqlite3_stmt *m_upsert = nullptr;
    sqlite3_stmt *m_delete = nullptr;
    sqlite3_stmt *m_setRevision = nullptr;
};

} // namespace kd::lc::storage
