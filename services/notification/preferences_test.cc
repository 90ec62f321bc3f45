#include <catch2/catch.hpp>

#include "test_fixture.h"

namespace pp::notification {

using testing::Fixture;

namespace {

SendRequest Approved(std::string key, std::string mobile = "07294 053474") {
  SendRequest request;
  request.channel = Channel::kEmail;
  request.to = "parent@example.com";
  request.mobile = std::move(mobile);
  request.account_id = "acc-1";
  request.idempotency_key = std::move(key);
  request.kind = MessageKind::kLinkApproved;
  request.template_data = {
      {"parent_name", "Ann Smith"}, {"child_name", "Noah"}, {"school_name", "Hill Primary"}};
  return request;
}

}  // namespace

TEST_CASE("preferences default to email only") {
  Fixture f;
  absl::StatusOr<std::map<MessageKind, ChannelChoice>> choices = f.service->GetPreferences("acc-1");
  REQUIRE(choices.ok());
  // The four link messages; a school reminder goes to the school office.
  CHECK(choices->size() == 4);
  CHECK(choices->count(MessageKind::kLinkEnded) == 1);
  CHECK(choices->at(MessageKind::kLinkRejected).email);
  CHECK_FALSE(choices->at(MessageKind::kLinkRejected).sms);
  CHECK(choices->count(MessageKind::kSecurityCode) == 0);
  CHECK(choices->count(MessageKind::kSchoolReminder) == 0);
  CHECK(f.service->SetPreferences("acc-1", {{MessageKind::kSchoolReminder, {true, true}}}).code() ==
        absl::StatusCode::kInvalidArgument);

  REQUIRE(f.service->Send(Approved("approved:1")).ok());
  REQUIRE(*f.service->DeliverDue() == 1);
  CHECK(f.sender.delivered[0].channel == Channel::kEmail);
}

TEST_CASE("preferences choose the channels") {
  struct Case {
    const char* name;
    ChannelChoice choice;
    std::vector<Channel> channels;
    bool fallback;
  };
  const Case cases[] = {
      {"both", {true, true}, {Channel::kEmail, Channel::kSms}, false},
      {"text only", {false, true}, {Channel::kSms}, true},
      {"email only", {true, false}, {Channel::kEmail}, false},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Fixture f;
    REQUIRE(f.service->SetPreferences("acc-1", {{MessageKind::kLinkApproved, c.choice}}).ok());
    absl::StatusOr<SendResult> sent = f.service->Send(Approved("approved:1"));
    REQUIRE(sent.ok());
    REQUIRE(*f.service->DeliverDue() == static_cast<int>(c.channels.size()));
    REQUIRE(f.sender.delivered.size() == c.channels.size());
    for (size_t i = 0; i < c.channels.size(); ++i) {
      CHECK(f.sender.delivered[i].channel == c.channels[i]);
    }
    const OutboxMessage& last = f.sender.delivered.back();
    if (last.channel == Channel::kSms) {
      CHECK(last.recipient == "+447294053474");
      CHECK(last.body == "Parents Portal: Hill Primary approved your link to Noah.");
      CHECK(last.fallback_email.empty() == !c.fallback);
    }
    // The same key queues nothing more.
    CHECK(f.service->Send(Approved("approved:1"))->duplicate);
  }
}

TEST_CASE("security messages ignore preferences") {
  Fixture f;
  REQUIRE(f.service->SetPreferences("acc-1", {{MessageKind::kLinkApproved, {false, true}}}).ok());
  SendRequest code;
  code.channel = Channel::kEmail;
  code.to = "parent@example.com";
  code.account_id = "acc-1";
  code.idempotency_key = "otp:1";
  code.kind = MessageKind::kOneTimePassword;
  code.template_data = {{"parent_name", "Ann"},
                        {"one_time_password", "ABCD"},
                        {"expires_at", "2026-12-05T12:00:00Z"}};
  REQUIRE(f.service->Send(code).ok());
  REQUIRE(*f.service->DeliverDue() == 1);
  CHECK(f.sender.delivered[0].channel == Channel::kEmail);

  CHECK(f.service->SetPreferences("acc-1", {{MessageKind::kSecurityCode, {false, true}}}).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(f.service->SetPreferences("acc-1", {{MessageKind::kLinkRejected, {false, false}}}).code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("history lists an account's messages") {
  Fixture f;
  REQUIRE(f.service->SetPreferences("acc-1", {{MessageKind::kLinkApproved, {true, true}}}).ok());
  REQUIRE(f.service->Send(Approved("approved:1")).ok());
  SendRequest other = Approved("approved:2");
  other.account_id = "acc-2";
  REQUIRE(f.service->Send(other).ok());
  REQUIRE(*f.service->DeliverDue() == 3);

  absl::StatusOr<std::vector<MessageStatus>> history = f.service->ListMessages("acc-1", 0);
  REQUIRE(history.ok());
  REQUIRE(history->size() == 2);
  CHECK((*history)[0].channel == Channel::kSms);
  CHECK((*history)[0].recipient == "+447294053474");
  CHECK((*history)[0].state == DeliveryState::kSent);
  CHECK((*history)[1].channel == Channel::kEmail);
  CHECK(f.service->ListMessages("", 10).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("mobile without its context is rejected") {
  Fixture f;
  SendRequest no_account = Approved("k");
  no_account.account_id.clear();
  CHECK(f.service->Send(no_account).status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(f.service->SetPreferences("acc-1", {{MessageKind::kLinkApproved, {true, true}}}).ok());
  SendRequest bad_mobile = Approved("k", "0131 496 0000");
  absl::StatusOr<SendResult> result = f.service->Send(bad_mobile);
  CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(result.status().message()).rfind("mobile:", 0) == 0);
}

}  // namespace pp::notification
