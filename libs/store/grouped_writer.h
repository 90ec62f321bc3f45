// Runs short write transactions that arrive together as one SQLite
// transaction: they share one BEGIN, one COMMIT and one write of the log,
// and the store's lock changes hands once for all of them.
//
//   GroupedWriter writes(store, pool.Submitter());  // pool: a WorkPool
//   writes.Submit([&](Tx& tx) { return tx.Exec(...); },
//                 [](absl::Status committed) { ... });
//
// A thread that submits while no group is running runs one itself when
// the store is free, then returns to its caller. While a group runs,
// submitting only queues. Groups that would have to wait for the store run
// through `run_blocking`, so a submitting thread never waits for the store.
#ifndef PP_STORE_GROUPED_WRITER_H_
#define PP_STORE_GROUPED_WRITER_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>

#include "absl/status/status.h"
#include "store/store.h"

namespace pp {

class GroupedWriter {
 public:
  using Body = std::function<absl::Status(Tx&)>;
  using Done = std::function<void(absl::Status)>;
  using Executor = std::function<void(std::function<void()>)>;

  // `store` must outlive the writer. `run_blocking` runs work on a thread
  // that may wait for the store (a WorkPool), and must run everything it
  // is given, even while the writer is being destroyed.
  GroupedWriter(Store& store, Executor run_blocking, int max_group = 32);
  // Waits until every queued body has run and its `done` returned.
  ~GroupedWriter();
  GroupedWriter(const GroupedWriter&) = delete;
  GroupedWriter& operator=(const GroupedWriter&) = delete;

  // Queues `body` and calls `done` once, with OK after the transaction that
  // ran it committed, or with the error that kept its writes out. A body
  // that returns an error fails only its own submission: the others of its
  // group then run again, each in a transaction of its own. So `body` may
  // run more than once, and its effects outside the store must be ones it
  // can repeat (as for Store::TryWrite); what `done` reads of them is from
  // the run that counted. `done` runs on the thread that ran the group,
  // with the store unlocked.
  void Submit(Body body, Done done);

 private:
  struct Pending {
    Body body;
    Done done;
    // Set once it failed in a group: it then runs in a group of its own.
    bool alone;
  };

  // Runs the next group, hands the queue to `run_blocking_` if more
  // arrived, then calls the group's `done`s. On a submitting thread
  // (`may_block` false) it runs a group only with the store free, and
  // otherwise hands the queue over at once.
  void Lead(bool may_block);
  // Runs `group`'s bodies in one transaction and returns its status, or
  // nullopt, with nothing committed, when `may_block` is false and the
  // store is busy.
  std::optional<absl::Status> RunGroup(std::deque<Pending>& group, bool may_block);

  Store& store_;
  const Executor run_blocking_;
  const size_t max_group_;

  std::mutex mutex_;
  std::condition_variable idle_;
  std::deque<Pending> queue_;
  // True while a thread runs a group's transaction (or has been asked to):
  // at most one does.
  bool leading_ = false;
  // Threads calling the `done`s of a committed group.
  int answering_ = 0;
};

}  // namespace pp

#endif  // PP_STORE_GROUPED_WRITER_H_
