// Runs a task on its own thread: once at start, then every interval until
// destroyed.
#ifndef PP_SERVER_PERIODIC_TASK_H_
#define PP_SERVER_PERIODIC_TASK_H_

#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace pp {

class PeriodicTask {
 public:
  PeriodicTask(std::function<void()> task, absl::Duration interval);
  // Waits for a run in progress to finish, then stops the thread.
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

 private:
  void Run();

  std::function<void()> task_;
  const absl::Duration interval_;
  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace pp

#endif  // PP_SERVER_PERIODIC_TASK_H_
