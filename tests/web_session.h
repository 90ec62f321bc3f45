// A web client that keeps cookies between requests, as a browser does, and
// reads the CSRF token out of the forms it is served.
#ifndef PP_TESTS_WEB_SESSION_H_
#define PP_TESTS_WEB_SESSION_H_

#include <httplib.h>

#include <map>
#include <string>

namespace pp::e2e {

struct Page {
  int status = 0;
  std::string location;
  // The Retry-After header, empty when absent.
  std::string retry_after;
  std::string body;
};

class WebSession {
 public:
  WebSession(const std::string& host, int port);

  Page Get(const std::string& path);
  // Posts a form. The csrf_token field is added from the last page served,
  // unless `fields` already holds one.
  Page Post(const std::string& path, std::map<std::string, std::string> fields);

  bool HasCookie(const std::string& name) const { return cookies_.count(name) > 0; }
  // The cookie's value, or "" when the session has none by that name.
  std::string Cookie(const std::string& name) const {
    auto found = cookies_.find(name);
    return found == cookies_.end() ? "" : found->second;
  }
  // Sets a cookie as if the server had, to replay one from another session.
  void SetCookie(const std::string& name, const std::string& value) { cookies_[name] = value; }

 private:
  Page Finish(const httplib::Result& result);
  httplib::Headers CookieHeader() const;

  httplib::Client client_;
  std::map<std::string, std::string> cookies_;
  std::string csrf_token_;
};

// Returns the first capture group of `pattern` in `text`, or "".
std::string Capture(const std::string& text, const std::string& pattern);

}  // namespace pp::e2e

#endif  // PP_TESTS_WEB_SESSION_H_
