#include "server/work_pool.h"

#include <sched.h>

#include <cerrno>
#include <cstring>

#include "log/log.h"

namespace pp {
namespace {

// Runs the calling thread only when no other thread of the machine wants
// its core (SCHED_IDLE; on Linux the policy belongs to each thread). Any
// other thread that wakes takes the core at once, where a thread of merely
// lower priority would keep it for up to a time slice, a few milliseconds,
// while the other core might sit idle.
void RunOnlyWhenIdle() {
  sched_param param{};
  if (sched_setscheduler(0, SCHED_IDLE, &param) != 0) {
    log::Warning("thread_policy_failed").Field("error", std::strerror(errno));
  }
}

}  // namespace

WorkPool::WorkPool(int threads, size_t max_queued, Priority priority) : max_queued_(max_queued) {
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this, priority] { RunWorker(priority); });
  }
}

WorkPool::~WorkPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void WorkPool::Submit(std::function<void()> work) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(work));
  }
  ready_.notify_one();
}

std::function<void(std::function<void()>)> WorkPool::Submitter() {
  return [this](std::function<void()> work) { Submit(std::move(work)); };
}

bool WorkPool::TrySubmit(std::function<void()> work) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(work));
  }
  ready_.notify_one();
  return true;
}

void WorkPool::RunWorker(Priority priority) {
  if (priority == Priority::kWhenIdle) RunOnlyWhenIdle();
  while (true) {
    std::function<void()> work;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    work();
  }
}

}  // namespace pp
