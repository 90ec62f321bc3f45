#include "server/work_pool.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <future>

namespace {

// Returns the nice value of the thread that runs a work item on `pool`.
int NiceOfWorker(pp::WorkPool& pool) {
  std::promise<int> nice;
  pool.Submit([&nice] { nice.set_value(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()))); });
  return nice.get_future().get();
}

}  // namespace

TEST_CASE("pool threads run at the raised nice value") {
  int own = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  pp::WorkPool plain(1);
  CHECK(NiceOfWorker(plain) == own);
  pp::WorkPool lowered(2, 8, 5);
  CHECK(NiceOfWorker(lowered) == std::min(own + 5, 19));
  // The calling thread keeps its own value.
  CHECK(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())) == own);
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
