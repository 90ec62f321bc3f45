// An HTTP server that disconnects clients too slow to send their requests.
//
// cpp-httplib 0.11 gives each connection a thread from a fixed pool and
// times out each read on its own, so a client that sends one header byte
// every few seconds keeps a thread for as long as it likes. A few hundred
// such clients leave no thread for parents. DeadlineServer gives each
// request a deadline for its whole head and body instead, and while every
// thread is busy an idle kept-alive connection gives its thread up as soon
// as another connection waits for one.
#ifndef PP_GATEWAY_DEADLINE_SERVER_H_
#define PP_GATEWAY_DEADLINE_SERVER_H_

#include <httplib.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>

#include "absl/time/time.h"

namespace pp::gateway {

struct DeadlineServerOptions {
  // Threads serving connections. Each open connection takes one while it
  // sends a request or waits for its next one. Later connections queue.
  size_t threads = 64;
  // Time a client has to send a request's head and body, counted from the
  // moment the server accepted the connection, or for a later request on
  // a kept-alive connection, from that request's first byte. Time spent
  // waiting in the queue for a thread counts too, but bytes the client sent
  // before the deadline are still read, so a busy server does not cut off
  // clients that were fast.
  absl::Duration request_deadline = absl::Seconds(10);
  // The deadline instead while connections wait for a thread, so that
  // slow clients holding every thread give way to those waiting sooner.
  absl::Duration busy_request_deadline = absl::Seconds(2);
  // The longest the server reads and discards what a client still sends
  // before it closes the connection. It does so after a 408 response to a
  // request cut off, or when the client sent bytes the server did not read. Closing with unread
  // bytes makes the kernel send a reset, which can destroy the response before the client reads it.
  // The wait ends early when the client closes, after 1 MiB, or when a connection waiting for a
  // thread claims this one's. A client still sending at that moment may lose the response, so the
  // wait is as long as a whole request may take: the thread is idle otherwise.
  absl::Duration cut_off_linger = absl::Seconds(10);
};

// The connections accepted and waiting for a thread, and a file descriptor
// that idle connections poll so that they give their threads up to them.
// Thread-safe.
class ConnectionQueue {
 public:
  // `threads` is the number of threads that serve connections.
  explicit ConnectionQueue(size_t threads);
  ~ConnectionQueue();
  ConnectionQueue(const ConnectionQueue&) = delete;
  ConnectionQueue& operator=(const ConnectionQueue&) = delete;

  // Counts a connection that starts to wait for a thread.
  void Add();
  // Counts a waiting connection that a thread has taken.
  void Remove();
  // Counts a connection whose thread has finished with it.
  void Finish();
  // Returns the number of connections waiting for a thread.
  int waiting() const { return waiting_.load(); }
  // Returns true while connections wait because every thread is busy. A
  // connection also waits for a moment between its queueing and a free
  // thread waking up, and that does not count.
  bool full() const { return waiting_.load() > 0 && busy_.load() >= threads_; }

  // Claims one waiting connection that no other connection has claimed,
  // while every thread is busy.
  // Returns true when the caller should close its connection, because its
  // thread is then the one that serves the claimed connection.
  bool TryClaim();

  // An eventfd that is readable while some waiting connection is
  // unclaimed, to be polled next to a socket. -1 when eventfd failed, and
  // then idle connections keep their threads until their own timeouts.
  int event_fd() const { return event_fd_; }

 private:
  // Makes event_fd_ readable exactly when every thread is busy and
  // waiting_ > claimed_. Called with mutex_ held.
  void UpdateSignal();

  const int threads_;
  std::mutex mutex_;
  std::atomic<int> waiting_{0};
  // Connections that a thread has taken and not yet finished with.
  std::atomic<int> busy_{0};
  // Waiting connections whose threads are already being freed.
  int claimed_ = 0;
  bool signalled_ = false;
  const int event_fd_;
};

class DeadlineServer : public httplib::Server {
 public:
  // `on_cut_off` is called with the client's address and the deadline it
  // missed each time a client is disconnected, from the connection's thread.
  // Binding fails while another socket listens on the same address.
  DeadlineServer(
      DeadlineServerOptions options,
      std::function<void(const std::string& address, absl::Duration deadline)> on_cut_off);

  // Returns true while this thread responds to a request that missed its
  // deadline, so that the error handler can send 408 instead of httplib's
  // 400. False on threads that are not the server's.
  static bool AnsweringCutOffRequest();

 private:
  // Serves the requests of one accepted connection, then closes it. Replaces
  // httplib's own loop, whose stream type is not part of its API.
  bool process_and_close_socket(socket_t sock) override;

  const DeadlineServerOptions options_;
  const std::function<void(const std::string&, absl::Duration)> on_cut_off_;
  ConnectionQueue queue_;
};

}  // namespace pp::gateway

#endif  // PP_GATEWAY_DEADLINE_SERVER_H_
