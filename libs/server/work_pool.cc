#include "server/work_pool.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "log/log.h"

namespace pp {
namespace {

// Raises the calling thread's nice value by `increment`, up to 19. On Linux
// the nice value belongs to each thread, not to the whole process.
void LowerThreadPriority(int increment) {
  id_t thread = static_cast<id_t>(gettid());
  errno = 0;
  int current = getpriority(PRIO_PROCESS, thread);
  if (errno != 0) current = 0;
  if (setpriority(PRIO_PROCESS, thread, std::min(current + increment, 19)) != 0) {
    log::Warning("thread_priority_failed").Field("error", std::strerror(errno));
  }
}

}  // namespace

WorkPool::WorkPool(int threads, size_t max_queued, int nice_increment) : max_queued_(max_queued) {
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this, nice_increment] { RunWorker(nice_increment); });
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

void WorkPool::RunWorker(int nice_increment) {
  if (nice_increment > 0) LowerThreadPriority(nice_increment);
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
