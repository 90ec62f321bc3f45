// The parents' side of the service: matching a parent and a child against
// a school's roster, proving it with a security code sent to the contact
// details the school has, and listing the children a parent is linked to.
#ifndef PP_LINK_LINK_SERVICE_H_
#define PP_LINK_LINK_SERVICE_H_

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clock/clock.h"
#include "link_metrics.h"
#include "link_store.h"
#include "notifier.h"
#include "parentsportal/link.pb.h"
#include "store/grouped_writer.h"
#include "store/store.h"
#include "working_days.h"

namespace pp::link {

// The one message for every mismatch in StartLink, whatever its cause.
inline constexpr char kNoMatchMessage[] =
    "The details you entered did not match the school's records. Check them and try again, or "
    "contact the school.";
inline constexpr char kNoChannelMessage[] =
    "The school holds no email or mobile number for you; contact the school.";

class LinkService {
 public:
  static constexpr absl::Duration kAttemptLifetime = absl::Minutes(30);
  static constexpr absl::Duration kCodeLifetime = absl::Minutes(15);
  // Codes one account may ask for in any hour, over all its attempts, and
  // codes sent to one contact, from any account.
  static constexpr int kMaxSendsPerHour = 3;
  static constexpr int kMaxWrongTries = 5;
  // StartLink calls one account may make in 24 hours, matched or not. It
  // bounds how fast an account can probe the rosters by guessing details.
  static constexpr int kMaxStartsPerDay = 10;

  // Days are counted in `zone` (Europe/London in production). Codes are
  // stored as HMAC-SHA-256 under `code_key`, a secret kept outside the
  // database. All references must outlive the service.
  LinkService(Store& store, Clock& clock, Notifier& notifier, SchoolDays& school_days,
              LinkMetrics& metrics, absl::TimeZone zone, std::string code_key);

  // Matches the parent and the child against every school's current roster
  // and, on a match, opens a link attempt that expires after 30 minutes.
  // Errors: InvalidArgument for a missing or malformed field. NotFound with
  // kNoMatchMessage for every mismatch, restricted contacts and pupils
  // included. AlreadyExists when the account has a pending request or an
  // approved link for the child. FailedPrecondition with kNoChannelMessage
  // when the school has no email or mobile for the parent.
  // ResourceExhausted after kMaxStartsPerDay calls in 24 hours. Near misses
  // are stored for the school to read. The time taken still depends on the
  // outcome: LinksGrpc pads every answer to one fixed time.
  absl::StatusOr<parentsportal::link::v1::StartLinkResponse> StartLink(
      const parentsportal::link::v1::StartLinkRequest& request);
  // Does what StartLink does, and calls `done` with its outcome, once. The
  // call's transaction may be shared with other calls queued on `writes`.
  // `request` must stay valid until `done` is called, which may happen
  // before this returns, on this thread or on the writer's.
  void StartLink(
      const parentsportal::link::v1::StartLinkRequest& request, GroupedWriter& writes,
      std::function<void(absl::StatusOr<parentsportal::link::v1::StartLinkResponse>)> done);

  // Sends a new six-digit code, valid 15 minutes, over the channel ("email"
  // or "sms"), replacing any earlier code of the attempt. Errors: NotFound
  // for an unknown attempt or another account's. InvalidArgument for a
  // channel the attempt does not offer. FailedPrecondition for an attempt
  // that expired, is locked or was used. ResourceExhausted after
  // kMaxSendsPerHour sends in the last hour. Unavailable when the
  // notification service cannot take the message, which is then not counted.
  absl::Status SendCode(const parentsportal::link::v1::SendCodeRequest& request);

  // Checks the code in constant time and, when it is right, uses up the
  // attempt and files a PENDING request that the school must decide by the
  // end of the fifth school working day. Of concurrent calls with the right
  // code, exactly one succeeds. InvalidArgument for a wrong code (the
  // attempt locks after kMaxWrongTries); FailedPrecondition for an expired
  // code, or an attempt that is locked, expired or used; NotFound as for
  // SendCode.
  absl::StatusOr<parentsportal::link::v1::ConfirmCodeResponse> ConfirmCode(
      const parentsportal::link::v1::ConfirmCodeRequest& request);

  // Returns the account's approved links as children, and its pending,
  // rejected, expired and ended requests, pending ones with their step and
  // expected-by date.
  absl::StatusOr<parentsportal::link::v1::ListLinksResponse> ListLinks(
      const parentsportal::link::v1::ListLinksRequest& request);
  // Returns what ListLinks would, or nullopt without waiting when the store
  // is busy with another call (Store::TryRead), so that it may run on a
  // thread that must not block.
  std::optional<absl::StatusOr<parentsportal::link::v1::ListLinksResponse>> TryListLinks(
      const parentsportal::link::v1::ListLinksRequest& request);

  // Returns the child when the account has an approved link to them, and
  // NotFound otherwise.
  absl::StatusOr<parentsportal::link::v1::Child> GetChild(
      const parentsportal::link::v1::GetChildRequest& request);

  // Ends the account's approved link to the child and records it in the
  // link's history. NotFound unless the account has that link.
  absl::Status Unlink(const parentsportal::link::v1::UnlinkRequest& request);

 private:
  // Emails the parent that the request went to the school; logs and carries
  // on when it fails.
  void TellParentRequested(const RequestRecord& request);
  std::string CodeHash(const std::string& attempt_id, const std::string& code) const;
  // StartLink in three steps. PrepareStart makes the checks and keys, which
  // need no store. RunStart is the transaction's work, which may run more
  // than once. FinishStart builds the response from what the committed
  // transaction found, or from its error.
  struct StartCall;
  absl::StatusOr<std::unique_ptr<StartCall>> PrepareStart(
      const parentsportal::link::v1::StartLinkRequest& request);
  absl::Status RunStart(StartCall& call, Tx& tx);
  absl::StatusOr<parentsportal::link::v1::StartLinkResponse> FinishStart(
      const StartCall& call, const absl::Status& written);
  // Builds ListLinks' response from the account's requests, or logs and
  // returns `read`, the status of reading them.
  absl::StatusOr<parentsportal::link::v1::ListLinksResponse> LinksResponse(
      const parentsportal::link::v1::ListLinksRequest& request, const absl::Status& read,
      const std::vector<RequestRecord>& requests);

  // Returns the ResourceExhausted error of a parent at the code limit, with
  // the time in `zone_` (Europe/London in production) at which the send
  // `limiting_send` leaves the hour and lifts the limit, and the wait from
  // `now` until then as its retry delay. The message states whether
  // `attempt` has a code that still works, since a new code replaces the
  // last one.
  absl::Status CodeLimitReached(absl::Time limiting_send, absl::Time now,
                                const AttemptRecord& attempt) const;
  // " UK time" for Europe/London, else the zone's name, after a time shown
  // to the parent.
  std::string ZoneSuffix() const;

  // Seconds between sweeps of expired StartLink calls, attempts and code
  // sends.
  static constexpr int64_t kSweepIntervalSeconds = 60;

  Store& store_;
  Clock& clock_;
  Notifier& notifier_;
  SchoolDays& school_days_;
  LinkMetrics& metrics_;
  absl::TimeZone zone_;
  const std::string code_key_;
  // When StartLink last swept expired rows, in Unix seconds. Only StartLink's
  // write transactions read or write it, so the store's lock guards it.
  int64_t last_sweep_at_ = 0;
};

}  // namespace pp::link

#endif  // PP_LINK_LINK_SERVICE_H_
