#include "web_session.h"

#include <regex>

namespace pp::e2e {

std::string Capture(const std::string& text, const std::string& pattern) {
  std::smatch match;
  if (std::regex_search(text, match, std::regex(pattern)) && match.size() > 1) return match[1];
  return "";
}

WebSession::WebSession(const std::string& host, int port) : client_(host, port) {
  client_.set_read_timeout(20, 0);
}

httplib::Headers WebSession::CookieHeader() const {
  std::string value;
  for (const auto& [name, cookie] : cookies_) {
    if (!value.empty()) value += "; ";
    value += name + "=" + cookie;
  }
  if (value.empty()) return {};
  return {{"Cookie", value}};
}

Page WebSession::Finish(const httplib::Result& result) {
  Page page;
  if (!result) return page;
  page.status = result->status;
  page.body = result->body;
  page.location = result->get_header_value("Location");
  page.retry_after = result->get_header_value("Retry-After");
  size_t count = result->get_header_value_count("Set-Cookie");
  for (size_t i = 0; i < count; ++i) {
    std::string header = result->get_header_value("Set-Cookie", i);
    std::string pair = header.substr(0, header.find(';'));
    size_t equals = pair.find('=');
    if (equals == std::string::npos) continue;
    std::string name = pair.substr(0, equals);
    std::string value = pair.substr(equals + 1);
    bool expired = header.find("Max-Age=0") != std::string::npos || value.empty();
    if (expired) {
      cookies_.erase(name);
    } else {
      cookies_[name] = value;
    }
  }
  std::string token = Capture(page.body, "name=\"csrf_token\" value=\"([^\"]+)\"");
  if (!token.empty()) csrf_token_ = token;
  return page;
}

Page WebSession::Get(const std::string& path) { return Finish(client_.Get(path, CookieHeader())); }

Page WebSession::Post(const std::string& path, std::map<std::string, std::string> fields) {
  if (fields.count("csrf_token") == 0) fields["csrf_token"] = csrf_token_;
  httplib::Params params(fields.begin(), fields.end());
  return Finish(client_.Post(path, CookieHeader(), params));
}

}  // namespace pp::e2e
