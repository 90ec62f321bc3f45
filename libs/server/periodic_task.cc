#include "server/periodic_task.h"

#include <utility>

namespace pp {

PeriodicTask::PeriodicTask(std::function<void()> task, absl::Duration interval)
    : task_(std::move(task)), interval_(interval), thread_([this] { Run(); }) {}

PeriodicTask::~PeriodicTask() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  thread_.join();
}

void PeriodicTask::Run() {
  while (true) {
    task_();
    absl::MutexLock lock(&mutex_);
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return stopping_; };
    mutex_.AwaitWithTimeout(absl::Condition(&stopping), interval_);
    if (stopping_) return;
  }
}

}  // namespace pp
