#include "gateway/deadline_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/time/clock.h"

namespace pp::gateway {
namespace {

// When the connection now being served on this thread was accepted. The
// task queue below sets it before each connection's task runs, because
// httplib passes only the socket to process_and_close_socket.
thread_local absl::Time connection_accepted_at;

// httplib's thread pool, with each task stamped with the time it was
// queued, and a count of the tasks waiting for a thread. httplib queues a
// connection's task right after accepting it.
class StampedThreadPool : public httplib::TaskQueue {
 public:
  StampedThreadPool(size_t threads, std::atomic<int>& waiting)
      : pool_(threads), waiting_(waiting) {}

  void enqueue(std::function<void()> task) override {
    absl::Time queued_at = absl::Now();
    ++waiting_;
    pool_.enqueue([this, task = std::move(task), queued_at] {
      --waiting_;
      connection_accepted_at = queued_at;
      task();
    });
  }

  void shutdown() override { pool_.shutdown(); }

 private:
  httplib::ThreadPool pool_;
  std::atomic<int>& waiting_;
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
  // `waiting` counts the connections waiting for a thread.
  DeadlineStream(socket_t sock, const DeadlineServerOptions& options,
                 const std::atomic<int>& waiting, absl::Duration read_timeout,
                 absl::Duration write_timeout)
      : sock_(sock),
        options_(options),
        waiting_(waiting),
        read_timeout_(read_timeout),
        write_timeout_(write_timeout) {}

  // Starts a request whose deadlines count from `started_at`.
  void StartRequest(absl::Time started_at) { started_at_ = started_at; }

  // Waits up to `timeout` for the first byte of a next request. Returns
  // false when none came, or as soon as `stopping` returns true.
  bool WaitForRequest(absl::Duration timeout, const std::function<bool()>& stopping) {
    if (begin_ < end_) return true;
    absl::Time give_up = absl::Now() + timeout;
    while (!stopping()) {
      absl::Duration left = give_up - absl::Now();
      if (left <= absl::ZeroDuration()) return false;
      // Short slices, so that a stopping server does not wait out the timeout.
      int ready = PollFor(sock_, POLLIN, std::min(left, absl::Milliseconds(100)));
      if (ready != 0) return ready > 0;
    }
    return false;
  }

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
    if (waiting_.load() > 0) allowed = std::min(allowed, options_.busy_request_deadline);
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
        cut_off_after_ = Deadline() - started_at_;
        return false;
      }
      if (now >= read_until) return false;
    }
  }

  const socket_t sock_;
  const DeadlineServerOptions& options_;
  const std::atomic<int>& waiting_;
  const absl::Duration read_timeout_;
  const absl::Duration write_timeout_;
  absl::Time started_at_ = absl::InfiniteFuture();
  mutable bool cut_off_ = false;
  mutable absl::Duration cut_off_after_;
  char buffer_[4096];
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace

DeadlineServer::DeadlineServer(DeadlineServerOptions options,
                               std::function<void(const std::string&, absl::Duration)> on_cut_off)
    : options_(options), on_cut_off_(std::move(on_cut_off)) {
  new_task_queue = [this] { return new StampedThreadPool(options_.threads, waiting_); };
}

bool DeadlineServer::process_and_close_socket(socket_t sock) {
  absl::Time accepted_at = connection_accepted_at;
  if (accepted_at == absl::Time()) accepted_at = absl::Now();
  DeadlineStream stream(
      sock, options_, waiting_,
      absl::Seconds(read_timeout_sec_) + absl::Microseconds(read_timeout_usec_),
      absl::Seconds(write_timeout_sec_) + absl::Microseconds(write_timeout_usec_));
  auto stopping = [this] { return svr_sock_ == INVALID_SOCKET; };

  // Serve requests until the client closes, the keep-alive wait or count
  // runs out, or the server stops. Only the first request's deadline counts
  // from the accept, because a kept-alive client may be idle between requests.
  bool served = false;
  for (size_t count = 0; count < keep_alive_max_count_; ++count) {
    if (!stream.WaitForRequest(absl::Seconds(keep_alive_timeout_sec_), stopping)) break;
    stream.StartRequest(count == 0 ? accepted_at : absl::Now());
    bool close_connection = count + 1 == keep_alive_max_count_;
    bool connection_closed = false;
    served = process_request(stream, close_connection, connection_closed, nullptr);
    if (stream.cut_off()) {
      std::string ip;
      int port = 0;
      stream.get_remote_ip_and_port(ip, port);
      if (on_cut_off_) on_cut_off_(ip, stream.cut_off_after());
      served = false;
    }
    if (!served || connection_closed) break;
  }

  shutdown(sock, SHUT_RDWR);
  close(sock);
  return served;
}

}  // namespace pp::gateway
