#include "server/work_pool.h"

#include <sched.h>

#include <catch2/catch.hpp>
#include <future>

namespace {

// Returns the scheduling policy of the thread that runs a work item on `pool`.
int PolicyOfWorker(pp::WorkPool& pool) {
  std::promise<int> policy;
  pool.Submit([&policy] { policy.set_value(sched_getscheduler(0)); });
  return policy.get_future().get();
}

}  // namespace

TEST_CASE("a pool for heavy work runs only on idle cores") {
  int own = sched_getscheduler(0);
  pp::WorkPool plain(1);
  CHECK(PolicyOfWorker(plain) == own);
  pp::WorkPool heavy(2, 8, pp::WorkPool::Priority::kWhenIdle);
  CHECK(PolicyOfWorker(heavy) == SCHED_IDLE);
  // The calling thread keeps its own policy.
  CHECK(sched_getscheduler(0) == own);
}

TEST_CASE("full pool turns work away") {
  pp::WorkPool pool(1, 1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  pool.Submit([&started, released] {
    started.set_value();
    released.wait();
  });
  started.get_future().wait();
  CHECK(pool.TrySubmit([] {}));
  CHECK_FALSE(pool.TrySubmit([] {}));
  release.set_value();
}
