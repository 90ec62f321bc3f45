#include "gateway/deadline_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/time/clock.h"
#include "server/server.h"

namespace pp::gateway {
namespace {

// When the connection now being served on this thread was accepted. The
// task queue below sets it before each connection's task runs, because
// httplib passes only the socket to process_and_close_socket.
thread_local absl::Time connection_accepted_at;

// True while this thread responds to a request that missed its deadline.
thread_local bool answering_cut_off = false;

// True from this thread's successful ConnectionQueue::TryClaim until it
// takes its next waiting connection.
thread_local bool holds_claim = false;

// httplib's thread pool, with each task stamped with the time it was
// queued and counted in `queue` while it waits for a thread. httplib queues
// a connection's task right after accepting it.
class StampedThreadPool : public httplib::TaskQueue {
 public:
  StampedThreadPool(size_t threads, ConnectionQueue& queue) : pool_(threads), queue_(queue) {}

  void enqueue(std::function<void()> task) override {
    absl::Time queued_at = absl::Now();
    queue_.Add();
    pool_.enqueue([this, task = std::move(task), queued_at] {
      queue_.Remove();
      connection_accepted_at = queued_at;
      task();
      queue_.Finish();
    });
  }

  void shutdown() override { pool_.shutdown(); }

 private:
  httplib::ThreadPool pool_;
  ConnectionQueue& queue_;
};

// Waits up to `timeout` for `events` on `sock`. Returns poll's result: 1
// when ready, 0 on timeout, -1 on an error.
int PollFor(socket_t sock, short events, absl::Duration timeout) {
  pollfd target{sock, events, 0};
  int64_t milliseconds = absl::ToInt64Milliseconds(std::max(timeout, absl::ZeroDuration()));
  int ready;
  do {
    ready = poll(&target, 1, static_cast<int>(std::min<int64_t>(milliseconds, 1 << 30)));
  } while (ready < 0 && errno == EINTR);
  return ready;
}

// The cause that ended a wait on a connection's socket and the queue's eventfd.
enum class Wake { kSocket, kQueue, kTimeout, kError };

// Waits up to `timeout` for bytes on `sock`, or for the queue's eventfd to
// become readable.
Wake PollSocketAndQueue(socket_t sock, int event_fd, absl::Duration timeout) {
  pollfd targets[2] = {{sock, POLLIN, 0}, {event_fd, POLLIN, 0}};
  nfds_t count = event_fd >= 0 ? 2 : 1;
  int milliseconds =
      static_cast<int>(absl::ToInt64Milliseconds(std::max(timeout, absl::ZeroDuration())));
  int ready;
  do {
    ready = poll(targets, count, milliseconds);
  } while (ready < 0 && errno == EINTR);
  if (ready < 0) return Wake::kError;
  if (targets[0].revents != 0) return Wake::kSocket;
  if (count == 2 && targets[1].revents != 0) return Wake::kQueue;
  return Wake::kTimeout;
}

// Formats the address of a socket as httplib does: the IP address, and the
// port in host byte order.
void AddressOf(const sockaddr_storage& address, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = "";
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text));
    port = ntohs(v4.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof(text));
    port = ntohs(v6.sin6_port);
  }
  ip = text;
}

// A buffered socket stream whose reads stop at the current request's
// deadline as well as at the per-read timeout.
class DeadlineStream final : public httplib::Stream {
 public:
  DeadlineStream(socket_t sock, const DeadlineServerOptions& options, ConnectionQueue& queue,
                 absl::Duration read_timeout, absl::Duration write_timeout)
      : sock_(sock),
        options_(options),
        queue_(queue),
        read_timeout_(read_timeout),
        write_timeout_(write_timeout) {}

  // Starts a request whose deadlines count from `started_at`.
  void StartRequest(absl::Time started_at) {
    started_at_ = started_at;
    cut_off_ = false;
    answering_cut_off = false;
    bytes_written_ = 0;
  }

  // Waits up to `timeout` for the first byte of a next request. Returns
  // false when none came, or as soon as `stopping` returns true. With
  // `give_way`, also returns false as soon as this connection claims a
  // connection waiting for a thread.
  bool WaitForRequest(absl::Duration timeout, const std::function<bool()>& stopping,
                      bool give_way) {
    if (begin_ < end_) return true;
    int event_fd = give_way ? queue_.event_fd() : -1;
    absl::Time give_up = absl::Now() + timeout;
    while (!stopping()) {
      absl::Duration left = give_up - absl::Now();
      if (left <= absl::ZeroDuration()) return false;
      // Short slices, so that a stopping server does not wait out the timeout.
      Wake wake = PollSocketAndQueue(sock_, event_fd, std::min(left, absl::Milliseconds(100)));
      if (wake == Wake::kSocket) return true;
      if (wake == Wake::kError) return false;
      if (wake == Wake::kQueue && queue_.TryClaim()) return false;
    }
    return false;
  }

  // Reads and discards what the client still sends, until it closes, up
  // to `limit`, until this connection claims one waiting for a thread, or
  // until `stopping` returns true.
  void DrainBeforeClose(absl::Duration limit, const std::function<bool()>& stopping) {
    absl::Time give_up = absl::Now() + limit;
    size_t discarded = 0;
    while (discarded < kMaxDrainBytes && !stopping()) {
      absl::Duration left = give_up - absl::Now();
      if (left <= absl::ZeroDuration()) return;
      // Short slices, so that a stopping server does not wait out the limit.
      Wake wake =
          PollSocketAndQueue(sock_, queue_.event_fd(), std::min(left, absl::Milliseconds(100)));
      if (wake == Wake::kTimeout) continue;
      if (wake == Wake::kError) return;
      if (wake == Wake::kQueue) {
        if (queue_.TryClaim()) return;
        continue;
      }
      ssize_t received;
      do {
        received = recv(sock_, buffer_, sizeof(buffer_), 0);
      } while (received < 0 && errno == EINTR);
      if (received <= 0) return;
      discarded += static_cast<size_t>(received);
    }
  }

  // Bytes of the client's that arrived but were not read.
  bool HasUnreadBytes() const {
    if (begin_ < end_) return true;
    int pending = 0;
    return ioctl(sock_, FIONREAD, &pending) == 0 && pending > 0;
  }

  // Bytes written for the current request.
  size_t bytes_written() const { return bytes_written_; }

  // True once a read failed because the request's deadline passed.
  bool cut_off() const { return cut_off_; }
  // The deadline that cut the request off, from its start.
  absl::Duration cut_off_after() const { return cut_off_after_; }

  bool is_readable() const override { return begin_ < end_ || WaitReadable(); }

  bool is_writable() const override { return PollFor(sock_, POLLOUT, write_timeout_) > 0; }

  ssize_t read(char* ptr, size_t size) override {
    if (begin_ == end_) {
      if (!WaitReadable()) return -1;
      ssize_t received;
      do {
        received = recv(sock_, buffer_, sizeof(buffer_), 0);
      } while (received < 0 && errno == EINTR);
      if (received <= 0) return received;
      begin_ = 0;
      end_ = static_cast<size_t>(received);
    }
    size_t count = std::min(size, end_ - begin_);
    std::memcpy(ptr, buffer_ + begin_, count);
    begin_ += count;
    return static_cast<ssize_t>(count);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t sent;
    do {
      sent = send(sock_, ptr, size, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (sent > 0) bytes_written_ += static_cast<size_t>(sent);
    return sent;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    if (getpeername(sock_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      AddressOf(address, ip, port);
    }
  }

  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    if (getsockname(sock_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      AddressOf(address, ip, port);
    }
  }

  socket_t socket() const override { return sock_; }

 private:
  // Returns the request's deadline: the shorter one while other
  // connections wait for a thread.
  absl::Time Deadline() const {
    absl::Duration allowed = options_.request_deadline;
    if (queue_.full()) allowed = std::min(allowed, options_.busy_request_deadline);
    return started_at_ + allowed;
  }

  // Waits for bytes within the read timeout and the deadline. Past the
  // deadline it still takes bytes that have already arrived: a request
  // that waited in the queue but was sent in time is served.
  bool WaitReadable() const {
    if (cut_off_) return false;
    const absl::Time read_until = absl::Now() + read_timeout_;
    while (true) {
      absl::Time deadline = Deadline();
      absl::Duration left = std::min(deadline, read_until) - absl::Now();
      // Short slices, so that connections starting to wait for a thread
      // bring the shorter deadline into force.
      int ready = PollFor(sock_, POLLIN, std::min(left, absl::Milliseconds(200)));
      if (ready != 0) return ready > 0;
      absl::Time now = absl::Now();
      if (now >= Deadline()) {
        cut_off_ = true;
        answering_cut_off = true;
        cut_off_after_ = Deadline() - started_at_;
        return false;
      }
      if (now >= read_until) return false;
    }
  }

  // The maximum number of bytes DrainBeforeClose discards, so that a fast sender does
  // not keep the thread for the whole linger time.
  static constexpr size_t kMaxDrainBytes = 1 << 20;

  const socket_t sock_;
  const DeadlineServerOptions& options_;
  ConnectionQueue& queue_;
  const absl::Duration read_timeout_;
  const absl::Duration write_timeout_;
  absl::Time started_at_ = absl::InfiniteFuture();
  mutable bool cut_off_ = false;
  mutable absl::Duration cut_off_after_;
  size_t bytes_written_ = 0;
  char buffer_[4096];
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace

ConnectionQueue::ConnectionQueue(size_t threads)
    : threads_(static_cast<int>(threads)), event_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

ConnectionQueue::~ConnectionQueue() {
  if (event_fd_ >= 0) close(event_fd_);
}

void ConnectionQueue::Add() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++waiting_;
  UpdateSignal();
}

void ConnectionQueue::Remove() {
  std::lock_guard<std::mutex> lock(mutex_);
  --waiting_;
  ++busy_;
  // A thread that claimed a connection takes whichever waits first, and
  // that uses its claim up. Claims never outnumber the waiting connections.
  if (holds_claim && claimed_ > 0) --claimed_;
  holds_claim = false;
  claimed_ = std::min(claimed_, waiting_.load());
  UpdateSignal();
}

void ConnectionQueue::Finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  --busy_;
  UpdateSignal();
}

bool ConnectionQueue::TryClaim() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (holds_claim || waiting_.load() <= claimed_ || busy_.load() < threads_) return false;
  ++claimed_;
  holds_claim = true;
  UpdateSignal();
  return true;
}

void ConnectionQueue::UpdateSignal() {
  if (event_fd_ < 0) return;
  bool readable = waiting_.load() > claimed_ && busy_.load() >= threads_;
  if (readable == signalled_) return;
  uint64_t value = 1;
  ssize_t done =
      readable ? write(event_fd_, &value, sizeof(value)) : read(event_fd_, &value, sizeof(value));
  if (done == static_cast<ssize_t>(sizeof(value))) signalled_ = readable;
}

DeadlineServer::DeadlineServer(DeadlineServerOptions options,
                               std::function<void(const std::string&, absl::Duration)> on_cut_off)
    : options_(options), on_cut_off_(std::move(on_cut_off)), queue_(options.threads) {
  new_task_queue = [this] { return new StampedThreadPool(options_.threads, queue_); };
  set_socket_options(SetExclusiveListenerOptions);
}

bool DeadlineServer::AnsweringCutOffRequest() { return answering_cut_off; }

bool DeadlineServer::process_and_close_socket(socket_t sock) {
  absl::Time accepted_at = connection_accepted_at;
  if (accepted_at == absl::Time()) accepted_at = absl::Now();
  DeadlineStream stream(
      sock, options_, queue_,
      absl::Seconds(read_timeout_sec_) + absl::Microseconds(read_timeout_usec_),
      absl::Seconds(write_timeout_sec_) + absl::Microseconds(write_timeout_usec_));
  auto stopping = [this] { return svr_sock_ == INVALID_SOCKET; };

  // Serve requests until the client closes, the keep-alive wait or count
  // runs out, or the server stops. Only the first request's deadline counts
  // from the accept, because a kept-alive client may be idle between
  // requests. While every thread is busy and connections wait, a
  // connection between requests gives its thread up to one of them, and a
  // request that starts then gets "Connection: close".
  bool served = false;
  bool cut_off = false;
  for (size_t count = 0; count < keep_alive_max_count_; ++count) {
    bool kept_alive = count > 0;
    if (!stream.WaitForRequest(absl::Seconds(keep_alive_timeout_sec_), stopping, kept_alive)) {
      break;
    }
    stream.StartRequest(kept_alive ? absl::Now() : accepted_at);
    // No claim here: a claim promises a thread at once, and this request
    // may take until its deadline to arrive.
    bool close_connection = count + 1 == keep_alive_max_count_ || queue_.full();
    bool connection_closed = false;
    served = process_request(stream, close_connection, connection_closed, nullptr);
    if (stream.cut_off()) {
      cut_off = true;
      // httplib sends no response when the request line itself was cut off.
      if (stream.bytes_written() == 0) {
        static constexpr char kRequestTimeout[] =
            "HTTP/1.1 408 Request Timeout\r\n"
            "Connection: close\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 54\r\n"
            "\r\n"
            "The request took too long to arrive. Please try again.";
        stream.write(kRequestTimeout, sizeof(kRequestTimeout) - 1);
      }
      std::string ip;
      int port = 0;
      stream.get_remote_ip_and_port(ip, port);
      if (on_cut_off_) on_cut_off_(ip, stream.cut_off_after());
      served = false;
    }
    if (!served || close_connection || connection_closed) break;
  }
  answering_cut_off = false;

  // Closing a socket with unread bytes sends a reset, which can destroy the
  // response before the client reads it. So the end of the response goes
  // first, and then the server reads what the client still sends.
  if (cut_off || stream.HasUnreadBytes()) {
    shutdown(sock, SHUT_WR);
    stream.DrainBeforeClose(options_.cut_off_linger, stopping);
  }
  shutdown(sock, SHUT_RDWR);
  close(sock);
  return served;
}

}  // namespace pp::gateway
