// ChangeFeed is the service side of a watch stream (changes.proto). It sends
// every open stream the accounts whose responses changed, so a caller can
// keep those responses and drop them when they go stale.
//
//   pp::ChangeFeed feed;
//   grpc::ServerWriteReactor<AccountsChanged>* WatchLinks(...) override {
//     return feed.Subscribe();
//   }
//   ... after a write commits: feed.Publish({account_id});
//
// A stream's first message sets all_accounts. Changes published while a
// stream is still sending are merged into its next message. Past
// `max_pending_accounts` distinct accounts they become all_accounts, so a
// slow caller costs bounded memory and still drops everything it must.
#ifndef PP_WATCH_CHANGE_FEED_H_
#define PP_WATCH_CHANGE_FEED_H_

#include <cstddef>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "parentsportal/changes.pb.h"

namespace pp {

class ChangeFeed {
 public:
  explicit ChangeFeed(size_t max_pending_accounts = 1000);
  // Ends every open stream. The server must not start new ones after it.
  ~ChangeFeed();
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  // Returns a reactor for a new stream, to return from the watch method.
  // After Close, the reactor ends the stream at once with UNAVAILABLE.
  grpc::ServerWriteReactor<parentsportal::changes::v1::AccountsChanged>* Subscribe();

  // Queues the accounts on every open stream. Call it after the change has
  // committed, so a caller that reads before the message arrives reads the
  // change.
  void Publish(const std::vector<std::string>& account_ids);
  void PublishAll();

  // Ends every open stream with OK, for a service that is stopping: gRPC's
  // shutdown waits for open streams.
  void Close();

  // Returns the number of open streams.
  size_t Streams();

 private:
  class Stream;
  void Remove(Stream* stream);

  const size_t max_pending_accounts_;
  std::mutex mutex_;
  std::set<Stream*> streams_;
  bool closed_ = false;
};

}  // namespace pp

#endif  // PP_WATCH_CHANGE_FEED_H_
