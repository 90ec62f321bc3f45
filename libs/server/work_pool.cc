#include "server/work_pool.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "log/log.h"

namespace pp {
namespace {

// The nice value of a kWhenIdle pool's backstop thread: below every thread
// at the default 0, so that it takes a busy core's time only in proportion
// (about a tenth of a core against one busy thread at nice 0).
constexpr int kBackstopNice = 10;

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

// Lowers the calling thread's priority to `nice`, unless it is lower
// already. On Linux a thread's nice value is its own, so the rest of the
// process keeps its priority.
void LowerThreadPriority(int nice) {
  const auto thread_id = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  const int current = getpriority(PRIO_PROCESS, thread_id);
  if (errno == 0 && current >= nice) return;
  if (setpriority(PRIO_PROCESS, thread_id, nice) != 0) {
    log::Warning("thread_nice_failed").Field("error", std::strerror(errno));
  }
}

}  // namespace

WorkPool::WorkPool(int threads, size_t max_queued, Priority priority,
                   std::chrono::milliseconds backstop_after)
    : max_queued_(max_queued), backstop_after_(backstop_after) {
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this, priority] { RunWorker(priority); });
  }
  if (priority == Priority::kWhenIdle) {
    has_backstop_ = true;
    threads_.emplace_back([this] { RunBackstop(); });
  }
}

WorkPool::~WorkPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  backstop_ready_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

bool WorkPool::PushLocked(std::function<void()> work) {
  const bool was_empty = queue_.empty();
  queue_.push_back(Item{std::move(work), std::chrono::steady_clock::now()});
  return was_empty;
}

void WorkPool::NotifyPushed(bool was_empty) {
  ready_.notify_one();
  // The backstop times the item at the front, which changes only when the
  // queue was empty.
  if (has_backstop_ && was_empty) backstop_ready_.notify_one();
}

void WorkPool::Submit(std::function<void()> work) {
  bool was_empty = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    was_empty = PushLocked(std::move(work));
  }
  NotifyPushed(was_empty);
}

std::function<void(std::function<void()>)> WorkPool::Submitter() {
  return [this](std::function<void()> work) { Submit(std::move(work)); };
}

bool WorkPool::TrySubmit(std::function<void()> work) {
  bool was_empty = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.size() >= max_queued_) return false;
    was_empty = PushLocked(std::move(work));
  }
  NotifyPushed(was_empty);
  return true;
}

void WorkPool::RunWorker(Priority priority) {
  if (priority == Priority::kWhenIdle) {
    RunIdleWorker();
    return;
  }
  while (true) {
    std::function<void()> work;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      work = std::move(queue_.front().work);
      queue_.pop_front();
    }
    work();
  }
}

namespace {

std::chrono::nanoseconds ThreadCpuTime() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

}  // namespace

void WorkPool::RunIdleWorker() {
  using Clock = std::chrono::steady_clock;
  RunOnlyWhenIdle();
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    const Clock::time_point waiting_since = Clock::now();
    ready_.wait(lock,
                [this] { return stopping_ || (!queue_.empty() && !queue_.front().for_backstop); });
    if (queue_.empty()) return;
    if (queue_.front().for_backstop) {
      // Stopping, with only the backstop's items left.
      return;
    }
    Item& front = queue_.front();
    const Clock::time_point now = Clock::now();
    // An item that arrived while this thread slept measures its wake.
    const bool slow_wake = front.queued_at >= waiting_since && now - front.queued_at > kSlowWake;
    if (slow_wake) cores_busy_ = true;
    if (cores_busy_) {
      front.for_backstop = true;
      backstop_ready_.notify_one();
      continue;
    }
    std::function<void()> work = std::move(front.work);
    queue_.pop_front();
    lock.unlock();
    const Clock::time_point started = Clock::now();
    const std::chrono::nanoseconds cpu_before = ThreadCpuTime();
    work();
    const std::chrono::nanoseconds cpu = ThreadCpuTime() - cpu_before;
    const bool starved = Clock::now() - started > cpu + kStarvedMargin;
    lock.lock();
    if (starved) cores_busy_ = true;
  }
}

void WorkPool::RunBackstop() {
  LowerThreadPriority(kBackstopNice);
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    if (queue_.empty()) {
      if (stopping_) return;
      backstop_ready_.wait(lock);
      continue;
    }
    // The front item is the oldest. Until it is due, an idle thread may
    // still take it, unless it handed the item over. The wait ends early
    // when the queue changes from empty or an item is handed over.
    const auto due = queue_.front().queued_at + backstop_after_;
    if (!stopping_ && !queue_.front().for_backstop && std::chrono::steady_clock::now() < due) {
      backstop_ready_.wait_until(lock, due);
      continue;
    }
    std::function<void()> work = std::move(queue_.front().work);
    queue_.pop_front();
    // An idle thread may be waiting for the handed-over item to go.
    if (!queue_.empty()) ready_.notify_one();
    lock.unlock();
    const auto started = std::chrono::steady_clock::now();
    const std::chrono::nanoseconds cpu_before = ThreadCpuTime();
    work();
    const std::chrono::nanoseconds cpu = ThreadCpuTime() - cpu_before;
    const bool starved = std::chrono::steady_clock::now() - started > cpu + kStarvedMargin;
    lock.lock();
    // An item that got the backstop's whole share of a core shows that the
    // cores are free again, and the idle threads take the next items.
    if (cores_busy_ && !starved) {
      cores_busy_ = false;
      if (!queue_.empty()) ready_.notify_all();
    }
  }
}

}  // namespace pp
