#include "store/grouped_writer.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/work_pool.h"
#include "store/store.h"
#include "testing/temp_dir.h"

namespace {

const std::vector<std::string> kMigrations = {
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)",
};

// Keeps the work a writer hands over until the test runs it.
struct DeferredWork {
  pp::GroupedWriter::Executor Executor() {
    return [this](std::function<void()> work) { queued.push_back(std::move(work)); };
  }
  void RunAll() {
    while (!queued.empty()) {
      std::function<void()> work = std::move(queued.front());
      queued.erase(queued.begin());
      work();
    }
  }
  std::vector<std::function<void()>> queued;
};

std::unique_ptr<pp::Store> OpenNotes(pp::TempDir& dir) {
  absl::StatusOr<std::unique_ptr<pp::Store>> store =
      pp::Store::Open(dir.Path("notes.db"), kMigrations);
  REQUIRE(store.ok());
  return *std::move(store);
}

pp::GroupedWriter::Body Insert(std::string body) {
  return [body](pp::Tx& tx) { return tx.Exec("INSERT INTO notes(body) VALUES (?)", {body}); };
}

std::vector<std::string> Notes(pp::Store& store) {
  std::vector<std::string> notes;
  REQUIRE(store
              .Read([&](pp::Tx& tx) {
                return tx.Query("SELECT body FROM notes ORDER BY id", {},
                                [&](const pp::Row& row) { notes.push_back(row.Text(0)); });
              })
              .ok());
  return notes;
}

// Runs `submit` on another thread while this one has the store locked, so
// that the writer finds it busy.
void SubmitWhileBusy(pp::Store& store, const std::function<void()>& submit) {
  REQUIRE(store
              .Write([&](pp::Tx& tx) {
                std::thread submitter(submit);
                submitter.join();
                return tx.Exec("INSERT INTO notes(body) VALUES ('held')");
              })
              .ok());
}

}  // namespace

TEST_CASE("grouped writes on a free store commit before Submit returns") {
  pp::TempDir dir;
  std::unique_ptr<pp::Store> store = OpenNotes(dir);
  DeferredWork deferred;
  pp::GroupedWriter writer(*store, deferred.Executor());

  std::optional<absl::Status> done;
  writer.Submit(Insert("first"), [&](absl::Status status) { done = status; });
  REQUIRE(done.has_value());
  CHECK(done->ok());
  CHECK(deferred.queued.empty());
  CHECK(Notes(*store) == std::vector<std::string>{"first"});
}

TEST_CASE("grouped writes that queue behind a busy store share one transaction") {
  pp::TempDir dir;
  std::unique_ptr<pp::Store> store = OpenNotes(dir);
  int commits = 0;
  store->OnTransactionEnd([&](bool committed) { commits += committed ? 1 : 0; });
  DeferredWork deferred;
  pp::GroupedWriter writer(*store, deferred.Executor());

  std::vector<absl::Status> done;
  SubmitWhileBusy(*store, [&] {
    for (const char* body : {"a", "b", "c"}) {
      writer.Submit(Insert(body), [&](absl::Status status) { done.push_back(status); });
    }
  });
  // The submitting thread returned without waiting and nothing ran yet.
  CHECK(done.empty());
  REQUIRE(deferred.queued.size() == 1);

  commits = 0;
  deferred.RunAll();
  REQUIRE(done.size() == 3);
  for (const absl::Status& status : done) CHECK(status.ok());
  CHECK(commits == 1);
  CHECK(Notes(*store) == std::vector<std::string>{"held", "a", "b", "c"});
}

TEST_CASE("a grouped write that fails fails only its own submission") {
  pp::TempDir dir;
  std::unique_ptr<pp::Store> store = OpenNotes(dir);
  DeferredWork deferred;
  pp::GroupedWriter writer(*store, deferred.Executor());

  std::vector<absl::Status> done(3, absl::UnknownError("not called"));
  SubmitWhileBusy(*store, [&] {
    writer.Submit(Insert("a"), [&](absl::Status status) { done[0] = status; });
    // "held" is written by the transaction that keeps the store busy.
    writer.Submit(Insert("held"), [&](absl::Status status) { done[1] = status; });
    writer.Submit(Insert("b"), [&](absl::Status status) { done[2] = status; });
  });
  deferred.RunAll();

  CHECK(done[0].ok());
  CHECK(done[1].code() == absl::StatusCode::kAlreadyExists);
  CHECK(done[2].ok());
  CHECK(Notes(*store) == std::vector<std::string>{"held", "a", "b"});
}

TEST_CASE("a grouped writer being destroyed waits for queued writes") {
  pp::TempDir dir;
  std::unique_ptr<pp::Store> store = OpenNotes(dir);
  pp::WorkPool pool(1);
  auto writer = std::make_unique<pp::GroupedWriter>(*store, pool.Submitter());

  std::atomic<bool> done{false};
  bool done_before_destroyed = false;
  std::thread destroyer;
  SubmitWhileBusy(*store, [&] {
    writer->Submit(Insert("queued"), [&](absl::Status status) { done = status.ok(); });
    // The pool's thread now waits for the store, which stays locked until
    // the destroyer has started.
    destroyer = std::thread([&] {
      writer.reset();
      done_before_destroyed = done;
    });
  });
  destroyer.join();
  CHECK(done_before_destroyed);
  CHECK(Notes(*store) == std::vector<std::string>{"held", "queued"});
}
