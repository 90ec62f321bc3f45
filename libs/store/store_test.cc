#include "store/store.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "testing/temp_dir.h"

namespace {

const std::vector<std::string> kMigrations = {
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)",
    "ALTER TABLE notes ADD COLUMN author TEXT",
};

}  // namespace

TEST_CASE("store applies migrations once and records the version") {
  pp::TempDir dir;
  std::string path = dir.Path("notes.db");
  {
    auto store = pp::Store::Open(path, {kMigrations[0]});
    REQUIRE(store.ok());
    CHECK((*store)->SchemaVersion() == 1);
  }
  auto store = pp::Store::Open(path, kMigrations);
  REQUIRE(store.ok());
  CHECK((*store)->SchemaVersion() == 2);
  CHECK((*store)
            ->Write([](pp::Tx& tx) {
              return tx.Exec("INSERT INTO notes(body, author) VALUES (?, ?)", {"hi", "ann"});
            })
            .ok());
}

TEST_CASE("store files are private to their owner") {
  pp::TempDir dir;
  std::string path = dir.Path("notes.db");
  dir.WriteFile("notes.db", "");
  std::filesystem::permissions(path, std::filesystem::perms::all);
  auto store = pp::Store::Open(path, kMigrations);
  REQUIRE(store.ok());
  REQUIRE((*store)
              ->Write([](pp::Tx& tx) {
                return tx.Exec("INSERT INTO notes(body) VALUES (?)", {"private"});
              })
              .ok());
  for (const std::string& file : {path, path + "-wal"}) {
    INFO(file);
    REQUIRE(std::filesystem::exists(file));
    CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  }
}

TEST_CASE("store refuses a file newer than its migrations") {
  pp::TempDir dir;
  std::string path = dir.Path("notes.db");
  REQUIRE(pp::Store::Open(path, kMigrations).ok());
  auto older = pp::Store::Open(path, {kMigrations[0]});
  CHECK(older.status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("store reports a file that is not a database") {
  pp::TempDir dir;
  std::string path = dir.Path("garbage.db");
  dir.WriteFile("garbage.db", std::string(4096, 'x'));
  CHECK_FALSE(pp::Store::Open(path, kMigrations).ok());
}

TEST_CASE("store rolls back a write whose body fails") {
  pp::TempDir dir;
  auto store = pp::Store::Open(dir.Path("notes.db"), kMigrations);
  REQUIRE(store.ok());
  absl::Status status = (*store)->Write([](pp::Tx& tx) {
    if (absl::Status s = tx.Exec("INSERT INTO notes(body) VALUES (?)", {"kept?"}); !s.ok())
      return s;
    return absl::InvalidArgumentError("changed my mind");
  });
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  (*store)
      ->Read([](pp::Tx& tx) {
        CHECK(*tx.QueryInt("SELECT COUNT(*) FROM notes") == 0);
        return absl::OkStatus();
      })
      .IgnoreError();
}

TEST_CASE("store maps a unique violation to AlreadyExists") {
  pp::TempDir dir;
  auto store = pp::Store::Open(dir.Path("notes.db"), kMigrations);
  REQUIRE(store.ok());
  auto insert = [](pp::Tx& tx) { return tx.Exec("INSERT INTO notes(body) VALUES (?)", {"same"}); };
  REQUIRE((*store)->Write(insert).ok());
  CHECK((*store)->Write(insert).code() == absl::StatusCode::kAlreadyExists);
}

TEST_CASE("store keeps text with quotes and NUL-free unicode intact") {
  pp::TempDir dir;
  auto store = pp::Store::Open(dir.Path("notes.db"), kMigrations);
  REQUIRE(store.ok());
  std::string body = "Niamh O'Brien-Mac Aonghais'; DROP TABLE notes; --";
  REQUIRE(
      (*store)
          ->Write([&](pp::Tx& tx) { return tx.Exec("INSERT INTO notes(body) VALUES (?)", {body}); })
          .ok());
  std::string read_back;
  REQUIRE((*store)
              ->Read([&](pp::Tx& tx) {
                return tx.Query("SELECT body FROM notes", {},
                                [&](const pp::Row& row) { read_back = row.Text(0); });
              })
              .ok());
  CHECK(read_back == body);
}

TEST_CASE("store writers in two connections never see a locked database") {
  pp::TempDir dir;
  std::string path = dir.Path("notes.db");
  auto first = pp::Store::Open(path, kMigrations);
  auto second = pp::Store::Open(path, kMigrations);
  REQUIRE(first.ok());
  REQUIRE(second.ok());

  constexpr int kWritesEach = 200;
  auto write_many = [](pp::Store& store, std::string prefix, int* failures) {
    for (int i = 0; i < kWritesEach; ++i) {
      absl::Status status = store.Write([&](pp::Tx& tx) {
        return tx.Exec("INSERT INTO notes(body) VALUES (?)", {prefix + std::to_string(i)});
      });
      if (!status.ok()) ++*failures;
    }
  };
  int failures_a = 0, failures_b = 0, failures_c = 0;
  std::thread a(write_many, std::ref(**first), "a", &failures_a);
  std::thread b(write_many, std::ref(**second), "b", &failures_b);
  std::thread c(write_many, std::ref(**first), "c", &failures_c);
  a.join();
  b.join();
  c.join();
  CHECK(failures_a == 0);
  CHECK(failures_b == 0);
  CHECK(failures_c == 0);
  (*first)
      ->Read([](pp::Tx& tx) {
        CHECK(*tx.QueryInt("SELECT COUNT(*) FROM notes") == 3 * kWritesEach);
        return absl::OkStatus();
      })
      .IgnoreError();
}

TEST_CASE("store checkpoint empties the write-ahead log") {
  pp::TempDir dir;
  std::string path = dir.Path("notes.db");
  auto store = pp::Store::Open(path, kMigrations);
  REQUIRE(store.ok());
  REQUIRE((*store)
              ->Write([](pp::Tx& tx) {
                return tx.Exec("INSERT INTO notes(body) VALUES (?)", {"checkpointed note"});
              })
              .ok());
  REQUIRE(std::filesystem::file_size(path + "-wal") > 0);

  REQUIRE((*store)->Checkpoint().ok());

  CHECK(std::filesystem::file_size(path + "-wal") == 0);
  CHECK(pp::ReadFile(path).find("checkpointed note") != std::string::npos);
}

TEST_CASE("store TryRead reads like Read when the connection is free") {
  pp::TempDir dir;
  auto store = pp::Store::Open(dir.Path("notes.db"), kMigrations);
  REQUIRE(store.ok());
  REQUIRE((*store)
              ->Write([](pp::Tx& tx) { return tx.Exec("INSERT INTO notes(body) VALUES ('a')"); })
              .ok());

  int64_t count = 0;
  std::optional<absl::Status> status = (*store)->TryRead([&](pp::Tx& tx) {
    absl::StatusOr<int64_t> counted = tx.QueryInt("SELECT COUNT(*) FROM notes");
    if (counted.ok()) count = *counted;
    return counted.status();
  });
  REQUIRE(status.has_value());
  CHECK(status->ok());
  CHECK(count == 1);

  // The body's own error comes back as it is.
  status = (*store)->TryRead([](pp::Tx&) { return absl::NotFoundError("no such note"); });
  REQUIRE(status.has_value());
  CHECK(status->code() == absl::StatusCode::kNotFound);

  // The connection is usable afterwards.
  CHECK((*store)
            ->Write([](pp::Tx& tx) { return tx.Exec("INSERT INTO notes(body) VALUES ('b')"); })
            .ok());
}

TEST_CASE("store TryRead does not wait for another thread") {
  pp::TempDir dir;
  auto store = pp::Store::Open(dir.Path("notes.db"), kMigrations);
  REQUIRE(store.ok());

  bool body_ran = false;
  std::optional<absl::Status> status = absl::OkStatus();
  REQUIRE((*store)
              ->Write([&](pp::Tx& tx) {
                // A second thread tries to read while this write uses the connection.
                std::thread reader([&] {
                  status = (*store)->TryRead([&](pp::Tx&) {
                    body_ran = true;
                    return absl::OkStatus();
                  });
                });
                reader.join();
                return tx.Exec("INSERT INTO notes(body) VALUES ('written')");
              })
              .ok());
  CHECK_FALSE(status.has_value());
  CHECK_FALSE(body_ran);
}

namespace {

int64_t CountNotes(pp::Store& store) {
  int64_t count = -1;
  REQUIRE(store
              .Read([&](pp::Tx& tx) {
                absl::StatusOr<int64_t> counted = tx.QueryInt("SELECT COUNT(*) FROM notes");
                if (counted.ok()) count = *counted;
                return counted.status();
              })
              .ok());
  return count;
}

}  // namespace

TEST_CASE("store TryWrite commits or rolls back") {
  pp::TempDir dir;
  auto store = pp::Store::Open(dir.Path("notes.db"), kMigrations);
  REQUIRE(store.ok());

  std::optional<absl::Status> status = (*store)->TryWrite(
      [](pp::Tx& tx) { return tx.Exec("INSERT INTO notes(body) VALUES ('a')"); });
  REQUIRE(status.has_value());
  CHECK(status->ok());
  CHECK(CountNotes(**store) == 1);

  status = (*store)->TryWrite([](pp::Tx& tx) {
    absl::Status inserted = tx.Exec("INSERT INTO notes(body) VALUES ('b')");
    if (!inserted.ok()) return inserted;
    return absl::FailedPreconditionError("changed my mind");
  });
  REQUIRE(status.has_value());
  CHECK(status->code() == absl::StatusCode::kFailedPrecondition);
  CHECK(CountNotes(**store) == 1);
}

TEST_CASE("store TryWrite never waits for a lock") {
  pp::TempDir dir;
  auto store = pp::Store::Open(dir.Path("notes.db"), kMigrations);
  REQUIRE(store.ok());
  bool body_ran = false;
  auto try_insert = [&](pp::Store& target) {
    return target.TryWrite([&](pp::Tx& tx) {
      body_ran = true;
      return tx.Exec("INSERT INTO notes(body) VALUES ('tried')");
    });
  };

  // This connection is in use by a write on another thread.
  std::optional<absl::Status> status = absl::OkStatus();
  REQUIRE((*store)
              ->Write([&](pp::Tx& tx) {
                std::thread writer([&] { status = try_insert(**store); });
                writer.join();
                return tx.Exec("INSERT INTO notes(body) VALUES ('written')");
              })
              .ok());
  CHECK_FALSE(status.has_value());
  CHECK_FALSE(body_ran);

  // A second connection to the same file, as another process would open it,
  // takes the write lock.
  auto other = pp::Store::Open(dir.Path("notes.db"), kMigrations);
  REQUIRE(other.ok());
  status = absl::OkStatus();
  REQUIRE((*other)
              ->Write([&](pp::Tx& tx) {
                status = try_insert(**store);
                return tx.Exec("INSERT INTO notes(body) VALUES ('other')");
              })
              .ok());
  CHECK_FALSE(status.has_value());
  CHECK(CountNotes(**store) == 2);

  // Free again, it writes.
  status = try_insert(**store);
  REQUIRE(status.has_value());
  CHECK(status->ok());
  CHECK(CountNotes(**store) == 3);
}

TEST_CASE("store reports each transaction's outcome") {
  pp::TempDir dir;
  const std::vector<std::string> migrations = {
      "CREATE TABLE parents (id INTEGER PRIMARY KEY);"
      "CREATE TABLE children (parent_id INTEGER NOT NULL REFERENCES parents(id) "
      "  DEFERRABLE INITIALLY DEFERRED)"};
  auto store = pp::Store::Open(dir.Path("family.db"), migrations);
  REQUIRE(store.ok());
  std::vector<bool> ends;
  (*store)->OnTransactionEnd([&](bool committed) { ends.push_back(committed); });

  CHECK((*store)
            ->Write([](pp::Tx& tx) { return tx.Exec("INSERT INTO parents(id) VALUES (1)"); })
            .ok());
  CHECK_FALSE((*store)
                  ->Write([](pp::Tx& tx) {
                    absl::Status inserted = tx.Exec("INSERT INTO parents(id) VALUES (2)");
                    if (!inserted.ok()) return inserted;
                    return absl::AbortedError("changed my mind");
                  })
                  .ok());
  // The body succeeds; the deferred foreign key fails the COMMIT itself.
  CHECK_FALSE(
      (*store)->Write([](pp::Tx& tx) { return tx.Exec("INSERT INTO children VALUES (9)"); }).ok());
  std::optional<absl::Status> tried =
      (*store)->TryWrite([](pp::Tx& tx) { return tx.Exec("INSERT INTO parents(id) VALUES (3)"); });
  REQUIRE(tried.has_value());
  CHECK(tried->ok());
  CHECK((*store)
            ->Read([](pp::Tx& tx) { return tx.QueryInt("SELECT COUNT(*) FROM parents").status(); })
            .ok());
  CHECK(ends == std::vector<bool>{true, false, false, true, true});

  // A second handler runs after the first, which stays.
  std::vector<std::string> order;
  (*store)->OnTransactionEnd([&](bool) { order.push_back("second"); });
  (*store)->OnTransactionBegin([&](pp::Tx&) {
    order.push_back("begin");
    return absl::OkStatus();
  });
  CHECK((*store)
            ->Write([](pp::Tx& tx) { return tx.Exec("INSERT INTO parents(id) VALUES (4)"); })
            .ok());
  CHECK(ends.size() == 6);
  CHECK(order == std::vector<std::string>{"begin", "second"});
}

TEST_CASE("store reports other connections' commits") {
  pp::TempDir dir;
  auto store = pp::Store::Open(dir.Path("notes.db"), kMigrations);
  REQUIRE(store.ok());
  auto other = pp::Store::Open(dir.Path("notes.db"), kMigrations);
  REQUIRE(other.ok());
  int reported = 0;
  (*store)->OnOtherConnectionCommit([&](pp::Tx&) {
    ++reported;
    return absl::OkStatus();
  });
  auto read = [&] { return (*store)->Read([](pp::Tx&) { return absl::OkStatus(); }); };
  auto write = [](pp::Store& target) {
    return target.Write(
        [](pp::Tx& tx) { return tx.Exec("INSERT INTO notes(body) VALUES (hex(randomblob(8)))"); });
  };

  // The first transaction records the version, and the store's own commits
  // change nothing.
  REQUIRE(read().ok());
  REQUIRE(write(**store).ok());
  REQUIRE(read().ok());
  CHECK(reported == 0);

  REQUIRE(write(**other).ok());
  REQUIRE(read().ok());
  CHECK(reported == 1);
  REQUIRE(read().ok());
  CHECK(reported == 1);

  // A failing handler fails the transaction and runs again at the next one.
  bool fail = true;
  (*store)->OnOtherConnectionCommit(
      [&](pp::Tx&) { return fail ? absl::UnavailableError("rebuild failed") : absl::OkStatus(); });
  REQUIRE(write(**other).ok());
  CHECK_FALSE(read().ok());
  fail = false;
  REQUIRE(read().ok());
  CHECK(reported == 3);
  REQUIRE(read().ok());
  CHECK(reported == 3);
}

TEST_CASE("store functions serve SQL and TEMP triggers") {
  pp::TempDir dir;
  int inserted = 0;
  {
    auto store = pp::Store::Open(dir.Path("notes.db"), kMigrations);
    REQUIRE(store.ok());
    REQUIRE((*store)
                ->AddFunction("shout", 1,
                              [](const pp::FunctionArguments& arguments) {
                                std::string text(arguments.Text(0));
                                for (char& c : text) c = static_cast<char>(std::toupper(c));
                                return pp::SqlValue(text);
                              })
                .ok());
    REQUIRE((*store)
                ->AddFunction("note_inserted", 1,
                              [&](const pp::FunctionArguments& arguments) {
                                inserted += static_cast<int>(arguments.Int(0));
                                return pp::SqlValue();
                              })
                .ok());
    std::string shouted;
    REQUIRE((*store)
                ->Write([&](pp::Tx& tx) {
                  absl::Status status = tx.Exec(
                      "CREATE TEMP TRIGGER counted AFTER INSERT ON main.notes BEGIN "
                      "SELECT note_inserted(1); END");
                  if (!status.ok()) return status;
                  status = tx.Exec("INSERT INTO notes(body) VALUES ('a'), ('b')");
                  if (!status.ok()) return status;
                  return tx.Query("SELECT shout(body) FROM notes WHERE body = 'a'", {},
                                  [&](const pp::Row& row) { shouted = row.Text(0); });
                })
                .ok());
    CHECK(shouted == "A");
    CHECK(inserted == 2);
  }
  // A new connection has neither the function nor the trigger, and the file opens as before.
  auto reopened = pp::Store::Open(dir.Path("notes.db"), kMigrations);
  REQUIRE(reopened.ok());
  CHECK((*reopened)
            ->Write([](pp::Tx& tx) { return tx.Exec("INSERT INTO notes(body) VALUES ('c')"); })
            .ok());
  CHECK(CountNotes(**reopened) == 3);
  CHECK(inserted == 2);
}

TEST_CASE("store begin handler runs before each body") {
  pp::TempDir dir;
  auto store = pp::Store::Open(dir.Path("notes.db"), kMigrations);
  REQUIRE(store.ok());
  bool reject = false;
  int begun = 0;
  int notes_seen = -1;
  (*store)->OnTransactionBegin([&](pp::Tx& tx) -> absl::Status {
    ++begun;
    if (reject) return absl::FailedPreconditionError("not now");
    absl::StatusOr<int64_t> notes = tx.QueryInt("SELECT COUNT(*) FROM notes");
    if (!notes.ok()) return notes.status();
    notes_seen = static_cast<int>(*notes);
    return absl::OkStatus();
  });

  REQUIRE((*store)
              ->Write([](pp::Tx& tx) { return tx.Exec("INSERT INTO notes(body) VALUES ('a')"); })
              .ok());
  CHECK(begun == 1);
  CHECK(notes_seen == 0);

  reject = true;
  bool body_ran = false;
  absl::Status rejected = (*store)->Write([&](pp::Tx& tx) {
    body_ran = true;
    return tx.Exec("INSERT INTO notes(body) VALUES ('b')");
  });
  CHECK(rejected.code() == absl::StatusCode::kFailedPrecondition);
  std::optional<absl::Status> tried = (*store)->TryWrite([&](pp::Tx& tx) {
    body_ran = true;
    return tx.Exec("INSERT INTO notes(body) VALUES ('c')");
  });
  REQUIRE(tried.has_value());
  CHECK(tried->code() == absl::StatusCode::kFailedPrecondition);
  CHECK_FALSE(body_ran);
  CHECK(begun == 3);

  reject = false;
  CHECK(CountNotes(**store) == 1);
  CHECK(notes_seen == 1);
}
