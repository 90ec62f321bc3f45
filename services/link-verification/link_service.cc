#include "link_service.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "crypto/crypto.h"
#include "link_rules.h"
#include "link_store.h"
#include "log/log.h"
#include "matcher.h"
#include "return_if_error.h"
#include "server/grpc_status.h"

namespace pp::link {
namespace {

namespace v1 = parentsportal::link::v1;
namespace notification = parentsportal::notification::v1;

constexpr char kUnknownAttemptMessage[] =
    "No link attempt with this id belongs to this account; start linking again.";

// Checks the request's fields. `forename_key` and `surname_key` are the
// parent's names as NameKey folds them.
// The maximum length of a child's name, in characters.
constexpr size_t kMaxChildNameCharacters = 100;
// No pupil is older than this, so an earlier date of birth is a typing
// mistake, most likely in the year.
constexpr int kMaxPupilAgeYears = 25;

// Returns why `name` cannot be a child's name, or "" when it can be one.
// Names keep letters of any script, spaces, hyphens, apostrophes and full
// stops, so only digits and other ASCII symbols are rejected.
std::string ChildNameProblem(const std::string& name, const char* label) {
  if (NameKey(name).empty()) return absl::StrCat("Enter the child's ", label, ".");
  size_t characters = 0;
  for (unsigned char c : name) characters += (c & 0xC0) != 0x80;
  if (characters > kMaxChildNameCharacters) {
    return absl::StrCat("The child's ", label, " is longer than ", kMaxChildNameCharacters,
                        " characters.");
  }
  for (unsigned char c : name) {
    const bool symbol =
        c < 0x80 && !absl::ascii_isalpha(c) && c != ' ' && c != '-' && c != '\'' && c != '.';
    if (symbol) {
      return absl::StrCat(
          "The child's ", label,
          " can contain only letters, spaces, hyphens, apostrophes and full stops.");
    }
  }
  return "";
}

// Checks the child's fields of a StartLink. Returns InvalidArgument with a
// line for each invalid field, each starting with the field's name and a
// colon, so that a form can show them all at once.
absl::Status CheckChildFields(const v1::StartLinkRequest& request, absl::CivilDay today) {
  std::vector<std::string> errors;
  if (std::string problem = ChildNameProblem(request.child_forename(), "first name");
      !problem.empty()) {
    errors.push_back(absl::StrCat("child_forename: ", problem));
  }
  if (std::string problem = ChildNameProblem(request.child_surname(), "last name");
      !problem.empty()) {
    errors.push_back(absl::StrCat("child_surname: ", problem));
  }
  std::optional<absl::CivilDay> birth =
      ParseDate(request.child_date_of_birth(), /*allow_day_first=*/true);
  if (!birth.has_value()) {
    errors.push_back(
        "child_date_of_birth: Enter the child's date of birth as DD/MM/YYYY or YYYY-MM-DD.");
  } else if (*birth > today) {
    errors.push_back("child_date_of_birth: The child's date of birth is in the future.");
  } else if (birth->year() < today.year() - kMaxPupilAgeYears) {
    errors.push_back(absl::StrCat("child_date_of_birth: The child's date of birth is more than ",
                                  kMaxPupilAgeYears, " years ago. Check the year."));
  }
  if (!IsStage(absl::AsciiStrToUpper(request.stage()))) {
    errors.push_back("stage: Enter the child's stage: P1 to P7, or S1 to S6.");
  }
  if (!IsUkPostcode(request.postcode())) {
    errors.push_back("postcode: Enter the child's home postcode, for example PH1 8NR.");
  }
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  return absl::OkStatus();
}

absl::Status CheckStartRequest(const v1::StartLinkRequest& request, const std::string& forename_key,
                               const std::string& surname_key, absl::CivilDay today) {
  const v1::Parent& parent = request.parent();
  if (parent.account_id().empty())
    return absl::InvalidArgumentError("parent.account_id is missing");
  if (forename_key.empty() || surname_key.empty() || !IsUkPostcode(parent.postcode())) {
    return absl::InvalidArgumentError(
        "The account needs a forename, a surname and a UK postcode before linking a child.");
  }
  return CheckChildFields(request, today);
}

bool IsSixDigits(const std::string& code) {
  if (code.size() != 6) return false;
  for (char c : code) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Returns the status for an attempt that cannot take a code any more, or OK.
absl::Status CheckAttemptOpen(const std::optional<AttemptRecord>& attempt,
                              const std::string& account_id, int64_t now) {
  if (!attempt.has_value() || attempt->account_id != account_id) {
    return absl::NotFoundError(kUnknownAttemptMessage);
  }
  if (attempt->used) {
    return absl::FailedPreconditionError("This link attempt is finished; start linking again.");
  }
  if (attempt->wrong_tries >= LinkService::kMaxWrongTries) {
    return absl::FailedPreconditionError(
        "This link attempt is locked after too many wrong codes; start linking again.");
  }
  if (now >= attempt->expires_at) {
    return absl::FailedPreconditionError("This link attempt has expired; start linking again.");
  }
  return absl::OkStatus();
}

absl::Status LoadAccountRequests(Tx& tx, const std::string& account_id,
                                 std::vector<RequestRecord>* requests) {
  absl::StatusOr<std::vector<RequestRecord>> loaded = ListAccountRequests(tx, account_id);
  if (!loaded.ok()) return loaded.status();
  *requests = *std::move(loaded);
  return absl::OkStatus();
}

v1::Child ToChild(const RequestRecord& request) {
  v1::Child child;
  child.set_child_id(request.child_id);
  child.set_forename(request.pupil_preferred_forename.empty() ? request.pupil_forename
                                                              : request.pupil_preferred_forename);
  child.set_surname(request.pupil_surname);
  child.set_stage(request.stage);
  child.set_seed_code(request.seed_code);
  child.set_school_name(request.school_name);
  child.set_pupil_ref(request.pupil_ref);
  return child;
}

absl::Status RecordsChanged() {
  return absl::FailedPreconditionError(
      "The school's records changed while you were linking; start linking again.");
}

}  // namespace

LinkService::LinkService(Store& store, Clock& clock, Notifier& notifier, SchoolDays& school_days,
                         LinkMetrics& metrics, absl::TimeZone zone, std::string code_key)
    : store_(store),
      clock_(clock),
      notifier_(notifier),
      school_days_(school_days),
      metrics_(metrics),
      zone_(zone),
      code_key_(std::move(code_key)) {}

// A six-digit code has too few values for a plain hash to hide it from
// someone with the database, so it is keyed with a secret kept apart.
std::string LinkService::CodeHash(const std::string& attempt_id, const std::string& code) const {
  return crypto::HmacSha256(code_key_, absl::StrCat(attempt_id, ":", code));
}

// One StartLink call, from its checks to its response. What the
// transaction finds is kept here, since the transaction may run more than
// once.
struct LinkService::StartCall {
  const v1::StartLinkRequest& request;
  int64_t now_seconds = 0;
  std::string date_of_birth;
  std::string forename_key;
  std::string surname_key;
  std::string postcode_key;

  absl::Status outcome;
  AttemptRecord attempt;
  int near_misses = 0;
};

absl::StatusOr<v1::StartLinkResponse> LinkService::StartLink(const v1::StartLinkRequest& request) {
  absl::StatusOr<std::unique_ptr<StartCall>> call = PrepareStart(request);
  if (!call.ok()) return call.status();
  if (request.validate_only()) return v1::StartLinkResponse();
  absl::Status written = store_.Write([&](Tx& tx) { return RunStart(**call, tx); });
  return FinishStart(**call, written);
}

void LinkService::StartLink(const v1::StartLinkRequest& request, GroupedWriter& writes,
                            std::function<void(absl::StatusOr<v1::StartLinkResponse>)> done) {
  absl::StatusOr<std::unique_ptr<StartCall>> prepared = PrepareStart(request);
  if (!prepared.ok()) {
    done(prepared.status());
    return;
  }
  // Checking the fields reads no roster and counts no call.
  if (request.validate_only()) {
    done(v1::StartLinkResponse());
    return;
  }
  std::shared_ptr<StartCall> call = *std::move(prepared);
  writes.Submit([this, call](Tx& tx) { return RunStart(*call, tx); },
                [this, call, done = std::move(done)](absl::Status written) {
                  done(FinishStart(*call, written));
                });
}

absl::StatusOr<std::unique_ptr<LinkService::StartCall>> LinkService::PrepareStart(
    const v1::StartLinkRequest& request) {
  // The keys are worked out before the transaction, so that the store is
  // held only for the reads and writes.
  auto call = std::make_unique<StartCall>(StartCall{request});
  call->forename_key = NameKey(request.parent().forename());
  call->surname_key = NameKey(request.parent().surname());
  call->now_seconds = absl::ToUnixSeconds(clock_.Now());
  const absl::CivilDay today = absl::ToCivilDay(absl::FromUnixSeconds(call->now_seconds), zone_);
  if (absl::Status checked =
          CheckStartRequest(request, call->forename_key, call->surname_key, today);
      !checked.ok()) {
    return checked;
  }
  call->postcode_key = PostcodeKey(request.parent().postcode());
  call->date_of_birth =
      FormatDate(*ParseDate(request.child_date_of_birth(), /*allow_day_first=*/true));
  return call;
}

absl::Status LinkService::RunStart(StartCall& call, Tx& tx) {
  // The transaction commits in every outcome, so the call is always counted
  // and every mismatch does the same reads.
  const v1::StartLinkRequest& request = call.request;
  const std::string& account_id = request.parent().account_id();
  const int64_t now_seconds = call.now_seconds;
  call.outcome = absl::OkStatus();
  call.near_misses = 0;
  call.attempt = AttemptRecord{};

  // Expired attempts are kept for a day, so that a late code reads as
  // expired rather than unknown. The sweep scans whole tables, so it runs
  // at most once a minute rather than in every call.
  if (now_seconds - last_sweep_at_ >= kSweepIntervalSeconds || now_seconds < last_sweep_at_) {
    LINK_RETURN_IF_ERROR(SweepExpiredStarts(tx, now_seconds - 24 * 3600));
    last_sweep_at_ = now_seconds;
  }
  absl::StatusOr<int64_t> calls =
      CountStartCall(tx, account_id, now_seconds, now_seconds - 24 * 3600);
  if (!calls.ok()) return calls.status();
  if (*calls > kMaxStartsPerDay) {
    absl::StatusOr<int64_t> limiting =
        LimitingStartCall(tx, account_id, now_seconds - 24 * 3600, kMaxStartsPerDay);
    if (!limiting.ok()) return limiting.status();
    // A call counts while it is at most a day old, so the limit lifts a
    // second after that. The time is shown rounded up to the minute.
    const absl::Time lifted = absl::FromUnixSeconds(*limiting + 24 * 3600 + 1);
    const absl::Time shown =
        absl::Ceil(lifted - absl::UnixEpoch(), absl::Minutes(1)) + absl::UnixEpoch();
    call.outcome = WithRetryDelay(
        absl::ResourceExhaustedError(absl::StrCat(
            "You have tried to link a child ", kMaxStartsPerDay,
            " times in the last 24 hours. You can try again from ",
            absl::FormatTime("%H:%M", shown, zone_), ZoneSuffix(), " on ",
            absl::FormatTime("%A ", shown, zone_), absl::ToCivilDay(shown, zone_).day(),
            absl::FormatTime(" %B", shown, zone_), ".")),
        lifted - absl::FromUnixSeconds(now_seconds));
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<Candidate>> candidates =
      FindCandidates(tx, call.forename_key, call.surname_key, call.postcode_key);
  if (!candidates.ok()) return candidates.status();
  MatchResult result = MatchCandidates(*candidates, request, call.date_of_birth);
  if (!result.match.has_value()) {
    for (const NearMiss& near_miss : result.near_misses) {
      const ContactRecord& contact = near_miss.candidate.contact;
      MatchFailureRecord failure;
      failure.pupil_id = contact.pupil_id;
      failure.contact_ref = contact.contact_ref;
      failure.contact_name = absl::StrCat(contact.forename, " ", contact.surname);
      failure.reasons = absl::StrJoin(near_miss.reasons, ",");
      failure.created_at = now_seconds;
      LINK_RETURN_IF_ERROR(InsertMatchFailure(tx, failure));
    }
    call.near_misses = static_cast<int>(result.near_misses.size());
    call.outcome = absl::NotFoundError(kNoMatchMessage);
    return absl::OkStatus();
  }
  const Candidate* match = &*result.match;

  absl::StatusOr<bool> open = HasOpenRequest(tx, account_id, match->pupil.id);
  if (!open.ok()) return open.status();
  if (*open) {
    call.outcome = absl::AlreadyExistsError(
        "You already have a link, or a request waiting for the school, for this child.");
    return absl::OkStatus();
  }
  if (match->contact.email.empty() && match->contact.mobile.empty()) {
    call.outcome = absl::FailedPreconditionError(kNoChannelMessage);
    return absl::OkStatus();
  }

  AttemptRecord& attempt = call.attempt;
  attempt.attempt_id = crypto::RandomToken();
  attempt.account_id = account_id;
  attempt.pupil_id = match->pupil.id;
  attempt.contact_ref = match->contact.contact_ref;
  attempt.contact_name = absl::StrCat(match->contact.forename, " ", match->contact.surname);
  attempt.email = match->contact.email;
  attempt.mobile = match->contact.mobile;
  attempt.expires_at = now_seconds + absl::ToInt64Seconds(kAttemptLifetime);
  attempt.parent_email = request.parent().email();
  return InsertAttempt(tx, attempt);
}

absl::StatusOr<v1::StartLinkResponse> LinkService::FinishStart(const StartCall& call,
                                                               const absl::Status& written) {
  if (!written.ok()) {
    log::Error("start_link_failed")
        .Field("account_id", call.request.parent().account_id())
        .Field("error", written.message());
    return written;
  }

  const absl::Status& outcome = call.outcome;
  if (outcome.code() == absl::StatusCode::kResourceExhausted)
    metrics_.starts_rate_limited.Increment();
  if (outcome.code() == absl::StatusCode::kNotFound) metrics_.starts_not_matched.Increment();
  metrics_.near_misses.Increment(call.near_misses);
  if (!outcome.ok()) return outcome;
  metrics_.starts_matched.Increment();

  const AttemptRecord& attempt = call.attempt;
  v1::StartLinkResponse response;
  response.set_attempt_id(attempt.attempt_id);
  if (!attempt.email.empty()) {
    v1::CodeChannel* channel = response.add_channels();
    channel->set_channel("email");
    channel->set_masked_destination(MaskEmail(attempt.email));
  }
  if (!attempt.mobile.empty()) {
    v1::CodeChannel* channel = response.add_channels();
    channel->set_channel("sms");
    channel->set_masked_destination(MaskMobile(attempt.mobile));
  }
  return response;
}

std::string LinkService::ZoneSuffix() const {
  return zone_.name() == "Europe/London" ? " UK time" : absl::StrCat(" ", zone_.name(), " time");
}

absl::Status LinkService::CodeLimitReached(absl::Time limiting_send, absl::Time now,
                                           const AttemptRecord& attempt) const {
  // A send counts while it is at most an hour old, so the limit lifts a
  // second after that. The time is shown rounded up to the minute.
  const absl::Time lifted = limiting_send + absl::Hours(1) + absl::Seconds(1);
  const absl::Time shown =
      absl::Ceil(lifted - absl::UnixEpoch(), absl::Minutes(1)) + absl::UnixEpoch();
  // The count covers every child the account asked about, so the codes
  // sent may be for other requests. Each new code replaces the last one of
  // its request, so only this request's last code can still work.
  const int64_t now_seconds = absl::ToUnixSeconds(now);
  std::string until_then;
  if (!attempt.code_hash.empty() && attempt.code_expires_at > now_seconds) {
    until_then = absl::StrCat(
        " Until then, the last code sent for this request works until ",
        absl::FormatTime("%H:%M", absl::FromUnixSeconds(attempt.code_expires_at), zone_),
        ZoneSuffix(), ".");
  } else if (attempt.sends > 0) {
    until_then = " The last code sent for this request has expired.";
  } else {
    until_then = " No code has been sent for this request yet.";
  }
  absl::Status limited = absl::ResourceExhaustedError(absl::StrCat(
      kMaxSendsPerHour, " codes have been sent in the last hour. You can ask for a new code from ",
      absl::FormatTime("%H:%M", shown, zone_), ZoneSuffix(), ".", until_then));
  return WithRetryDelay(std::move(limited), std::max(lifted - now, absl::ZeroDuration()));
}

absl::Status LinkService::SendCode(const v1::SendCodeRequest& request) {
  if (request.channel() != "email" && request.channel() != "sms") {
    return absl::InvalidArgumentError("channel must be \"email\" or \"sms\"");
  }
  const bool by_email = request.channel() == "email";
  const absl::Time now = clock_.Now();
  const int64_t now_seconds = absl::ToUnixSeconds(now);
  const std::string code = crypto::RandomDigits(6);

  // Store the new code first, so that a parent never receives a code the
  // service does not know.
  absl::Status outcome;
  AttemptRecord attempt;
  absl::Status status = store_.Write([&](Tx& tx) -> absl::Status {
    absl::StatusOr<std::optional<AttemptRecord>> loaded = LoadAttempt(tx, request.attempt_id());
    if (!loaded.ok()) return loaded.status();
    outcome = CheckAttemptOpen(*loaded, request.account_id(), now_seconds);
    if (!outcome.ok()) return absl::OkStatus();
    attempt = **loaded;
    // The school may have corrected the contact's details, or ended their
    // right to link, since the attempt started.
    absl::StatusOr<bool> current = AttemptContactCurrent(tx, attempt);
    if (!current.ok()) return current.status();
    if (!*current) {
      attempt.used = true;
      attempt.code_hash.clear();
      outcome = RecordsChanged();
      return UpdateAttemptCode(tx, attempt);
    }
    absl::StatusOr<int64_t> recent = CountCodeSends(tx, attempt, now_seconds - 3600);
    if (!recent.ok()) return recent.status();
    if (*recent >= kMaxSendsPerHour) {
      absl::StatusOr<int64_t> limiting =
          LimitingCodeSend(tx, attempt, now_seconds - 3600, kMaxSendsPerHour);
      if (!limiting.ok()) return limiting.status();
      outcome = CodeLimitReached(absl::FromUnixSeconds(*limiting), now, attempt);
      return absl::OkStatus();
    }
    if ((by_email ? attempt.email : attempt.mobile).empty()) {
      outcome = absl::InvalidArgumentError(
          by_email ? "The school holds no email address for you; choose the text message option."
                   : "The school holds no mobile number for you; choose the email option.");
      return absl::OkStatus();
    }
    attempt.code_hash = CodeHash(attempt.attempt_id, code);
    attempt.code_expires_at = absl::ToUnixSeconds(now + kCodeLifetime);
    attempt.sends += 1;
    LINK_RETURN_IF_ERROR(RecordCodeSend(tx, attempt, now_seconds));
    return UpdateAttemptCode(tx, attempt);
  });
  if (!status.ok()) {
    log::Error("send_code_failed")
        .Field("account_id", request.account_id())
        .Field("error", status.message());
    return status;
  }
  if (!outcome.ok()) return outcome;

  // The code goes only to the address or mobile the school holds, so it is
  // sent without the account id. The parent's preferences must not redirect
  // it. Their message history would also show the school's record of the
  // contact in full, before the parent has proved to be that contact.
  notification::SendRequest message;
  message.set_channel(by_email ? notification::EMAIL : notification::SMS);
  message.set_to(by_email ? attempt.email : attempt.mobile);
  message.set_kind(notification::SECURITY_CODE);
  auto& data = *message.mutable_template_data();
  data["parent_name"] = ClipCharacters(attempt.contact_name, kMaxTemplateValueCharacters);
  data["child_name"] = attempt.child_forename;
  data["security_code"] = code;
  data["expires_at"] = FormatTimestamp(absl::FromUnixSeconds(attempt.code_expires_at));
  // One key per send, so a retried hand-over never sends the same code twice.
  message.set_idempotency_key(absl::StrCat("link-code/", attempt.attempt_id, "/", attempt.sends));
  absl::Status sent = notifier_.Send(message);
  if (!sent.ok()) {
    log::Warning("code_not_sent")
        .Field("account_id", request.account_id())
        .Field("channel", request.channel())
        .Field("error", sent.message());
    // Give the send back, so that an outage does not use up the parent's sends.
    absl::Status restored = store_.Write([&](Tx& tx) {
      LINK_RETURN_IF_ERROR(ForgetCodeSend(tx, attempt.attempt_id, now_seconds));
      return tx.Exec(
          "UPDATE link_attempts SET sends = sends - 1 WHERE attempt_id = ? AND sends = ?",
          {attempt.attempt_id, attempt.sends});
    });
    if (!restored.ok()) {
      log::Error("send_count_not_restored")
          .Field("account_id", request.account_id())
          .Field("error", restored.message());
    }
    return sent;
  }
  (by_email ? metrics_.codes_sent_email : metrics_.codes_sent_sms).Increment();
  return absl::OkStatus();
}

absl::StatusOr<v1::ConfirmCodeResponse> LinkService::ConfirmCode(
    const v1::ConfirmCodeRequest& request) {
  if (!IsSixDigits(request.code())) {
    return absl::InvalidArgumentError("Enter the six-digit security code from the message.");
  }
  const absl::Time now = clock_.Now();
  const int64_t now_seconds = absl::ToUnixSeconds(now);

  // The school's working days may come from the calendar service, so they
  // are counted before the write transaction rather than inside it.
  std::string seed_code;
  absl::Status read = store_.Read([&](Tx& tx) -> absl::Status {
    absl::StatusOr<std::optional<AttemptRecord>> loaded = LoadAttempt(tx, request.attempt_id());
    if (!loaded.ok()) return loaded.status();
    seed_code = loaded->has_value() ? (*loaded)->seed_code : "";
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  absl::StatusOr<absl::Time> deadline = DecisionDeadline(school_days_, seed_code, now, zone_);
  if (!deadline.ok()) return deadline.status();
  const int64_t decide_by = absl::ToUnixSeconds(*deadline);

  // Wrong tries must be stored, so the transaction commits whatever the
  // outcome, and the outcome travels apart from the transaction's status.
  absl::Status outcome;
  RequestRecord filed_request;
  prometheus::Counter* check_result = nullptr;
  absl::Status status = store_.Write([&](Tx& tx) -> absl::Status {
    check_result = nullptr;
    absl::StatusOr<std::optional<AttemptRecord>> loaded = LoadAttempt(tx, request.attempt_id());
    if (!loaded.ok()) return loaded.status();
    outcome = CheckAttemptOpen(*loaded, request.account_id(), now_seconds);
    if (!outcome.ok()) {
      if ((*loaded).has_value() && (*loaded)->wrong_tries >= kMaxWrongTries) {
        check_result = &metrics_.codes_locked;
      }
      return absl::OkStatus();
    }
    AttemptRecord attempt = **loaded;
    if (attempt.code_hash.empty()) {
      outcome = absl::FailedPreconditionError(
          "No security code has been sent for this attempt; ask for one first.");
      return absl::OkStatus();
    }
    if (now_seconds >= attempt.code_expires_at) {
      check_result = &metrics_.codes_expired;
      outcome = absl::FailedPreconditionError("The security code has expired; ask for a new one.");
      return absl::OkStatus();
    }

    if (!crypto::ConstantTimeEquals(CodeHash(attempt.attempt_id, request.code()),
                                    attempt.code_hash)) {
      check_result = &metrics_.codes_wrong;
      attempt.wrong_tries += 1;
      int left = kMaxWrongTries - attempt.wrong_tries;
      outcome = absl::InvalidArgumentError(
          left > 0 ? absl::StrCat("The security code is wrong. Check it and try again (", left,
                                  left == 1 ? " try" : " tries", " left).")
                   : "The security code is wrong, and that was the last try; start linking again.");
      return UpdateAttemptCode(tx, attempt);
    }

    // The roster may have changed since the attempt started.
    check_result = &metrics_.codes_right;
    attempt.used = true;
    attempt.code_hash.clear();
    LINK_RETURN_IF_ERROR(UpdateAttemptCode(tx, attempt));
    absl::StatusOr<bool> current = AttemptContactCurrent(tx, attempt);
    if (!current.ok()) return current.status();
    if (!*current) {
      outcome = RecordsChanged();
      return absl::OkStatus();
    }
    absl::StatusOr<bool> open = HasOpenRequest(tx, attempt.account_id, attempt.pupil_id);
    if (!open.ok()) return open.status();
    if (*open) {
      outcome = absl::AlreadyExistsError(
          "You already have a link, or a request waiting for the school, for this child.");
      return absl::OkStatus();
    }

    RequestRecord link_request;
    link_request.request_id = crypto::RandomToken();
    link_request.account_id = attempt.account_id;
    link_request.pupil_id = attempt.pupil_id;
    link_request.contact_ref = attempt.contact_ref;
    link_request.contact_name = attempt.contact_name;
    link_request.state = kPending;
    link_request.created_at = now_seconds;
    link_request.decide_by = decide_by;
    link_request.parent_email = attempt.parent_email;
    LINK_RETURN_IF_ERROR(InsertRequest(tx, link_request));
    absl::StatusOr<std::optional<RequestRecord>> filed = LoadRequest(tx, link_request.request_id);
    if (!filed.ok()) return filed.status();
    if (!filed->has_value()) return absl::InternalError("the request just filed is missing");
    filed_request = **filed;
    return absl::OkStatus();
  });
  if (!status.ok()) {
    log::Error("confirm_code_failed")
        .Field("account_id", request.account_id())
        .Field("error", status.message());
    return status;
  }

  if (check_result != nullptr) check_result->Increment();
  if (!outcome.ok()) return outcome;
  TellParentRequested(filed_request);
  v1::ConfirmCodeResponse response;
  response.set_request_id(filed_request.request_id);
  return response;
}

void LinkService::TellParentRequested(const RequestRecord& request) {
  if (request.parent_email.empty()) return;
  notification::SendRequest message;
  message.set_channel(notification::EMAIL);
  message.set_to(request.parent_email);
  message.set_account_id(request.account_id);
  message.set_kind(notification::LINK_REQUESTED);
  auto& data = *message.mutable_template_data();
  data["parent_name"] = ClipCharacters(request.contact_name, kMaxTemplateValueCharacters);
  data["child_name"] = request.pupil_preferred_forename.empty() ? request.pupil_forename
                                                                : request.pupil_preferred_forename;
  data["school_name"] = request.school_name;
  message.set_idempotency_key(absl::StrCat("link-requested/", request.request_id));
  absl::Status sent = notifier_.Send(message);
  if (!sent.ok()) {
    // The request is kept, and the parent's home page shows it either way.
    log::Warning("parent_not_told")
        .Field("request_id", request.request_id)
        .Field("error", sent.message());
  }
}

absl::StatusOr<v1::ListLinksResponse> LinkService::ListLinks(const v1::ListLinksRequest& request) {
  if (request.account_id().empty()) return absl::InvalidArgumentError("account_id is missing");
  std::vector<RequestRecord> requests;
  absl::Status status =
      store_.Read([&](Tx& tx) { return LoadAccountRequests(tx, request.account_id(), &requests); });
  return LinksResponse(request, status, requests);
}

std::optional<absl::StatusOr<v1::ListLinksResponse>> LinkService::TryListLinks(
    const v1::ListLinksRequest& request) {
  if (request.account_id().empty()) return absl::InvalidArgumentError("account_id is missing");
  std::vector<RequestRecord> requests;
  std::optional<absl::Status> status = store_.TryRead(
      [&](Tx& tx) { return LoadAccountRequests(tx, request.account_id(), &requests); });
  if (!status.has_value()) return std::nullopt;
  return LinksResponse(request, *status, requests);
}

absl::StatusOr<v1::ListLinksResponse> LinkService::LinksResponse(
    const v1::ListLinksRequest& request, const absl::Status& read,
    const std::vector<RequestRecord>& requests) {
  if (!read.ok()) {
    log::Error("list_links_failed")
        .Field("account_id", request.account_id())
        .Field("error", read.message());
    return read;
  }

  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  v1::ListLinksResponse response;
  // The second after the earliest deadline of a request still pending, when
  // it starts to show as expired.
  std::optional<int64_t> changes_at;
  for (const RequestRecord& record : requests) {
    if (record.state == kPending && record.decide_by >= now &&
        (!changes_at.has_value() || record.decide_by + 1 < *changes_at)) {
      changes_at = record.decide_by + 1;
    }
    if (record.state == kApproved) {
      *response.add_children() = ToChild(record);
      continue;
    }
    // A pending request past its deadline is shown as expired before a
    // school listing stores it so.
    std::string state =
        record.state == kPending && record.decide_by < now ? kExpired : record.state;
    v1::ParentLinkRequest* shown_request = response.add_requests();
    shown_request->set_request_id(record.request_id);
    v1::LinkRequestState state_value = v1::LINK_REQUEST_STATE_UNSPECIFIED;
    v1::LinkRequestState_Parse(state, &state_value);
    shown_request->set_state(state_value);
    shown_request->set_child_forename(record.pupil_preferred_forename.empty()
                                          ? record.pupil_forename
                                          : record.pupil_preferred_forename);
    shown_request->set_school_name(record.school_name);
    shown_request->set_created_at(FormatTimestamp(absl::FromUnixSeconds(record.created_at)));
    if (state == kPending) {
      // Steps 1 and 2 (details, then code) are done by the time a request
      // exists; step 3 is the school's decision.
      shown_request->set_step(3);
      shown_request->set_expected_by(
          FormatDate(absl::ToCivilDay(absl::FromUnixSeconds(record.decide_by), zone_)));
    }
  }
  if (changes_at.has_value()) {
    response.set_changes_at(FormatTimestamp(absl::FromUnixSeconds(*changes_at)));
  }
  return response;
}

absl::StatusOr<v1::Child> LinkService::GetChild(const v1::GetChildRequest& request) {
  std::optional<RequestRecord> found;
  absl::Status status = store_.Read([&](Tx& tx) -> absl::Status {
    found.reset();
    absl::StatusOr<std::vector<RequestRecord>> loaded =
        ListAccountRequests(tx, request.account_id());
    if (!loaded.ok()) return loaded.status();
    for (RequestRecord& record : *loaded) {
      if (record.state == kApproved && !record.child_id.empty() &&
          record.child_id == request.child_id()) {
        found = std::move(record);
      }
    }
    return absl::OkStatus();
  });
  if (!status.ok()) {
    log::Error("get_child_failed")
        .Field("account_id", request.account_id())
        .Field("error", status.message());
    return status;
  }
  if (!found.has_value()) {
    return absl::NotFoundError("This account has no linked child with this id.");
  }
  return ToChild(*found);
}

absl::Status LinkService::Unlink(const v1::UnlinkRequest& request) {
  if (request.account_id().empty() || request.child_id().empty()) {
    return absl::InvalidArgumentError("account_id and child_id are required");
  }
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  bool found = false;
  std::string request_id;
  absl::Status status = store_.Write([&](Tx& tx) -> absl::Status {
    found = false;
    absl::StatusOr<std::vector<RequestRecord>> loaded =
        ListAccountRequests(tx, request.account_id());
    if (!loaded.ok()) return loaded.status();
    for (RequestRecord& record : *loaded) {
      if (record.state != kApproved || record.child_id != request.child_id()) continue;
      found = true;
      request_id = record.request_id;
      record.state = kEnded;
      record.decided_by = "parent";
      record.reason = request.reason();
      LINK_RETURN_IF_ERROR(UpdateRequestDecision(tx, record, now));
      return InsertLinkEvent(tx, {record.request_id, now, "unlinked", "parent", request.reason()});
    }
    return absl::OkStatus();
  });
  if (!status.ok()) {
    log::Error("unlink_failed")
        .Field("account_id", request.account_id())
        .Field("error", status.message());
    return status;
  }
  if (!found) return absl::NotFoundError("This account has no linked child with this id.");
  log::Info("link_ended_by_parent").Field("request_id", request_id);
  return absl::OkStatus();
}

}  // namespace pp::link
