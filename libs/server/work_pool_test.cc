#include "server/work_pool.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

namespace {

// Returns the scheduling policy of the thread that runs a work item on `pool`.
int PolicyOfWorker(pp::WorkPool& pool) {
  std::promise<int> policy;
  pool.Submit([&policy] { policy.set_value(sched_getscheduler(0)); });
  return policy.get_future().get();
}

// Keeps one of `pool`'s threads busy until the returned promise is set.
std::promise<void> OccupyOneThread(pp::WorkPool& pool) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto started = std::make_shared<std::promise<void>>();
  std::future<void> running = started->get_future();
  pool.Submit([started, released] {
    started->set_value();
    released.wait();
  });
  running.wait();
  return release;
}

}  // namespace

TEST_CASE("a pool for heavy work runs only on idle cores") {
  int own = sched_getscheduler(0);
  pp::WorkPool plain(1);
  CHECK(PolicyOfWorker(plain) == own);
  // A backstop that waits an hour leaves the work to the idle threads, however
  // busy the machine running the test is.
  pp::WorkPool heavy(2, 8, pp::WorkPool::Priority::kWhenIdle, std::chrono::hours(1));
  CHECK(PolicyOfWorker(heavy) == SCHED_IDLE);
  // The calling thread keeps its own policy.
  CHECK(sched_getscheduler(0) == own);
}

TEST_CASE("idle pool runs work that waited on its backstop") {
  using Clock = std::chrono::steady_clock;
  constexpr std::chrono::milliseconds kBackstopAfter(50);
  pp::WorkPool pool(1, 8, pp::WorkPool::Priority::kWhenIdle, kBackstopAfter);
  // The one idle thread is kept busy, as other work keeps a busy machine's
  // cores from it.
  std::promise<void> release = OccupyOneThread(pool);

  struct Ran {
    int policy;
    int nice;
    Clock::time_point at;
  };
  errno = 0;
  const int own_nice = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
  REQUIRE(errno == 0);
  std::promise<Ran> ran;
  const Clock::time_point submitted = Clock::now();
  pool.Submit([&ran] {
    errno = 0;
    const int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
    ran.set_value(Ran{sched_getscheduler(0), nice, Clock::now()});
  });
  std::future<Ran> result = ran.get_future();
  // Generous, so that only a backstop that never runs the work fails here.
  REQUIRE(result.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  Ran backstop = result.get();
  CHECK(backstop.policy == SCHED_OTHER);
  CHECK(backstop.nice == std::max(own_nice, 10));
  // Never before it has waited that long.
  CHECK(backstop.at - submitted >= kBackstopAfter);
  release.set_value();
}

TEST_CASE("idle pool hands work over after a starved item") {
  // A backstop that waits an hour takes only the items handed to it.
  pp::WorkPool pool(1, 8, pp::WorkPool::Priority::kWhenIdle, std::chrono::hours(1));
  // An item whose wall time is far beyond its CPU time, as on cores that
  // other threads keep busy.
  std::promise<void> first;
  pool.Submit([&first] {
    std::this_thread::sleep_for(pp::WorkPool::kStarvedMargin * 3);
    first.set_value();
  });
  first.get_future().wait();
  // The next item goes to the backstop at once, not after an hour.
  CHECK(PolicyOfWorker(pool) == SCHED_OTHER);
}

TEST_CASE("full pool turns work away") {
  pp::WorkPool pool(1, 1);
  std::promise<void> release = OccupyOneThread(pool);
  CHECK(pool.TrySubmit([] {}));
  CHECK_FALSE(pool.TrySubmit([] {}));
  release.set_value();
}
