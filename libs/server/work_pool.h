// A fixed set of threads that run queued work. RPC handlers hand blocking
// work (SQLite, password hashing, calls to other services) to a pool so that
// gRPC's callback threads never wait on it.
#ifndef PP_SERVER_WORK_POOL_H_
#define PP_SERVER_WORK_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pp {

class WorkPool {
 public:
  explicit WorkPool(int threads);
  // Runs the work already queued, then joins the threads.
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  void Submit(std::function<void()> work);

 private:
  void RunWorker();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace pp

#endif  // PP_SERVER_WORK_POOL_H_
