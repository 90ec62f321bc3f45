// ChangeWatch keeps a watch stream (changes.proto) to a service open from its
// own thread. It reopens an ended stream after 0.5 s, doubling the wait
// after each failed attempt up to 10 s.
#ifndef PP_GATEWAY_CHANGE_WATCH_H_
#define PP_GATEWAY_CHANGE_WATCH_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "parentsportal/changes.pb.h"

namespace pp::gateway {

class ChangeWatch {
 public:
  using Reader = grpc::ClientReaderInterface<parentsportal::changes::v1::AccountsChanged>;
  // Function that opens the stream with the given context.
  using Open = std::function<std::unique_ptr<Reader>(grpc::ClientContext* context)>;
  // Handler called with true when a stream's first message arrives (before
  // OnChange gets it), and with false when the stream ends.
  using OnLive = std::function<void(bool live)>;
  using OnChange = std::function<void(const parentsportal::changes::v1::AccountsChanged& change)>;

  // Starts the thread. `service` is the service's name in log lines.
  ChangeWatch(std::string service, Open open, OnLive on_live, OnChange on_change);
  // Ends the stream and joins the thread.
  ~ChangeWatch();
  ChangeWatch(const ChangeWatch&) = delete;
  ChangeWatch& operator=(const ChangeWatch&) = delete;

 private:
  void Run();

  const std::string service_;
  const Open open_;
  const OnLive on_live_;
  const OnChange on_change_;
  std::mutex mutex_;
  std::condition_variable stop_requested_;
  bool stopping_ = false;
  grpc::ClientContext* context_ = nullptr;
  std::thread thread_;
};

}  // namespace pp::gateway

#endif  // PP_GATEWAY_CHANGE_WATCH_H_
