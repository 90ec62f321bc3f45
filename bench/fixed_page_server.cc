// The baseline for the gateway: a bare cpp-httplib server that returns
// the bytes of one file for GET /, built like the gateway (same library,
// same thread count) and doing no other work.
//
//   fixed_page_server --http_address=127.0.0.1:8081 --page=home.html
#include <httplib.h>

#include <string>

#include "log/log.h"
#include "server/server.h"
#include "settings/settings.h"
#include "testing/temp_dir.h"

int main(int argc, char** argv) {
  pp::Settings settings("fixed_page_server", "Serves one fixed page, as a benchmark's baseline.");
  settings.AddString("http_address", "127.0.0.1:8081", "host:port to listen on");
  settings.AddString("page", "", "file whose bytes GET / returns");
  settings.AddInt("threads", 64, "connections served at once, as in the gateway");
  settings.ParseOrExit(argc, argv);

  std::string page = pp::ReadFile(settings.GetString("page"));
  if (page.empty()) {
    pp::log::Error("invalid_setting")
        .Field("setting", "page")
        .Field("error", "missing or empty file");
    return 2;
  }
  std::string address = settings.GetString("http_address");
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    pp::log::Error("invalid_setting").Field("setting", "http_address").Field("value", address);
    return 2;
  }
  int threads = settings.GetInt("threads");

  httplib::Server server;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // As in the gateway: without it, Nagle's algorithm delays the body
  // until the client acknowledges the headers.
  server.set_tcp_nodelay(true);
  server.set_socket_options(pp::SetExclusiveListenerOptions);
  server.set_keep_alive_timeout(2);
  server.set_read_timeout(5);
  server.Get("/", [&page](const httplib::Request&, httplib::Response& response) {
    response.set_content(page, "text/html; charset=utf-8");
  });
  pp::log::Info("listening").Field("address", address);
  if (!server.listen(address.substr(0, colon), std::stoi(address.substr(colon + 1)))) {
    pp::log::Error("listen_failed").Field("address", address);
    return 1;
  }
  return 0;
}
