#include "smtp_sender.h"

#include <curl/curl.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "email_format.h"

namespace pp::notification {
namespace {

// The part of the message libcurl has not read yet.
struct Upload {
  const std::string* text;
  size_t offset = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t count, void* user) {
  Upload* upload = static_cast<Upload*>(user);
  size_t room = size * count;
  size_t left = upload->text->size() - upload->offset;
  size_t chunk = std::min(room, left);
  std::memcpy(buffer, upload->text->data() + upload->offset, chunk);
  upload->offset += chunk;
  return chunk;
}

// Returns true for the 5xx replies about our login or encryption rather
// than about the message. RFC 4954 defines 530 (authentication required),
// 534 (mechanism too weak), 535 (credentials invalid) and 538 (encryption
// required). Servers also send 530 when STARTTLS must come first.
bool IsSettingsReply(long reply) {
  return reply == 530 || reply == 534 || reply == 535 || reply == 538;
}

}  // namespace

absl::Status CheckSmtpOptions(const SmtpOptions& options) {
  bool plain = absl::StartsWith(options.url, "smtp://");
  bool tls = absl::StartsWith(options.url, "smtps://");
  if (!plain && !tls) {
    return absl::InvalidArgumentError(
        absl::StrCat("smtp_url must start with smtp:// or smtps://, not ", options.url));
  }
  if (tls && options.starttls) {
    return absl::InvalidArgumentError(
        "smtp_starttls=1 is invalid with an smtps:// URL, which uses TLS from the start, so set "
        "smtp_starttls=0");
  }
  // A login can also come inside the URL, as smtp://user:password@host.
  absl::string_view authority = options.url;
  authority.remove_prefix(authority.find("://") + 3);
  authority = authority.substr(0, authority.find('/'));
  bool login = !options.username.empty() || authority.find('@') != absl::string_view::npos;
  if (plain && !options.starttls && login) {
    return absl::InvalidArgumentError(
        "an SMTP login (smtp_username, or user:password in smtp_url) needs smtp_starttls=1 or an "
        "smtps:// URL, so that the password is not sent in clear text");
  }
  return absl::OkStatus();
}

SmtpSender::SmtpSender(SmtpOptions options)
    : options_(std::move(options)), envelope_from_(AddressOf(options_.from)) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

SmtpSender::~SmtpSender() {
  for (void* handle : idle_handles_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* SmtpSender::TakeHandle() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_handles_.empty()) {
      void* handle = idle_handles_.back();
      idle_handles_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void SmtpSender::ReturnHandle(void* handle) {
  std::lock_guard<std::mutex> lock(mutex_);
  idle_handles_.push_back(handle);
}

absl::Status SmtpSender::Deliver(const OutboxMessage& message) {
  CURL* curl = static_cast<CURL*>(TakeHandle());
  if (curl == nullptr) return absl::ResourceExhaustedError("libcurl could not create a handle");

  std::string text = FormatEmail(message, options_.from);
  Upload upload{&text};
  std::string mail_from = absl::StrCat("<", envelope_from_, ">");
  std::string mail_to = absl::StrCat("<", message.recipient, ">");
  curl_slist* recipients = curl_slist_append(nullptr, mail_to.c_str());
  char error[CURL_ERROR_SIZE] = "";

  curl_easy_reset(curl);
  curl_easy_setopt(curl, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadUpload);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(text.size()));
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.timeout)));
  if (options_.starttls) curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
  }

  CURLcode code = curl_easy_perform(curl);
  long reply = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
  curl_slist_free_all(recipients);

  if (code == CURLE_OK) {
    ReturnHandle(curl);
    return absl::OkStatus();
  }
  // After a failure the connection may be in any state, so drop it.
  curl_easy_cleanup(curl);
  std::string detail = absl::StrCat("SMTP delivery failed: ", curl_easy_strerror(code),
                                    reply != 0 ? absl::StrCat(" (reply ", reply, ")") : "",
                                    error[0] != '\0' ? absl::StrCat(": ", error) : "");
  // A refused login or missing encryption is the operator's to fix, so
  // messages wait for it.
  if (code == CURLE_LOGIN_DENIED || IsSettingsReply(reply)) return absl::UnavailableError(detail);
  if (reply >= 500 && reply < 600) return absl::InvalidArgumentError(detail);
  return absl::UnavailableError(detail);
}

}  // namespace pp::notification
