// A fixed set of threads that run queued work. RPC handlers hand blocking
// work (SQLite, password hashing, calls to other services) to a pool so that
// gRPC's callback threads never wait on it. A pool with a bounded queue turns
// work away when full, so that a storm of one kind of call cannot hold
// memory without limit or delay the others.
#ifndef PP_SERVER_WORK_POOL_H_
#define PP_SERVER_WORK_POOL_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

namespace pp {

class WorkPool {
 public:
  enum class Priority {
    kNormal,
    // The threads run only on a core that no other thread wants
    // (SCHED_IDLE), for heavy work that must not delay short calls. So
    // that such work is not starved while other work keeps every core busy,
    // one more thread, the backstop, runs at nice 10. It takes any item
    // that has waited `backstop_after`, and the items an idle thread finds
    // it cannot run promptly. Once an idle thread took more than kSlowWake
    // to wake for an item, or an item took kStarvedMargin longer than its
    // CPU time, the backstop takes every item until one of its own runs
    // without such a wait.
    kWhenIdle,
  };

  // How long an item of a kWhenIdle pool waits before the nice-10 thread
  // takes it, unless the pool is given another wait.
  static constexpr std::chrono::milliseconds kBackstopAfter{250};
  // A thread woken for work on an idle core runs within well under a
  // millisecond, so a longer wake means every core was busy.
  static constexpr std::chrono::milliseconds kSlowWake{2};
  // Wall time beyond its CPU time after which an idle thread's item counts
  // as starved. It leaves room for the short waits of the work itself, such
  // as a store write or a call to another service.
  static constexpr std::chrono::milliseconds kStarvedMargin{20};

  // Starts `threads` threads, and for kWhenIdle the nice-10 thread as well.
  // At most `max_queued` items wait for a thread.
  explicit WorkPool(int threads, size_t max_queued = std::numeric_limits<size_t>::max(),
                    Priority priority = Priority::kNormal,
                    std::chrono::milliseconds backstop_after = kBackstopAfter);
  // Runs the work already queued, then joins the threads.
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Queues `work`. A full queue still takes it: use TrySubmit on a pool
  // whose queue is bounded.
  void Submit(std::function<void()> work);

  // Queues `work` and returns true, or returns false without queueing when
  // `max_queued` items are already waiting.
  bool TrySubmit(std::function<void()> work);

  // Returns a function that passes its argument to Submit, for code that
  // takes any way of running work on another thread (GroupedWriter). The
  // pool must outlive it.
  std::function<void(std::function<void()>)> Submitter();

 private:
  struct Item {
    std::function<void()> work;
    std::chrono::steady_clock::time_point queued_at;
    // Set by an idle thread that cannot run it promptly, so that only the
    // backstop takes it.
    bool for_backstop = false;
  };

  void RunWorker(Priority priority);
  // The kWhenIdle pool's SCHED_IDLE threads.
  void RunIdleWorker();
  // The kWhenIdle pool's nice-10 thread.
  void RunBackstop();
  // Queues `work` with the lock held, and returns whether the queue was
  // empty before.
  bool PushLocked(std::function<void()> work);
  void NotifyPushed(bool was_empty);

  const size_t max_queued_;
  const std::chrono::milliseconds backstop_after_;
  bool has_backstop_ = false;
  // Set while other threads keep every core busy, as the idle threads and
  // the backstop measure it. The idle threads then leave every item to the
  // backstop.
  bool cores_busy_ = false;
  std::mutex mutex_;
  std::condition_variable ready_;
  // Wakes the nice-10 thread when an item arrives in an empty queue.
  std::condition_variable backstop_ready_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace pp

#endif  // PP_SERVER_WORK_POOL_H_
