// NotificationService's parent-facing half: channel preferences, which
// decide where non-urgent messages go, and each parent's message history.
#include "absl/strings/str_cat.h"
#include "contact/contact.h"
#include "log/log.h"
#include "notification_service.h"

namespace pp::notification {
namespace {

constexpr size_t kMaxAccountIdLength = 100;
constexpr int kDefaultListLimit = 50;
constexpr int kMaxListLimit = 200;

absl::Status CheckAccountId(const std::string& account_id) {
  if (account_id.empty()) return absl::InvalidArgumentError("account_id is missing");
  if (account_id.size() > kMaxAccountIdLength) {
    return absl::InvalidArgumentError("account_id is longer than 100 characters");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<OutboxMessage>> NotificationService::ApplyPreferences(
    const SendRequest& request, OutboxMessage email_or_text) {
  if (request.account_id.empty() && request.mobile.empty()) return std::vector{email_or_text};
  if (absl::Status valid = CheckAccountId(request.account_id); !valid.ok()) return valid;
  if (!request.mobile.empty()) {
    if (request.channel != Channel::kEmail) {
      return absl::InvalidArgumentError(
          "mobile needs channel EMAIL, with the parent's email address in to");
    }
    if (request.kind == MessageKind::kUnspecified) {
      return absl::InvalidArgumentError("mobile needs a kind, whose template writes the text");
    }
  }
  if (!IsParentChoice(request.kind) || request.channel != Channel::kEmail) {
    return std::vector{email_or_text};
  }

  absl::StatusOr<std::map<MessageKind, ChannelChoice>> choices =
      store_.GetPreferences(request.account_id);
  if (!choices.ok()) {
    log::Error("preferences_read_failed").Field("error", choices.status().message());
    return absl::UnavailableError("reading the parent's preferences failed, so try again later");
  }
  ChannelChoice choice;
  if (auto found = choices->find(request.kind); found != choices->end()) choice = found->second;
  if (!choice.sms || request.mobile.empty()) return std::vector{email_or_text};

  // The parent wants a text: render the kind's text version for their mobile.
  absl::StatusOr<std::string> mobile = contact::NormaliseUkMobile(request.mobile);
  if (!mobile.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("mobile: ", mobile.status().message()));
  }
  absl::StatusOr<RenderedMessage> rendered =
      templates_->Render(request.kind, request.template_data);
  if (!rendered.ok()) return rendered.status();
  OutboxMessage text = email_or_text;
  text.idempotency_key = absl::StrCat(email_or_text.idempotency_key, "/sms");
  text.channel = Channel::kSms;
  text.recipient = *mobile;
  text.body = rendered->sms;
  text.html_body.clear();
  // A parent who chose texts only still gets the email if the text fails.
  text.fallback_email = choice.email ? "" : email_or_text.recipient;

  if (choice.email) return std::vector{email_or_text, text};
  return std::vector{text};
}

absl::StatusOr<std::vector<MessageStatus>> NotificationService::ListMessages(
    const std::string& account_id, int limit) {
  if (absl::Status valid = CheckAccountId(account_id); !valid.ok()) return valid;
  if (limit <= 0) limit = kDefaultListLimit;
  limit = std::min(limit, kMaxListLimit);
  absl::StatusOr<std::vector<OutboxMessage>> rows = store_.ListForAccount(account_id, limit);
  if (!rows.ok()) return rows.status();
  std::vector<MessageStatus> messages;
  for (const OutboxMessage& row : *rows) messages.push_back(StatusOf(row));
  return messages;
}

absl::StatusOr<std::map<MessageKind, ChannelChoice>> NotificationService::GetPreferences(
    const std::string& account_id) {
  if (absl::Status valid = CheckAccountId(account_id); !valid.ok()) return valid;
  absl::StatusOr<std::map<MessageKind, ChannelChoice>> stored = store_.GetPreferences(account_id);
  if (!stored.ok()) return stored.status();
  std::map<MessageKind, ChannelChoice> choices;
  for (int k = 1; k <= static_cast<int>(kLastMessageKind); ++k) {
    MessageKind kind = static_cast<MessageKind>(k);
    if (!IsParentChoice(kind)) continue;
    auto found = stored->find(kind);
    choices[kind] = found == stored->end() ? ChannelChoice{} : found->second;
  }
  return choices;
}

absl::Status NotificationService::SetPreferences(
    const std::string& account_id, const std::map<MessageKind, ChannelChoice>& choices) {
  if (absl::Status valid = CheckAccountId(account_id); !valid.ok()) return valid;
  for (const auto& [kind, choice] : choices) {
    if (IsUrgent(kind)) {
      return absl::InvalidArgumentError(
          absl::StrCat("kinds: ", KindName(kind), " always goes, so it has no preference to set"));
    }
    if (!IsParentChoice(kind)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "kinds: ", KindName(kind), " goes to schools, so it has no preference to set"));
    }
    if (!choice.email && !choice.sms) {
      return absl::InvalidArgumentError(
          absl::StrCat("kinds: ", KindName(kind), " needs email, sms or both"));
    }
  }
  return store_.SetPreferences(account_id, choices);
}

}  // namespace pp::notification
