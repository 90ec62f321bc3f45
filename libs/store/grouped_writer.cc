#include "store/grouped_writer.h"

#include <optional>
#include <utility>

namespace pp {

GroupedWriter::GroupedWriter(Store& store, Executor run_blocking, int max_group)
    : store_(store),
      run_blocking_(std::move(run_blocking)),
      max_group_(max_group < 1 ? 1 : static_cast<size_t>(max_group)) {}

GroupedWriter::~GroupedWriter() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] { return !leading_ && queue_.empty() && answering_ == 0; });
}

void GroupedWriter::Submit(Body body, Done done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(Pending{std::move(body), std::move(done), /*alone=*/false});
    if (leading_) return;
    leading_ = true;
  }
  Lead(/*may_block=*/false);
}

void GroupedWriter::Lead(bool may_block) {
  std::deque<Pending> group;
  std::optional<absl::Status> status;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (queue_.empty()) {
        leading_ = false;
        idle_.notify_all();
        return;
      }
      // A submission that failed in a group runs alone, so that its error
      // reaches only its own caller.
      do {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      } while (!group.front().alone && !queue_.empty() && !queue_.front().alone &&
               group.size() < max_group_);
    }

    status = RunGroup(group, may_block);
    if (status.has_value() && (status->ok() || group.size() == 1)) break;
    // Busy, or one of several failed: back to the front, in order.
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = group.rbegin(); it != group.rend(); ++it) {
      it->alone = status.has_value();
      queue_.push_front(std::move(*it));
    }
    group.clear();
    if (!status.has_value()) {
      // Only a thread that may wait for the store goes on; `leading_` stays
      // true meanwhile, so no submitting thread starts another leader.
      run_blocking_([this] { Lead(/*may_block=*/true); });
      return;
    }
  }

  // The store's part is done. What arrived meanwhile runs on another
  // thread while this one calls its group's `done`s, so that they do not
  // delay the next transaction.
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++answering_;
    if (queue_.empty()) {
      leading_ = false;
    } else {
      run_blocking_([this] { Lead(/*may_block=*/true); });
    }
  }
  for (Pending& pending : group) pending.done(*status);
  std::lock_guard<std::mutex> lock(mutex_);
  --answering_;
  idle_.notify_all();
}

std::optional<absl::Status> GroupedWriter::RunGroup(std::deque<Pending>& group, bool may_block) {
  auto run_all = [&group](Tx& tx) -> absl::Status {
    for (Pending& pending : group) {
      absl::Status status = pending.body(tx);
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  };
  if (may_block) return store_.Write(run_all);
  return store_.TryWrite(run_all);
}

}  // namespace pp
