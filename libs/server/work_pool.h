// A fixed set of threads that run queued work. RPC handlers hand blocking
// work (SQLite, password hashing, calls to other services) to a pool so that
// gRPC's callback threads never wait on it. A pool with a bounded queue turns
// work away when full, so that a storm of one kind of call cannot hold
// memory without limit or delay the others.
#ifndef PP_SERVER_WORK_POOL_H_
#define PP_SERVER_WORK_POOL_H_

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
    // (SCHED_IDLE), for heavy work that must not delay short calls. While
    // other work keeps every core busy, the pool's work waits.
    kWhenIdle,
  };

  // Starts `threads` threads. At most `max_queued` items wait for a thread.
  explicit WorkPool(int threads, size_t max_queued = std::numeric_limits<size_t>::max(),
                    Priority priority = Priority::kNormal);
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
  void RunWorker(Priority priority);

  const size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace pp

#endif  // PP_SERVER_WORK_POOL_H_
