#include "watch/change_feed.h"

#include <utility>

namespace pp {

using parentsportal::changes::v1::AccountsChanged;

// Deletes itself once gRPC calls OnDone. Lock order: the feed's mutex,
// then a stream's.
class ChangeFeed::Stream final : public grpc::ServerWriteReactor<AccountsChanged> {
 public:
  Stream(ChangeFeed* feed, size_t max_pending_accounts)
      : feed_(feed), max_pending_accounts_(max_pending_accounts) {}

  // Sends the first message, which makes the caller drop everything.
  void Start() {
    std::lock_guard<std::mutex> lock(mutex_);
    all_pending_ = true;
    WriteNextLocked();
  }

  void Add(const std::vector<std::string>& account_ids, bool all) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (finishing_) return;
    if (all || all_pending_) {
      all_pending_ = true;
      pending_.clear();
    } else {
      pending_.insert(account_ids.begin(), account_ids.end());
      if (pending_.size() > max_pending_accounts_) {
        all_pending_ = true;
        pending_.clear();
      }
    }
    WriteNextLocked();
  }

  void End(grpc::Status status) {
    std::lock_guard<std::mutex> lock(mutex_);
    FinishLocked(std::move(status));
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mutex_);
    writing_ = false;
    if (!ok) {
      // The caller went away, so nothing more can be sent.
      FinishLocked(grpc::Status::CANCELLED);
      return;
    }
    if (finishing_) {
      SendFinishLocked();
      return;
    }
    WriteNextLocked();
  }

  void OnCancel() override {
    std::lock_guard<std::mutex> lock(mutex_);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    if (feed_ != nullptr) feed_->Remove(this);
    delete this;
  }

  // Detaches a stream that never joined the feed.
  void Detach() { feed_ = nullptr; }

 private:
  void WriteNextLocked() {
    if (writing_ || finishing_ || (!all_pending_ && pending_.empty())) return;
    message_.Clear();
    message_.set_all_accounts(all_pending_);
    for (const std::string& account_id : pending_) message_.add_account_ids(account_id);
    all_pending_ = false;
    pending_.clear();
    writing_ = true;
    StartWrite(&message_);
  }

  // Finishes the stream once. With a write in flight, OnWriteDone finishes
  // it, so Finish never overlaps a write.
  void FinishLocked(grpc::Status status) {
    if (finishing_) return;
    finishing_ = true;
    status_ = std::move(status);
    if (!writing_) SendFinishLocked();
  }

  void SendFinishLocked() {
    if (finish_sent_) return;
    finish_sent_ = true;
    Finish(status_);
  }

  ChangeFeed* feed_;
  const size_t max_pending_accounts_;
  std::mutex mutex_;
  AccountsChanged message_;
  std::set<std::string> pending_;
  bool all_pending_ = false;
  bool writing_ = false;
  bool finishing_ = false;
  bool finish_sent_ = false;
  grpc::Status status_;
};

ChangeFeed::ChangeFeed(size_t max_pending_accounts) : max_pending_accounts_(max_pending_accounts) {}

ChangeFeed::~ChangeFeed() { Close(); }

grpc::ServerWriteReactor<AccountsChanged>* ChangeFeed::Subscribe() {
  auto* stream = new Stream(this, max_pending_accounts_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!closed_) {
      streams_.insert(stream);
      stream->Start();
      return stream;
    }
  }
  stream->Detach();
  stream->End(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the service is stopping"));
  return stream;
}

void ChangeFeed::Publish(const std::vector<std::string>& account_ids) {
  if (account_ids.empty()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  for (Stream* stream : streams_) stream->Add(account_ids, false);
}

void ChangeFeed::PublishAll() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (Stream* stream : streams_) stream->Add({}, true);
}

void ChangeFeed::Close() {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
  // Ends with OK rather than an error, because a watcher reconnects either
  // way and a stop is not a fault to count or alert on.
  for (Stream* stream : streams_) stream->End(grpc::Status::OK);
}

size_t ChangeFeed::Streams() {
  std::lock_guard<std::mutex> lock(mutex_);
  return streams_.size();
}

void ChangeFeed::Remove(Stream* stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  streams_.erase(stream);
}

}  // namespace pp
