#include "store/store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "log/log.h"
#include "store/fault_vfs.h"

namespace pp {
namespace {

// How long one SQLite call waits for another process's lock, and how many
// times a whole transaction is retried after that before giving up.
constexpr int kBusyTimeoutMs = 5000;
constexpr int kBusyRetries = 5;

bool IsBusy(int code) { return (code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED; }

}  // namespace

bool Row::IsNull(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

int64_t Row::Int(int column) const { return sqlite3_column_int64(statement_, column); }

double Row::Real(int column) const { return sqlite3_column_double(statement_, column); }

std::string Row::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(statement_, column));
}

absl::Status Store::ErrorStatus(int code, std::string_view context) {
  std::string message = absl::StrCat(std::string(context), ": ", sqlite3_errmsg(db_));
  busy_seen_ = busy_seen_ || IsBusy(code);
  if (IsBusy(code)) return absl::UnavailableError(message);
  if ((code & 0xff) == SQLITE_CONSTRAINT) return absl::AlreadyExistsError(message);
  return absl::InternalError(message);
}

absl::StatusOr<sqlite3_stmt*> Store::Prepare(std::string_view sql,
                                             const std::vector<SqlValue>& params) {
  sqlite3_stmt* statement = nullptr;
  auto cached = statements_.find(absl::string_view(sql.data(), sql.size()));
  if (cached != statements_.end()) {
    statement = cached->second;
  } else {
    int code = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                  SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
    if (code != SQLITE_OK) return ErrorStatus(code, "preparing " + std::string(sql));
    statements_.emplace(std::string(sql), statement);
  }

  sqlite3_reset(statement);
  sqlite3_clear_bindings(statement);
  if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(statement)) {
    return absl::InternalError(
        absl::StrCat("statement expects ", sqlite3_bind_parameter_count(statement),
                     " parameters, got ", params.size(), ": ", std::string(sql)));
  }
  for (size_t i = 0; i < params.size(); ++i) {
    int index = static_cast<int>(i) + 1;
    const SqlValue& value = params[i];
    int code = SQLITE_OK;
    switch (value.kind()) {
      case SqlValue::Kind::kNull:
        code = sqlite3_bind_null(statement, index);
        break;
      case SqlValue::Kind::kInt:
        code = sqlite3_bind_int64(statement, index, value.int_value());
        break;
      case SqlValue::Kind::kReal:
        code = sqlite3_bind_double(statement, index, value.real_value());
        break;
      case SqlValue::Kind::kText:
        // Not copied: `params` outlives every step of the statement, and
        // the next Prepare of it clears the bindings before they are read.
        code = sqlite3_bind_text(statement, index, value.text_value().data(),
                                 static_cast<int>(value.text_value().size()), SQLITE_STATIC);
        break;
    }
    if (code != SQLITE_OK) return ErrorStatus(code, "binding a parameter");
  }
  return statement;
}

absl::Status Tx::Exec(std::string_view sql, const std::vector<SqlValue>& params) {
  return Query(sql, params, [](const Row&) {});
}

absl::Status Tx::Query(std::string_view sql, const std::vector<SqlValue>& params,
                       const std::function<void(const Row&)>& on_row) {
  absl::StatusOr<sqlite3_stmt*> statement = store_.Prepare(sql, params);
  if (!statement.ok()) return statement.status();
  Row row(*statement);
  while (true) {
    int code = sqlite3_step(*statement);
    if (code == SQLITE_ROW) {
      on_row(row);
      continue;
    }
    absl::Status status = code == SQLITE_DONE ? absl::OkStatus() : store_.ErrorStatus(code, sql);
    sqlite3_reset(*statement);
    return status;
  }
}

absl::StatusOr<int64_t> Tx::QueryInt(std::string_view sql, const std::vector<SqlValue>& params) {
  std::optional<int64_t> value;
  absl::Status status = Query(sql, params, [&](const Row& row) {
    if (!value.has_value()) value = row.Int(0);
  });
  if (!status.ok()) return status;
  if (!value.has_value()) return absl::NotFoundError("no row");
  return *value;
}

int Tx::Changes() const { return sqlite3_changes(store_.db_); }

int64_t Tx::LastInsertId() const { return sqlite3_last_insert_rowid(store_.db_); }

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path,
                                                   const std::vector<std::string>& migrations) {
  // The file holds personal data, so only the service's own user may read
  // it. SQLite creates the -wal and -shm files with the database's mode.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || ::fchmod(fd, 0600) != 0) {
    std::string reason = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", reason));
  }
  ::close(fd);

  InstallFaultVfsIfRequested();
  sqlite3* db = nullptr;
  int code = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (code != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    sqlite3_close(db);
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", message));
  }
  std::unique_ptr<Store> store(new Store(db));
  sqlite3_busy_timeout(db, kBusyTimeoutMs);

  // secure_delete overwrites deleted rows in the file, so that personal
  // data a service deletes is gone from the file too, not merely unlinked.
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                             "PRAGMA foreign_keys=ON", "PRAGMA secure_delete=ON"}) {
    char* error = nullptr;
    if (sqlite3_exec(db, pragma, nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = absl::StrCat("cannot open ", path, ": ", error ? error : pragma);
      sqlite3_free(error);
      return absl::FailedPreconditionError(message);
    }
  }
  if (absl::Status status = store->Migrate(migrations); !status.ok()) {
    return absl::Status(status.code(), absl::StrCat(path, ": ", status.message()));
  }
  return store;
}

Store::~Store() {
  for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
  sqlite3_close(db_);
}

int64_t FunctionArguments::Int(int index) const { return sqlite3_value_int64(values_[index]); }

std::string_view FunctionArguments::Text(int index) const {
  const unsigned char* text = sqlite3_value_text(values_[index]);
  if (text == nullptr) return {};
  return std::string_view(reinterpret_cast<const char*>(text), sqlite3_value_bytes(values_[index]));
}

namespace {

void CallFunction(sqlite3_context* context, int /*count*/, sqlite3_value** values) {
  const Store::Function& function = *static_cast<Store::Function*>(sqlite3_user_data(context));
  SqlValue result = function(FunctionArguments(values));
  switch (result.kind()) {
    case SqlValue::Kind::kNull:
      sqlite3_result_null(context);
      break;
    case SqlValue::Kind::kInt:
      sqlite3_result_int64(context, result.int_value());
      break;
    case SqlValue::Kind::kReal:
      sqlite3_result_double(context, result.real_value());
      break;
    case SqlValue::Kind::kText:
      sqlite3_result_text64(context, result.text_value().data(), result.text_value().size(),
                            SQLITE_TRANSIENT, SQLITE_UTF8);
      break;
  }
}

}  // namespace

absl::Status Store::AddFunction(const char* name, int arguments, Function function) {
  std::lock_guard<std::mutex> lock(mutex_);
  functions_.push_back(std::make_unique<Function>(std::move(function)));
  int code = sqlite3_create_function_v2(db_, name, arguments, SQLITE_UTF8, functions_.back().get(),
                                        CallFunction, nullptr, nullptr, nullptr);
  if (code != SQLITE_OK) return ErrorStatus(code, absl::StrCat("cannot add function ", name));
  return absl::OkStatus();
}

void Store::OnTransactionBegin(std::function<absl::Status(Tx& tx)> handler) {
  std::lock_guard<std::mutex> lock(mutex_);
  on_transaction_begin_.push_back(std::move(handler));
}

void Store::OnTransactionEnd(std::function<void(bool committed)> handler) {
  std::lock_guard<std::mutex> lock(mutex_);
  on_transaction_end_.push_back(std::move(handler));
}

void Store::OnOtherConnectionCommit(std::function<absl::Status(Tx& tx)> handler) {
  std::lock_guard<std::mutex> lock(mutex_);
  on_other_connection_commit_.push_back(std::move(handler));
}

int Store::SchemaVersion() {
  int version = 0;
  Read([&](Tx& tx) {
    absl::StatusOr<int64_t> value = tx.QueryInt("PRAGMA user_version");
    if (value.ok()) version = static_cast<int>(*value);
    return value.status();
  }).IgnoreError();
  return version;
}

absl::Status Store::Checkpoint() {
  std::lock_guard<std::mutex> lock(mutex_);
  int log_frames = 0;
  int copied_frames = 0;
  int code = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log_frames,
                                       &copied_frames);
  if (code != SQLITE_OK) return ErrorStatus(code, "checkpointing the write-ahead log");
  return absl::OkStatus();
}

absl::Status Store::Migrate(const std::vector<std::string>& migrations) {
  int version = SchemaVersion();
  if (version > static_cast<int>(migrations.size())) {
    return absl::FailedPreconditionError(absl::StrCat("schema version ", version,
                                                      " is newer than this binary knows (",
                                                      migrations.size(), "); run a newer release"));
  }
  for (int next = version; next < static_cast<int>(migrations.size()); ++next) {
    absl::Status status = Write([&](Tx&) -> absl::Status {
      char* error = nullptr;
      // A migration is a script of several statements, so it cannot be a
      // single prepared statement; it comes from the binary, never a caller.
      std::string script = absl::StrCat(migrations[next], ";\nPRAGMA user_version=", next + 1, ";");
      if (sqlite3_exec(db_, script.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
        std::string message = absl::StrCat("migration to version ", next + 1,
                                           " failed: ", error ? error : "unknown error");
        sqlite3_free(error);
        return absl::InternalError(message);
      }
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    log::Info("schema_migrated").Field("version", next + 1);
  }
  return absl::OkStatus();
}

absl::Status Store::Read(const std::function<absl::Status(Tx&)>& body) {
  return Run("BEGIN", body);
}

absl::Status Store::Write(const std::function<absl::Status(Tx&)>& body) {
  return Run("BEGIN IMMEDIATE", body);
}

absl::Status Store::Step(const char* sql) {
  absl::StatusOr<sqlite3_stmt*> statement = Prepare(sql, {});
  if (!statement.ok()) return statement.status();
  int code = sqlite3_step(*statement);
  sqlite3_reset(*statement);
  if (code == SQLITE_DONE) return absl::OkStatus();
  return ErrorStatus(code, sql);
}

absl::Status Store::RunBody(Tx& tx, const std::function<absl::Status(Tx&)>& body) {
  if (!on_other_connection_commit_.empty()) {
    // SQLite changes data_version only for other connections' commits.
    absl::StatusOr<int64_t> version = tx.QueryInt("PRAGMA data_version");
    if (!version.ok()) return version.status();
    if (data_version_ >= 0 && *version != data_version_) {
      for (const auto& handler : on_other_connection_commit_) {
        absl::Status caught_up = handler(tx);
        if (!caught_up.ok()) return caught_up;
      }
    }
    data_version_ = *version;
  }
  for (const auto& handler : on_transaction_begin_) {
    absl::Status begun = handler(tx);
    if (!begun.ok()) return begun;
  }
  return body(tx);
}

absl::Status Store::End(absl::Status status) {
  if (status.ok()) status = Step("COMMIT");
  if (!status.ok()) Step("ROLLBACK").IgnoreError();
  for (const auto& handler : on_transaction_end_) handler(status.ok());
  return status;
}

absl::Status Store::Run(const char* begin_sql, const std::function<absl::Status(Tx&)>& body) {
  std::lock_guard<std::mutex> lock(mutex_);
  Tx tx(*this);
  absl::Status status;
  for (int attempt = 0; attempt <= kBusyRetries; ++attempt) {
    // Another process may hold the write lock for longer than the busy
    // timeout; the whole transaction is then retried after a pause.
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
    status = Step(begin_sql);
    if (!status.ok()) {
      if (status.code() == absl::StatusCode::kUnavailable) continue;
      return status;
    }
    busy_seen_ = false;
    absl::Status body_status = RunBody(tx, body);
    bool body_busy = busy_seen_;
    status = End(body_status);
    if (status.ok()) return status;
    if (!body_status.ok()) {
      if (body_busy) continue;
      return status;
    }
    if (status.code() != absl::StatusCode::kUnavailable) return status;
  }
  log::Warning("store_busy").Field("retries", kBusyRetries);
  return absl::UnavailableError(
      absl::StrCat("the store stayed busy after ", kBusyRetries, " retries: ", status.message()));
}

std::optional<absl::Status> Store::TryRead(const std::function<absl::Status(Tx&)>& body) {
  return TryRun("BEGIN", body);
}

std::optional<absl::Status> Store::TryWrite(const std::function<absl::Status(Tx&)>& body) {
  return TryRun("BEGIN IMMEDIATE", body);
}

std::optional<absl::Status> Store::TryRun(const char* begin_sql,
                                          const std::function<absl::Status(Tx&)>& body) {
  std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return std::nullopt;

  // Without a busy timeout SQLite returns at once where it would wait for
  // another process, and the caller then takes the waiting path.
  sqlite3_busy_timeout(db_, 0);
  Tx tx(*this);
  busy_seen_ = false;
  absl::Status status = Step(begin_sql);
  if (status.ok()) status = End(RunBody(tx, body));
  bool busy = busy_seen_;
  busy_seen_ = false;
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  if (busy) return std::nullopt;
  return status;
}

}  // namespace pp
