#include "link_grpc.h"

#include <google/protobuf/arena.h>
#include <grpcpp/alarm.h>

#include <atomic>
#include <optional>
#include <string>
#include <type_traits>

#include "absl/strings/numbers.h"
#include "log/log.h"
#include "server/server.h"

namespace pp::link {
namespace {

namespace v1 = parentsportal::link::v1;

// Copies an OK result into the response, or returns the error.
template <typename Message>
absl::Status Respond(absl::StatusOr<Message> result, Message* response) {
  if (!result.ok()) return result.status();
  *response = *std::move(result);
  return absl::OkStatus();
}

// Returns the number the caller confirmed in the metadata `key`, or 0 when
// it is absent or not a number.
int ConfirmedNumber(const grpc::CallbackServerContext& context, const char* key) {
  auto it = context.client_metadata().find(key);
  if (it == context.client_metadata().end()) return 0;
  int confirmed = 0;
  if (!absl::SimpleAtoi(absl::string_view(it->second.data(), it->second.size()), &confirmed)) {
    return 0;
  }
  return confirmed;
}

RosterConfirmation Confirmed(const grpc::CallbackServerContext& context) {
  RosterConfirmation confirmed;
  confirmed.leavers = ConfirmedNumber(context, "x-pp-confirm-leavers");
  confirmed.contacts_removed = ConfirmedNumber(context, "x-pp-confirm-contacts-removed");
  confirmed.links_ended = ConfirmedNumber(context, "x-pp-confirm-links-ended");
  confirmed.holds_lifted = ConfirmedNumber(context, "x-pp-confirm-holds-lifted");
  return confirmed;
}

absl::Status AddRows(const v1::RosterRecord& record, RosterBatch& batch) {
  return batch.Add(record);
}

absl::Status AddRows(const v1::RosterRows& rows, RosterBatch& batch) {
  for (const v1::RosterRecord& record : rows.records()) {
    absl::Status added = batch.Add(record);
    if (!added.ok()) return added;
  }
  return absl::OkStatus();
}

// Options of the arena that received roster messages are parsed into. Its
// blocks grow to 1 MiB, the largest message schoolctl sends.
google::protobuf::ArenaOptions RosterArenaOptions() {
  google::protobuf::ArenaOptions options;
  options.max_block_size = 1 << 20;
  return options;
}

// One SyncRoster or SyncRosterRows call, whose `Message` contains one row or
// many. It authenticates on the pool and reads every row into a batch on
// gRPC's threads, because checking a row is cheap. Once the client has sent
// the last message, it applies the batch on the pool.
template <typename Message>
class RosterReactor final : public grpc::ServerReadReactor<Message> {
 public:
  RosterReactor(grpc::CallbackServerContext* context, SchoolRecordsService& service,
                SchoolAuthenticator& authenticator, WorkPool& pool, v1::SyncRosterSummary* summary)
      : context_(context),
        service_(service),
        authenticator_(authenticator),
        pool_(pool),
        token_(BearerToken(*context)),
        summary_(summary),
        arena_(RosterArenaOptions()),
        message_(NewMessage()) {
    pool_.Submit([this]() { Authenticate(); });
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // A failed read is either the end of the stream or a broken call, and
      // a partial roster must never be applied as a full one.
      if (cancelled_ || context_->IsCancelled()) {
        this->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the roster stream was cancelled"));
        return;
      }
      pool_.Submit([this]() { Apply(); });
      return;
    }

    // A first message with a rows_digest may make the rest unnecessary, and
    // finding out reads the store, which is the pool's work.
    if constexpr (std::is_same_v<Message, v1::RosterRows>) {
      if (first_message_ && !message_->rows_digest().empty()) {
        first_message_ = false;
        claimed_digest_ = message_->rows_digest();
        pool_.Submit([this]() { RepeatOrRead(); });
        return;
      }
    }
    first_message_ = false;
    AddAndReadNext();
  }

  void OnCancel() override { cancelled_ = true; }
  void OnDone() override { delete this; }

 private:
  Message* NewMessage() { return google::protobuf::Arena::CreateMessage<Message>(&arena_); }

  void Authenticate() {
    absl::StatusOr<std::string> school = authenticator_.SchoolForToken(token_);
    if (!school.ok()) {
      this->Finish(ToGrpcStatus(school.status()));
      return;
    }
    batch_.emplace(service_.NewRosterBatch(*school));
    this->StartRead(message_);
  }

  // Adds the rows of the message just read to the batch and reads the next.
  void AddAndReadNext() {
    absl::Status added = AddRows(*message_, *batch_);
    if (!added.ok()) {
      this->Finish(ToGrpcStatus(added));
      return;
    }

    // The batch keeps its own copies of the rows, so the message's memory
    // is released at once rather than row by row.
    arena_.Reset();
    message_ = NewMessage();
    this->StartRead(message_);
  }

  // Ends the call with the last sync's summary when the claimed digest is
  // that sync's, and reads the rows otherwise.
  void RepeatOrRead() {
    absl::StatusOr<std::optional<v1::SyncRosterSummary>> repeated =
        service_.RepeatRoster(batch_->seed_code(), claimed_digest_, Confirmed(*context_));
    if (!repeated.ok()) {
      this->Finish(ToGrpcStatus(repeated.status()));
      return;
    }
    if (repeated->has_value()) {
      *summary_ = **std::move(repeated);
      this->Finish(grpc::Status::OK);
      return;
    }
    // The client may be waiting for this before it sends the rows.
    this->StartSendInitialMetadata();
    AddAndReadNext();
  }

  void Apply() {
    absl::StatusOr<v1::SyncRosterSummary> summary =
        service_.ApplyRoster(*batch_, Confirmed(*context_));
    // A client whose digest differs from the rows it sent never has a sync
    // recognised as unchanged, so the mismatch is logged for its developers.
    if (!claimed_digest_.empty() && claimed_digest_ != batch_->rows_digest()) {
      log::Warning("rows_digest_mismatch")
          .Field("school", batch_->seed_code())
          .Field("claimed", claimed_digest_)
          .Field("computed", batch_->rows_digest());
    }
    this->Finish(ToGrpcStatus(Respond(std::move(summary), summary_)));
  }

  grpc::CallbackServerContext* context_;
  SchoolRecordsService& service_;
  SchoolAuthenticator& authenticator_;
  WorkPool& pool_;
  const std::string token_;
  v1::SyncRosterSummary* summary_;
  std::atomic<bool> cancelled_{false};
  std::optional<RosterBatch> batch_;
  bool first_message_ = true;
  // The first message's rows_digest, empty when it had none.
  std::string claimed_digest_;
  // Each message is parsed into the arena, because parsing a row on the
  // heap allocates every one of its strings apart.
  google::protobuf::Arena arena_;
  Message* message_;
};

}  // namespace

// Finishes a reactor at a set time by an alarm, which then deletes itself.
class DelayedFinish {
 public:
  static void Schedule(grpc::ServerUnaryReactor* reactor, grpc::Status status, absl::Time at) {
    // With no time left to wait (--start_link_ms=0), an alarm would only add
    // a trip through gRPC's completion queue.
    if (absl::Now() >= at) {
      reactor->Finish(status);
      return;
    }
    auto* finish = new DelayedFinish(reactor, std::move(status));
    finish->alarm_.Set(absl::ToChronoTime(at), [finish](bool /*fired*/) {
      // A cancelled alarm (at shutdown) finishes the call at once.
      finish->reactor_->Finish(finish->status_);
      delete finish;
    });
  }

 private:
  DelayedFinish(grpc::ServerUnaryReactor* reactor, grpc::Status status)
      : reactor_(reactor), status_(std::move(status)) {}

  grpc::ServerUnaryReactor* reactor_;
  grpc::Status status_;
  grpc::Alarm alarm_;
};

LinksGrpc::LinksGrpc(LinkService& service, WorkPool& pool, GroupedWriter& start_writes,
                     absl::Duration start_link_time, ChangeFeed* changes)
    : service_(service),
      pool_(pool),
      start_writes_(start_writes),
      start_link_time_(start_link_time),
      changes_(changes) {}

grpc::ServerUnaryReactor* LinksGrpc::StartLink(grpc::CallbackServerContext* context,
                                               const v1::StartLinkRequest* request,
                                               v1::StartLinkResponse* response) {
  const absl::Time answer_at = absl::Now() + start_link_time_;
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const bool validate_only = request->validate_only();
  auto finish = [reactor, answer_at, validate_only](absl::Status status) {
    // A malformed field, or a check of the fields alone, reveals nothing
    // about the rosters, so it is not held.
    if (validate_only || status.code() == absl::StatusCode::kInvalidArgument) {
      reactor->Finish(ToGrpcStatus(status));
      return;
    }
    DelayedFinish::Schedule(reactor, ToGrpcStatus(status), answer_at);
  };
  // StartLinks that arrive together share one transaction, run on this
  // thread when the store is free and on the pool otherwise.
  service_.StartLink(*request, start_writes_,
                     [response, finish](absl::StatusOr<v1::StartLinkResponse> started) {
                       finish(Respond(std::move(started), response));
                     });
  return reactor;
}

grpc::ServerUnaryReactor* LinksGrpc::SendCode(grpc::CallbackServerContext* context,
                                              const v1::SendCodeRequest* request,
                                              v1::SendCodeResponse* response) {
  return RunOnPool(context, pool_, [=]() { return service_.SendCode(*request); });
}

grpc::ServerUnaryReactor* LinksGrpc::ConfirmCode(grpc::CallbackServerContext* context,
                                                 const v1::ConfirmCodeRequest* request,
                                                 v1::ConfirmCodeResponse* response) {
  return RunOnPool(context, pool_,
                   [=]() { return Respond(service_.ConfirmCode(*request), response); });
}

grpc::ServerUnaryReactor* LinksGrpc::ListLinks(grpc::CallbackServerContext* context,
                                               const v1::ListLinksRequest* request,
                                               v1::ListLinksResponse* response) {
  // Every home page makes this short read. When the store is free it runs
  // here, on gRPC's thread, which saves the hand-over to the pool and back.
  // When a sync or another call is using the store, it runs on the pool,
  // so gRPC's threads never wait for the store.
  std::optional<absl::StatusOr<v1::ListLinksResponse>> listed = service_.TryListLinks(*request);
  if (listed.has_value()) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(ToGrpcStatus(Respond(*std::move(listed), response)));
    return reactor;
  }
  return RunOnPool(context, pool_,
                   [=]() { return Respond(service_.ListLinks(*request), response); });
}

grpc::ServerUnaryReactor* LinksGrpc::Unlink(grpc::CallbackServerContext* context,
                                            const v1::UnlinkRequest* request,
                                            v1::UnlinkResponse* response) {
  return RunOnPool(context, pool_, [=]() { return service_.Unlink(*request); });
}

grpc::ServerUnaryReactor* LinksGrpc::GetChild(grpc::CallbackServerContext* context,
                                              const v1::GetChildRequest* request,
                                              v1::Child* response) {
  return RunOnPool(context, pool_,
                   [=]() { return Respond(service_.GetChild(*request), response); });
}

grpc::ServerWriteReactor<parentsportal::changes::v1::AccountsChanged>* LinksGrpc::WatchLinks(
    grpc::CallbackServerContext* context, const parentsportal::changes::v1::WatchRequest* request) {
  if (changes_ != nullptr) return changes_->Subscribe();
  return v1::Links::CallbackService::WatchLinks(context, request);
}

SchoolRecordsGrpc::SchoolRecordsGrpc(SchoolRecordsService& service,
                                     SchoolAuthenticator& authenticator, WorkPool& pool)
    : service_(service), authenticator_(authenticator), pool_(pool) {}

grpc::ServerReadReactor<v1::RosterRecord>* SchoolRecordsGrpc::SyncRoster(
    grpc::CallbackServerContext* context, v1::SyncRosterSummary* summary) {
  return new RosterReactor<v1::RosterRecord>(context, service_, authenticator_, pool_, summary);
}

grpc::ServerReadReactor<v1::RosterRows>* SchoolRecordsGrpc::SyncRosterRows(
    grpc::CallbackServerContext* context, v1::SyncRosterSummary* summary) {
  return new RosterReactor<v1::RosterRows>(context, service_, authenticator_, pool_, summary);
}

absl::StatusOr<std::string> SchoolRecordsGrpc::SchoolOfCaller(const std::string& token,
                                                              const std::string& seed_code) {
  if (seed_code.empty()) return authenticator_.SchoolForToken(token);
  if (absl::Status status = authenticator_.Authorize(token, seed_code); !status.ok()) {
    return status;
  }
  return seed_code;
}

grpc::ServerUnaryReactor* SchoolRecordsGrpc::ListLinkRequests(
    grpc::CallbackServerContext* context, const v1::ListLinkRequestsRequest* request,
    v1::ListLinkRequestsResponse* response) {
  std::string token = BearerToken(*context);
  return RunOnPool(context, pool_, [=]() -> absl::Status {
    absl::StatusOr<std::string> school = SchoolOfCaller(token, request->seed_code());
    if (!school.ok()) return school.status();
    return Respond(service_.ListLinkRequests(*school, *request), response);
  });
}

grpc::ServerUnaryReactor* SchoolRecordsGrpc::DecideLinkRequest(
    grpc::CallbackServerContext* context, const v1::DecideLinkRequestRequest* request,
    v1::LinkRequest* response) {
  std::string token = BearerToken(*context);
  return RunOnPool(context, pool_, [=]() -> absl::Status {
    absl::StatusOr<std::string> school = SchoolOfCaller(token, request->seed_code());
    if (!school.ok()) return school.status();
    return Respond(service_.DecideLinkRequest(*school, *request), response);
  });
}

grpc::ServerUnaryReactor* SchoolRecordsGrpc::RevokeLink(grpc::CallbackServerContext* context,
                                                        const v1::RevokeLinkRequest* request,
                                                        v1::LinkRequest* response) {
  std::string token = BearerToken(*context);
  return RunOnPool(context, pool_, [=]() -> absl::Status {
    absl::StatusOr<std::string> school = SchoolOfCaller(token, request->seed_code());
    if (!school.ok()) return school.status();
    return Respond(service_.RevokeLink(*school, *request), response);
  });
}

grpc::ServerUnaryReactor* SchoolRecordsGrpc::ListMatchFailures(
    grpc::CallbackServerContext* context, const v1::ListMatchFailuresRequest* request,
    v1::ListMatchFailuresResponse* response) {
  std::string token = BearerToken(*context);
  return RunOnPool(context, pool_, [=]() -> absl::Status {
    absl::StatusOr<std::string> school = SchoolOfCaller(token, request->seed_code());
    if (!school.ok()) return school.status();
    return Respond(service_.ListMatchFailures(*school, *request), response);
  });
}

grpc::ServerUnaryReactor* SchoolRecordsGrpc::SetSchoolContact(
    grpc::CallbackServerContext* context, const v1::SetSchoolContactRequest* request,
    v1::SchoolContact* response) {
  std::string token = BearerToken(*context);
  return RunOnPool(context, pool_, [=]() -> absl::Status {
    absl::StatusOr<std::string> school = SchoolOfCaller(token, request->seed_code());
    if (!school.ok()) return school.status();
    return Respond(service_.SetSchoolContact(*school, *request), response);
  });
}

}  // namespace pp::link
