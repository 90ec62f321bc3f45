// A fixed set of threads with a queue of fixed length, for password
// hashing. When the threads are busy and the queue is full, new work is
// turned away at once, so that a storm of sign-ins cannot hold memory
// without limit or delay the calls that do not hash.
#ifndef PP_SERVICES_IDENTITY_BOUNDED_POOL_H_
#define PP_SERVICES_IDENTITY_BOUNDED_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pp::identity {

class BoundedPool {
 public:
  // Starts `threads` threads. At most `max_queued` items wait for a thread.
  BoundedPool(int threads, size_t max_queued);
  // Runs the work already queued, then joins the threads.
  ~BoundedPool();
  BoundedPool(const BoundedPool&) = delete;
  BoundedPool& operator=(const BoundedPool&) = delete;

  // Queues `work` and returns true, or returns false without queueing when
  // `max_queued` items are already waiting.
  bool TrySubmit(std::function<void()> work);

 private:
  void RunWorker();

  const size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace pp::identity

#endif  // PP_SERVICES_IDENTITY_BOUNDED_POOL_H_
