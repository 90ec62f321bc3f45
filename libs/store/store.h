// A SQLite store: one file, WAL mode, versioned migrations applied at open,
// and every statement prepared with bound parameters.
//
// All access goes through a transaction:
//
//   absl::Status status = store->Write([&](pp::Tx& tx) {
//     return tx.Exec("INSERT INTO accounts(email) VALUES (?)", {email});
//   });
//
// Writers in this process take turns on one connection. Writers in other
// processes are waited for (busy timeout, then retries), so callers never
// see "database is locked" while another writer finishes.
#ifndef PP_STORE_STORE_H_
#define PP_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct sqlite3;
struct sqlite3_stmt;
struct sqlite3_value;

namespace pp {

// A value bound to a statement parameter.
class SqlValue {
 public:
  enum class Kind { kNull, kInt, kReal, kText };

  SqlValue() : kind_(Kind::kNull) {}
  SqlValue(std::nullptr_t) : kind_(Kind::kNull) {}
  SqlValue(int value) : kind_(Kind::kInt), int_(value) {}
  SqlValue(int64_t value) : kind_(Kind::kInt), int_(value) {}
  SqlValue(bool value) : kind_(Kind::kInt), int_(value ? 1 : 0) {}
  SqlValue(double value) : kind_(Kind::kReal), real_(value) {}
  SqlValue(const char* value) : kind_(Kind::kText), text_(value) {}
  SqlValue(std::string value) : kind_(Kind::kText), text_(std::move(value)) {}
  SqlValue(std::string_view value) : kind_(Kind::kText), text_(value) {}

  Kind kind() const { return kind_; }
  int64_t int_value() const { return int_; }
  double real_value() const { return real_; }
  const std::string& text_value() const { return text_; }

 private:
  Kind kind_;
  int64_t int_ = 0;
  double real_ = 0;
  std::string text_;
};

// One result row, valid only inside the callback that receives it.
class Row {
 public:
  explicit Row(sqlite3_stmt* statement) : statement_(statement) {}
  bool IsNull(int column) const;
  int64_t Int(int column) const;
  double Real(int column) const;
  // Empty for NULL.
  std::string Text(int column) const;

 private:
  sqlite3_stmt* statement_;
};

// The arguments of one call to a function added with Store::AddFunction,
// valid only during that call.
class FunctionArguments {
 public:
  explicit FunctionArguments(sqlite3_value** values) : values_(values) {}
  int64_t Int(int index) const;
  // Empty for NULL.
  std::string_view Text(int index) const;

 private:
  sqlite3_value** values_;
};

class Store;

// A transaction in progress. Obtained from Store::Read or Store::Write.
class Tx {
 public:
  // Runs a statement that returns no rows.
  absl::Status Exec(std::string_view sql, const std::vector<SqlValue>& params = {});
  // Runs a query and calls `on_row` for each row.
  absl::Status Query(std::string_view sql, const std::vector<SqlValue>& params,
                     const std::function<void(const Row&)>& on_row);
  // Runs a query for a single integer (COUNT(*), a MAX, an id). Returns
  // NotFound when the query returns no row.
  absl::StatusOr<int64_t> QueryInt(std::string_view sql, const std::vector<SqlValue>& params = {});
  // Rows changed by the last Exec.
  int Changes() const;
  int64_t LastInsertId() const;

 private:
  friend class Store;
  explicit Tx(Store& store) : store_(store) {}
  Store& store_;
};

class Store {
 public:
  // Opens or creates the file at `path` (its folder must exist), readable
  // and writable by the owner only, and applies the migrations it has not
  // seen yet: migration i takes the schema from version i to i + 1, each in
  // its own transaction. Fails when the file is
  // not a database, or is at a newer version than `migrations` knows.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path,
                                                     const std::vector<std::string>& migrations);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Runs `body` in a read transaction.
  absl::Status Read(const std::function<absl::Status(Tx&)>& body);
  // Runs `body` in a write transaction: committed when it returns OK,
  // rolled back otherwise (and its status returned).
  absl::Status Write(const std::function<absl::Status(Tx&)>& body);

  // Runs `body` in a read transaction only if that needs no waiting: returns
  // nullopt, without running it, when another thread holds the connection,
  // and nullopt after running it when SQLite reported another process's
  // lock. Lets a caller run a short read on a thread that must not
  // block, and pass it to Read elsewhere otherwise. `body` may run and then
  // be discarded, so it must only read.
  std::optional<absl::Status> TryRead(const std::function<absl::Status(Tx&)>& body);
  // Runs `body` in a write transaction on the same terms: nullopt, and
  // nothing committed, when the connection or SQLite's write lock is taken.
  // `body` may run and be rolled back, so its effects outside the store
  // must be ones it can repeat.
  std::optional<absl::Status> TryWrite(const std::function<absl::Status(Tx&)>& body);

  int SchemaVersion();

  // Makes `function` callable as `name` with `arguments` arguments from
  // this connection's SQL, TEMP triggers included. It runs on the thread of
  // the statement that calls it, with the store locked, each time the SQL
  // evaluates it, since SQLite treats it as having effects. Only TEMP
  // objects may name it: the database file must stay readable by other
  // programs.
  using Function = std::function<SqlValue(const FunctionArguments& arguments)>;
  absl::Status AddFunction(const char* name, int arguments, Function function);

  // Calls `handler` at the start of every transaction, once BEGIN has
  // succeeded and before the transaction's body. An error from it fails the
  // transaction as the body's would, and the handlers after it do not run.
  // Handlers run in the order they were added.
  void OnTransactionBegin(std::function<absl::Status(Tx& tx)> handler);

  // Calls `handler` after every transaction, with the store still locked:
  // `committed` is true once its COMMIT succeeded and false after it was
  // rolled back. Lets memory kept beside the store follow what the file
  // holds. Handlers run in the order they were added.
  void OnTransactionEnd(std::function<void(bool committed)> handler);

  // Calls `handler` at the start of a transaction, before the
  // OnTransactionBegin handlers, when another connection (another process,
  // or an operator's sqlite3) has committed since this connection's last
  // transaction. Reads SQLite's data_version once per transaction for all
  // such handlers. The first transaction after the first handler is added
  // only records the version. After an error, which fails the
  // transaction, every handler runs again at the next transaction.
  void OnOtherConnectionCommit(std::function<absl::Status(Tx& tx)> handler);

  // Copies every committed page from the write-ahead log into the database
  // file and truncates the log to zero bytes. Call it after deleting data
  // that must not linger on disk: until then the log still contains the
  // pages as they were written. Unavailable when another connection is
  // reading or writing and the log could not be emptied.
  absl::Status Checkpoint();

 private:
  friend class Tx;
  explicit Store(sqlite3* db) : db_(db) {}
  absl::Status Run(const char* begin_sql, const std::function<absl::Status(Tx&)>& body);
  std::optional<absl::Status> TryRun(const char* begin_sql,
                                     const std::function<absl::Status(Tx&)>& body);
  // Runs a statement without parameters or rows, such as BEGIN or COMMIT,
  // prepared once like every other statement.
  absl::Status Step(const char* sql);
  absl::Status Migrate(const std::vector<std::string>& migrations);
  absl::StatusOr<sqlite3_stmt*> Prepare(std::string_view sql, const std::vector<SqlValue>& params);
  absl::Status ErrorStatus(int code, std::string_view context);
  // Runs the begin handler, then `body`, and returns the first error.
  absl::Status RunBody(Tx& tx, const std::function<absl::Status(Tx&)>& body);
  // Ends the running transaction: COMMIT when `status` is OK, ROLLBACK
  // otherwise or when the COMMIT failed. Returns the status to report.
  absl::Status End(absl::Status status);

  std::mutex mutex_;
  sqlite3* db_;
  // Set when a statement of the running transaction failed on another
  // process's lock, so that the transaction is retried as a whole.
  bool busy_seen_ = false;
  absl::flat_hash_map<std::string, sqlite3_stmt*> statements_;
  std::vector<std::unique_ptr<Function>> functions_;
  std::vector<std::function<absl::Status(Tx& tx)>> on_transaction_begin_;
  std::vector<std::function<void(bool committed)>> on_transaction_end_;
  std::vector<std::function<absl::Status(Tx& tx)>> on_other_connection_commit_;
  // PRAGMA data_version at the last transaction, or -1 before the first.
  int64_t data_version_ = -1;
};

}  // namespace pp

#endif  // PP_STORE_STORE_H_
