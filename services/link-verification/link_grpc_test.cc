#include "link_grpc.h"

#include <grpcpp/client_context.h>

#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "link_changes.h"
#include "link_store.h"
#include "notification_grpc.h"
#include "notifier.h"
#include "roster_rows/roster_rows_digest.h"
#include "server/server.h"
#include "templates.h"
#include "test_fixture.h"

namespace pp::link {
namespace {

namespace v1 = parentsportal::link::v1;
using testing::KarenForNoah;
using testing::kTayside;

// Keeps what the notification service would deliver.
class CapturingSender : public notification::Sender {
 public:
  absl::Status Deliver(const notification::OutboxMessage& message) override {
    std::lock_guard<std::mutex> lock(mutex_);
    delivered_.push_back(message);
    return absl::OkStatus();
  }
  std::vector<notification::OutboxMessage> delivered() {
    std::lock_guard<std::mutex> lock(mutex_);
    return delivered_;
  }

 private:
  std::mutex mutex_;
  std::vector<notification::OutboxMessage> delivered_;
};

std::unique_ptr<Store> OpenOrFail(const std::string& data_dir) {
  absl::StatusOr<std::unique_ptr<Store>> store = OpenLinkStore(data_dir);
  REQUIRE(store.ok());
  return *std::move(store);
}

std::unique_ptr<Store> OpenWatchedOrFail(const std::string& data_dir, ChangeFeed& changes) {
  std::unique_ptr<Store> store = OpenOrFail(data_dir);
  REQUIRE(AttachLinkChanges(*store, changes).ok());
  return store;
}

std::unique_ptr<notification::NotificationStore> OpenNotificationsOrFail(
    const std::string& data_dir) {
  auto store = notification::NotificationStore::Open(data_dir);
  REQUIRE(store.ok());
  return *std::move(store);
}

std::unique_ptr<grpc::Server> StartOrFail(std::vector<grpc::Service*> services, int* port) {
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      StartGrpcServer({"127.0.0.1:0", std::move(services), nullptr}, port);
  REQUIRE(server.ok());
  return *std::move(server);
}

absl::TimeZone London() {
  absl::TimeZone zone;
  REQUIRE(absl::LoadTimeZone("Europe/London", &zone));
  return zone;
}

// The notification service's own templates, as the binary loads them.
notification::Templates LoadTemplates() {
  absl::StatusOr<notification::Templates> templates =
      notification::Templates::Load(PP_NOTIFICATION_TEMPLATE_DIR, London());
  REQUIRE(templates.ok());
  return *std::move(templates);
}

// The link-verification service and a real notification service, each on
// its own loopback port, wired as in production except for the school token
// check and the message delivery.
struct Servers {
  explicit Servers(absl::Duration start_link_time = absl::ZeroDuration())
      : clock(absl::FromCivil(absl::CivilSecond(2026, 3, 4, 10, 0, 0), absl::UTCTimeZone())),
        metrics(registry),
        link_store(OpenWatchedOrFail(dir.Path("link"), changes)),
        notification_store(OpenNotificationsOrFail(dir.Path("notification"))),
        templates(LoadTemplates()),
        notifications(*notification_store, clock, sender, nullptr, {}, &templates),
        notifications_grpc(notifications, pool),
        notification_server(StartOrFail({&notifications_grpc}, &notification_port)),
        notifier(MakeChannel(absl::StrCat("127.0.0.1:", notification_port))),
        links(*link_store, clock, notifier, school_days, metrics, London(), "test code key"),
        records(*link_store, clock, notifier, school_days, metrics, London()),
        start_writes(*link_store, pool.Submitter()),
        links_grpc(links, pool, start_writes, start_link_time, &changes),
        records_grpc(records, authenticator, pool),
        link_server(StartOrFail({&links_grpc, &records_grpc}, &link_port)),
        channel(MakeChannel(absl::StrCat("127.0.0.1:", link_port))),
        links_stub(v1::Links::NewStub(channel)),
        records_stub(v1::SchoolRecords::NewStub(channel)) {}

  // Sends the rows over SyncRoster with `token` ("" for none).
  grpc::Status SyncRoster(const std::string& token, const std::vector<v1::RosterRecord>& rows,
                          v1::SyncRosterSummary* summary) {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    std::unique_ptr<grpc::ClientWriter<v1::RosterRecord>> writer =
        records_stub->SyncRoster(&context, summary);
    for (const v1::RosterRecord& row : rows) {
      if (!writer->Write(row)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  grpc::Status Decide(const std::string& token, const std::string& request_id,
                      v1::LinkRequest* decided) {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    v1::DecideLinkRequestRequest request;
    request.set_request_id(request_id);
    request.set_decision(v1::DecideLinkRequestRequest::APPROVE);
    request.set_decided_by("Mrs Brown");
    return records_stub->DecideLinkRequest(&context, request, decided);
  }

  grpc::Status ListRequests(const std::string& token, v1::ListLinkRequestsResponse* response,
                            const std::string& seed_code = "") {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    v1::ListLinkRequestsRequest request;
    request.set_state(v1::PENDING);
    request.set_seed_code(seed_code);
    return records_stub->ListLinkRequests(&context, request, response);
  }

  TempDir dir;
  FakeClock clock;
  prometheus::Registry registry;
  LinkMetrics metrics;
  testing::FakeAuthenticator authenticator;
  CapturingSender sender;
  WorkPool pool{4};
  ChangeFeed changes;
  std::unique_ptr<Store> link_store;
  std::unique_ptr<notification::NotificationStore> notification_store;
  notification::Templates templates;
  notification::NotificationService notifications;
  notification::NotificationsGrpc notifications_grpc;
  int notification_port = 0;
  std::unique_ptr<grpc::Server> notification_server;
  GrpcNotifier notifier;
  ScottishWorkingDays school_days;
  LinkService links;
  SchoolRecordsService records;
  GroupedWriter start_writes;
  LinksGrpc links_grpc;
  SchoolRecordsGrpc records_grpc;
  int link_port = 0;
  std::unique_ptr<grpc::Server> link_server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::Links::Stub> links_stub;
  std::unique_ptr<v1::SchoolRecords::Stub> records_stub;
};

TEST_CASE("grpc roster sync needs token") {
  Servers servers;
  v1::SyncRosterSummary summary;

  grpc::Status missing = servers.SyncRoster("", testing::TaysideRows(), &summary);
  CHECK(missing.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status unknown = servers.SyncRoster("stolen-token", testing::TaysideRows(), &summary);
  CHECK(unknown.error_code() == grpc::StatusCode::UNAUTHENTICATED);

  grpc::Status other_school =
      servers.SyncRoster("balhousie-token", testing::TaysideRows(), &summary);
  CHECK(other_school.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(other_school.error_message() ==
        "This token belongs to school 5300028, but every pupil row is for school 5300011, so "
        "nothing was changed. Sync with the token of the school the rows are for.");

  grpc::Status synced = servers.SyncRoster("tayside-token", testing::TaysideRows(), &summary);
  INFO(synced.error_message());
  REQUIRE(synced.ok());
  CHECK(summary.pupils_loaded() == 2);
  CHECK(summary.contacts_loaded() == 4);
  CHECK(summary.errors_size() == 0);
}

TEST_CASE("cancelled roster stream changes nothing") {
  Servers servers;
  v1::SyncRosterSummary summary;
  REQUIRE(servers.SyncRoster("tayside-token", testing::TaysideRows(), &summary).ok());

  // Only Eòin's row is sent before the client gives up.
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(10));
  context.AddMetadata("authorization", "Bearer tayside-token");
  std::unique_ptr<grpc::ClientWriter<v1::RosterRecord>> writer =
      servers.records_stub->SyncRoster(&context, &summary);
  REQUIRE(writer->Write(testing::TaysideRows()[1]));
  context.TryCancel();
  CHECK(writer->Finish().error_code() == grpc::StatusCode::CANCELLED);

  // Noah is still current, so his mother still matches.
  CHECK(servers.links.StartLink(KarenForNoah()).ok());
}

TEST_CASE("grpc roster sync takes many rows a message") {
  Servers servers;
  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  rows[3].mutable_contact()->set_parental_responsibility("maybe");
  // Contacts may come in an earlier message than their pupil.
  v1::RosterRows first;
  for (size_t i = 2; i < rows.size(); ++i) *first.add_records() = rows[i];
  v1::RosterRows second;
  *second.add_records() = rows[0];
  *second.add_records() = rows[1];

  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(10));
  context.AddMetadata("authorization", "Bearer tayside-token");
  v1::SyncRosterSummary summary;
  std::unique_ptr<grpc::ClientWriter<v1::RosterRows>> writer =
      servers.records_stub->SyncRosterRows(&context, &summary);
  REQUIRE(writer->Write(first));
  REQUIRE(writer->Write(second));
  writer->WritesDone();
  grpc::Status synced = writer->Finish();
  INFO(synced.error_message());
  REQUIRE(synced.ok());
  CHECK(summary.pupils_loaded() == 2);
  CHECK(summary.contacts_loaded() == 3);
  REQUIRE(summary.errors_size() == 1);
  CHECK(summary.errors(0).file() == "contacts");
  CHECK(summary.errors(0).row() == rows[3].row());
  CHECK(servers.links.StartLink(KarenForNoah()).ok());
}

// Sends `rows` in one message of SyncRosterRows, with `rows_digest` in it.
grpc::Status SyncRowsWithDigest(Servers& servers, const std::vector<v1::RosterRecord>& rows,
                                const std::string& rows_digest, v1::SyncRosterSummary* summary) {
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(10));
  context.AddMetadata("authorization", "Bearer tayside-token");
  std::unique_ptr<grpc::ClientWriter<v1::RosterRows>> writer =
      servers.records_stub->SyncRosterRows(&context, summary);
  v1::RosterRows message;
  message.set_rows_digest(rows_digest);
  for (const v1::RosterRecord& row : rows) *message.add_records() = row;
  writer->Write(message);
  writer->WritesDone();
  return writer->Finish();
}

TEST_CASE("unchanged roster rows are not read again") {
  Servers servers;
  const std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  const std::string digest = roster_rows::DigestOfRows(rows);
  v1::SyncRosterSummary first;
  REQUIRE(SyncRowsWithDigest(servers, rows, digest, &first).ok());
  CHECK_FALSE(first.matched_last_sync());
  CHECK(first.pupils_added() == 2);

  // With no rows at all, a sync that was read would hold no valid pupil
  // and be rejected, so success shows that the digest decided it.
  v1::SyncRosterSummary again;
  grpc::Status repeated = SyncRowsWithDigest(servers, {}, digest, &again);
  INFO(repeated.error_message());
  REQUIRE(repeated.ok());
  CHECK(again.matched_last_sync());
  CHECK(again.pupils_loaded() == first.pupils_loaded());
  CHECK(again.contacts_loaded() == first.contacts_loaded());
  CHECK(again.pupils_added() == 0);
  CHECK(again.pupils_left() == 0);
  CHECK(servers.links.StartLink(KarenForNoah()).ok());
}

TEST_CASE("roster rows with another digest are read") {
  Servers servers;
  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  v1::SyncRosterSummary first;
  REQUIRE(SyncRowsWithDigest(servers, rows, roster_rows::DigestOfRows(rows), &first).ok());

  rows[0].mutable_pupil()->set_stage("P6");
  v1::SyncRosterSummary changed;
  REQUIRE(SyncRowsWithDigest(servers, rows, roster_rows::DigestOfRows(rows), &changed).ok());
  CHECK_FALSE(changed.matched_last_sync());
  CHECK(changed.pupils_changed() == 1);

  // A client that sends the digest alone learns from the initial metadata
  // that the rows are needed. Without it, the wait would last until the
  // deadline.
  rows[0].mutable_pupil()->set_stage("P7");
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(10));
  context.AddMetadata("authorization", "Bearer tayside-token");
  v1::SyncRosterSummary waited;
  std::unique_ptr<grpc::ClientWriter<v1::RosterRows>> writer =
      servers.records_stub->SyncRosterRows(&context, &waited);
  v1::RosterRows digest_only;
  digest_only.set_rows_digest(roster_rows::DigestOfRows(rows));
  REQUIRE(writer->Write(digest_only));
  writer->WaitForInitialMetadata();
  v1::RosterRows records;
  for (const v1::RosterRecord& row : rows) *records.add_records() = row;
  REQUIRE(writer->Write(records));
  writer->WritesDone();
  REQUIRE(writer->Finish().ok());
  CHECK_FALSE(waited.matched_last_sync());
  CHECK(waited.pupils_changed() == 1);

  // Without a digest the rows are read as before.
  v1::SyncRosterSummary plain;
  REQUIRE(SyncRowsWithDigest(servers, rows, "", &plain).ok());
  CHECK_FALSE(plain.matched_last_sync());
  CHECK(plain.pupils_loaded() == 2);
}

TEST_CASE("roster rows with a rejected row are read again") {
  Servers servers;
  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  rows[3].mutable_contact()->set_parental_responsibility("maybe");
  const std::string digest = roster_rows::DigestOfRows(rows);
  v1::SyncRosterSummary first;
  REQUIRE(SyncRowsWithDigest(servers, rows, digest, &first).ok());
  REQUIRE(first.errors_size() == 1);

  v1::SyncRosterSummary again;
  REQUIRE(SyncRowsWithDigest(servers, rows, digest, &again).ok());
  CHECK_FALSE(again.matched_last_sync());
  CHECK(again.errors_size() == 1);

  // A sync that is read and has no rows changes nothing and is rejected.
  v1::SyncRosterSummary empty;
  CHECK(SyncRowsWithDigest(servers, {}, digest, &empty).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("grpc roster rows need token") {
  Servers servers;
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(10));
  context.AddMetadata("authorization", "Bearer stolen-token");
  v1::SyncRosterSummary summary;
  std::unique_ptr<grpc::ClientWriter<v1::RosterRows>> writer =
      servers.records_stub->SyncRosterRows(&context, &summary);
  v1::RosterRows rows;
  for (const v1::RosterRecord& row : testing::TaysideRows()) *rows.add_records() = row;
  writer->Write(rows);
  writer->WritesDone();
  CHECK(writer->Finish().error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(servers.links.StartLink(KarenForNoah()).status().code() == absl::StatusCode::kNotFound);
}

// Starts linking over gRPC and returns the status, with the time it took.
grpc::Status TimedStart(Servers& servers, const v1::StartLinkRequest& request,
                        v1::StartLinkResponse* response, absl::Duration* took) {
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(10));
  const absl::Time start = absl::Now();
  grpc::Status status = servers.links_stub->StartLink(&context, request, response);
  *took = absl::Now() - start;
  return status;
}

TEST_CASE("every start link takes the same time") {
  const absl::Duration answer_time = absl::Milliseconds(300);
  Servers servers(answer_time);
  v1::SyncRosterSummary summary;
  REQUIRE(servers.SyncRoster("tayside-token", testing::TaysideRows(), &summary).ok());

  struct Case {
    const char* name;
    v1::StartLinkRequest request;
    grpc::StatusCode code;
  };
  v1::StartLinkRequest wrong_child = KarenForNoah("acc-1");
  wrong_child.set_child_forename("Noel");
  v1::StartLinkRequest unknown_parent = KarenForNoah("acc-2");
  unknown_parent.mutable_parent()->set_surname("Nobody");
  v1::StartLinkRequest grandmother = KarenForNoah("acc-3");
  grandmother.mutable_parent()->set_forename("Gillian");
  grandmother.mutable_parent()->set_surname("MacDonald");
  const Case cases[] = {
      {"wrong child forename", wrong_child, grpc::StatusCode::NOT_FOUND},
      {"parent on no roster", unknown_parent, grpc::StatusCode::NOT_FOUND},
      {"contact without parental responsibility", grandmother, grpc::StatusCode::NOT_FOUND},
      {"match", KarenForNoah("acc-4"), grpc::StatusCode::OK},
  };
  for (const Case& test : cases) {
    INFO(test.name);
    v1::StartLinkResponse response;
    absl::Duration took;
    grpc::Status status = TimedStart(servers, test.request, &response, &took);
    CHECK(status.error_code() == test.code);
    if (!status.ok()) CHECK(status.error_message() == kNoMatchMessage);
    CHECK(took >= answer_time);
    // The upper bound leaves room for a loaded machine. What matters is
    // that no outcome returns early.
    CHECK(took < answer_time + absl::Milliseconds(250));
  }
}

TEST_CASE("start link waits for a busy store") {
  Servers servers;
  v1::SyncRosterSummary summary;
  REQUIRE(servers.SyncRoster("tayside-token", testing::TaysideRows(), &summary).ok());

  // A write keeps the store busy while the call arrives, so the call cannot
  // run on gRPC's thread and must run on the pool once the store is free.
  grpc::Status status;
  v1::StartLinkResponse response;
  absl::Duration took;
  std::thread caller;
  REQUIRE(servers.link_store
              ->Write([&](Tx&) {
                caller = std::thread([&] {
                  status = TimedStart(servers, KarenForNoah("acc-busy"), &response, &took);
                });
                absl::SleepFor(absl::Milliseconds(200));
                return absl::OkStatus();
              })
              .ok());
  caller.join();
  INFO(status.error_message());
  CHECK(status.ok());
  CHECK_FALSE(response.attempt_id().empty());
  CHECK(took >= absl::Milliseconds(150));
}

// Runs step 1 and step 2 over gRPC for `start` and returns the request id.
std::string FileRequestOverGrpc(Servers& servers, const v1::StartLinkRequest& start) {
  const std::string& account_id = start.parent().account_id();
  v1::StartLinkResponse started;
  absl::Duration took;
  grpc::Status status = TimedStart(servers, start, &started, &took);
  INFO(status.error_message());
  REQUIRE(status.ok());
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    v1::SendCodeRequest request;
    request.set_account_id(account_id);
    request.set_attempt_id(started.attempt_id());
    request.set_channel("email");
    v1::SendCodeResponse response;
    REQUIRE(servers.links_stub->SendCode(&context, request, &response).ok());
  }
  // Another parent's earlier "request sent" email may be delivered too.
  REQUIRE(*servers.notifications.DeliverDue() >= 1);
  std::string code;
  for (const notification::OutboxMessage& message : servers.sender.delivered()) {
    if (message.kind == notification::MessageKind::kSecurityCode) {
      code = testing::CodeFromBody(message.body);
    }
  }
  REQUIRE(code.size() == 6);
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(10));
  v1::ConfirmCodeRequest request;
  request.set_account_id(account_id);
  request.set_attempt_id(started.attempt_id());
  request.set_code(code);
  v1::ConfirmCodeResponse confirmed;
  REQUIRE(servers.links_stub->ConfirmCode(&context, request, &confirmed).ok());
  return confirmed.request_id();
}

TEST_CASE("start links that arrive together each get their own answer") {
  Servers servers;
  v1::SyncRosterSummary summary;
  REQUIRE(servers.SyncRoster("tayside-token", testing::TaysideRows(), &summary).ok());

  // Twelve calls from one account arrive while the store is busy, so they
  // queue and run together: eight matching and four with the wrong child.
  constexpr int kCalls = 12;
  std::vector<grpc::Status> statuses(kCalls);
  std::vector<v1::StartLinkResponse> responses(kCalls);
  std::vector<std::thread> callers;
  REQUIRE(servers.link_store
              ->Write([&](Tx&) {
                for (int i = 0; i < kCalls; ++i) {
                  callers.emplace_back([&, i] {
                    v1::StartLinkRequest request = KarenForNoah("acc-together");
                    if (i % 3 == 2) request.set_child_forename("Noel");
                    grpc::ClientContext context;
                    SetDeadline(context, absl::Seconds(10));
                    statuses[i] = servers.links_stub->StartLink(&context, request, &responses[i]);
                  });
                }
                absl::SleepFor(absl::Milliseconds(200));
                return absl::OkStatus();
              })
              .ok());
  for (std::thread& caller : callers) caller.join();

  // The daily limit counts every call, whichever transaction ran it.
  int matched = 0;
  int not_matched = 0;
  int limited = 0;
  std::set<std::string> attempt_ids;
  for (int i = 0; i < kCalls; ++i) {
    INFO(i << ": " << statuses[i].error_message());
    switch (statuses[i].error_code()) {
      case grpc::StatusCode::OK:
        CHECK(i % 3 != 2);
        attempt_ids.insert(responses[i].attempt_id());
        ++matched;
        break;
      case grpc::StatusCode::NOT_FOUND:
        CHECK(i % 3 == 2);
        ++not_matched;
        break;
      case grpc::StatusCode::RESOURCE_EXHAUSTED:
        ++limited;
        break;
      default:
        FAIL("unexpected status");
    }
  }
  CHECK(limited == kCalls - LinkService::kMaxStartsPerDay);
  CHECK(matched + not_matched == LinkService::kMaxStartsPerDay);
  CHECK(static_cast<int>(attempt_ids.size()) == matched);
  CHECK(attempt_ids.count("") == 0);
}

TEST_CASE("separated parents each link and a grandparent is refused") {
  Servers servers;
  v1::SyncRosterSummary summary;
  REQUIRE(servers.SyncRoster("tayside-token", testing::TaysideRows(), &summary).ok());

  // Noah's mother at his address and his father at his own.
  v1::StartLinkRequest david = KarenForNoah("acc-david");
  david.mutable_parent()->set_forename("David");
  david.mutable_parent()->set_surname("McDonald");
  david.mutable_parent()->set_email("david@example.net");
  david.mutable_parent()->set_postcode("PH3 1YY");
  std::string karen_request = FileRequestOverGrpc(servers, KarenForNoah("acc-karen"));
  std::string david_request = FileRequestOverGrpc(servers, david);
  CHECK(karen_request != david_request);
  v1::LinkRequest decided;
  REQUIRE(servers.Decide("tayside-token", karen_request, &decided).ok());
  REQUIRE(servers.Decide("tayside-token", david_request, &decided).ok());

  std::vector<std::string> child_ids;
  for (const char* account : {"acc-karen", "acc-david"}) {
    INFO(account);
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    v1::ListLinksRequest request;
    request.set_account_id(account);
    v1::ListLinksResponse links;
    REQUIRE(servers.links_stub->ListLinks(&context, request, &links).ok());
    REQUIRE(links.children_size() == 1);
    CHECK(links.children(0).forename() == "Noah");
    child_ids.push_back(links.children(0).child_id());
  }
  CHECK(child_ids[0] != child_ids[1]);

  // Noah's grandmother is a contact without parental responsibility.
  v1::StartLinkRequest grandmother = KarenForNoah("acc-gillian");
  grandmother.mutable_parent()->set_forename("Gillian");
  grandmother.mutable_parent()->set_surname("MacDonald");
  v1::StartLinkResponse response;
  absl::Duration took;
  grpc::Status rejected = TimedStart(servers, grandmother, &response, &took);
  CHECK(rejected.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(rejected.error_message() == kNoMatchMessage);
}

// Reads the watch stream until a message names `account_id`, or fails.
bool ReadChangeOf(grpc::ClientReader<parentsportal::changes::v1::AccountsChanged>& reader,
                  const std::string& account_id) {
  parentsportal::changes::v1::AccountsChanged change;
  while (reader.Read(&change)) {
    for (const std::string& changed : change.account_ids()) {
      if (changed == account_id) return true;
    }
  }
  return false;
}

TEST_CASE("watch stream names changed accounts") {
  Servers servers;
  v1::SyncRosterSummary summary;
  REQUIRE(servers.SyncRoster("tayside-token", testing::TaysideRows(), &summary).ok());

  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(20));
  std::unique_ptr<grpc::ClientReader<parentsportal::changes::v1::AccountsChanged>> reader =
      servers.links_stub->WatchLinks(&context, parentsportal::changes::v1::WatchRequest());
  parentsportal::changes::v1::AccountsChanged first;
  REQUIRE(reader->Read(&first));
  CHECK(first.all_accounts());

  // Karen files a request: her home page must show it.
  std::string request_id = FileRequestOverGrpc(servers, KarenForNoah("acc-karen"));
  CHECK(ReadChangeOf(*reader, "acc-karen"));
  {
    grpc::ClientContext list_context;
    SetDeadline(list_context, absl::Seconds(10));
    v1::ListLinksRequest request;
    request.set_account_id("acc-karen");
    v1::ListLinksResponse links;
    REQUIRE(servers.links_stub->ListLinks(&list_context, request, &links).ok());
    REQUIRE(links.requests_size() == 1);
    // The second after the school's deadline, when the request shows as expired.
    CHECK(links.changes_at() == "2026-03-12T00:00:00+00:00");
  }

  v1::LinkRequest decided;
  REQUIRE(servers.Decide("tayside-token", request_id, &decided).ok());
  CHECK(ReadChangeOf(*reader, "acc-karen"));

  // Noah moves up a stage in the school's records.
  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  rows[0].mutable_pupil()->set_stage("P4");
  REQUIRE(servers.SyncRoster("tayside-token", rows, &summary).ok());
  CHECK(ReadChangeOf(*reader, "acc-karen"));
  CHECK(servers.changes.Streams() == 1);

  // Another connection's commit, as an operator's sqlite3 would make, is
  // reported as every account at the service's next transaction.
  {
    std::unique_ptr<Store> outside = OpenOrFail(servers.dir.Path("link"));
    REQUIRE(outside->Write([](Tx& tx) { return tx.Exec("UPDATE pupils SET stage = 'P5'"); }).ok());
  }
  {
    grpc::ClientContext list_context;
    SetDeadline(list_context, absl::Seconds(10));
    v1::ListLinksRequest request;
    request.set_account_id("acc-david");
    v1::ListLinksResponse links;
    REQUIRE(servers.links_stub->ListLinks(&list_context, request, &links).ok());
  }
  parentsportal::changes::v1::AccountsChanged outside_change;
  bool all_reported = false;
  while (!all_reported && reader->Read(&outside_change)) {
    all_reported = outside_change.all_accounts();
  }
  CHECK(all_reported);

  context.TryCancel();
  parentsportal::changes::v1::AccountsChanged rest;
  while (reader->Read(&rest)) {
  }
  reader->Finish().IgnoreError();
}

TEST_CASE("parent and school journey over grpc") {
  Servers servers;
  v1::SyncRosterSummary summary;
  REQUIRE(servers.SyncRoster("tayside-token", testing::TaysideRows(), &summary).ok());

  v1::StartLinkResponse started;
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    grpc::Status status = servers.links_stub->StartLink(&context, KarenForNoah(), &started);
    REQUIRE(status.ok());
  }
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    v1::StartLinkRequest wrong = KarenForNoah();
    wrong.set_child_date_of_birth("2020-10-02");
    v1::StartLinkResponse response;
    grpc::Status status = servers.links_stub->StartLink(&context, wrong, &response);
    CHECK(status.error_code() == grpc::StatusCode::NOT_FOUND);
    CHECK(status.error_message() == kNoMatchMessage);
  }
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    v1::SendCodeRequest request;
    request.set_account_id("acc-karen");
    request.set_attempt_id(started.attempt_id());
    request.set_channel("sms");
    v1::SendCodeResponse response;
    grpc::Status status = servers.links_stub->SendCode(&context, request, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
  }
  // Notification stores the text and delivers it in the background; here
  // the test delivers it.
  REQUIRE(*servers.notifications.DeliverDue() == 1);
  std::vector<notification::OutboxMessage> delivered = servers.sender.delivered();
  REQUIRE(delivered.size() == 1);
  CHECK(delivered[0].recipient == "+447294053474");
  std::string code = testing::CodeFromBody(delivered[0].body);
  REQUIRE(code.size() == 6);

  v1::ConfirmCodeResponse confirmed;
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    v1::ConfirmCodeRequest request;
    request.set_account_id("acc-karen");
    request.set_attempt_id(started.attempt_id());
    request.set_code(code);
    REQUIRE(servers.links_stub->ConfirmCode(&context, request, &confirmed).ok());
  }

  v1::ListLinkRequestsResponse listed;
  REQUIRE(servers.ListRequests("tayside-token", &listed).ok());
  REQUIRE(listed.requests_size() == 1);
  CHECK(listed.requests(0).request_id() == confirmed.request_id());
  CHECK(listed.requests(0).decide_by() == "2026-03-11T23:59:59+00:00");
  v1::ListLinkRequestsResponse others;
  REQUIRE(servers.ListRequests("balhousie-token", &others).ok());
  CHECK(others.requests_size() == 0);
  CHECK(servers.ListRequests("", &others).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(servers.ListRequests("tayside-token", &others, "5300028").error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  REQUIRE(servers.ListRequests("tayside-token", &others, "5300011").ok());
  CHECK(others.requests_size() == 1);

  v1::LinkRequest decided;
  CHECK(servers.Decide("", confirmed.request_id(), &decided).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
  CHECK(servers.Decide("balhousie-token", confirmed.request_id(), &decided).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  REQUIRE(servers.Decide("tayside-token", confirmed.request_id(), &decided).ok());
  CHECK(decided.state() == v1::APPROVED);
  CHECK(servers.Decide("tayside-token", confirmed.request_id(), &decided).error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);

  v1::ListLinksResponse links;
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    v1::ListLinksRequest request;
    request.set_account_id("acc-karen");
    REQUIRE(servers.links_stub->ListLinks(&context, request, &links).ok());
  }
  REQUIRE(links.children_size() == 1);
  v1::Child child;
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    v1::GetChildRequest request;
    request.set_account_id("acc-karen");
    request.set_child_id(links.children(0).child_id());
    REQUIRE(servers.links_stub->GetChild(&context, request, &child).ok());
  }
  CHECK(child.forename() == "Noah");
  CHECK(child.school_name() == "Tayside Primary School");

  // The real notification service took both messages for Karen's account,
  // so their template data is complete. The code is not among them.
  absl::StatusOr<std::vector<notification::MessageStatus>> history =
      servers.notifications.ListMessages("acc-karen", 10);
  REQUIRE(history.ok());
  REQUIRE(history->size() == 2);
  CHECK((*history)[0].kind == notification::MessageKind::kLinkApproved);
  CHECK((*history)[0].recipient == "karen@example.net");
  CHECK((*history)[1].kind == notification::MessageKind::kLinkRequested);
  CHECK((*history)[1].recipient == "karen@example.net");
}

TEST_CASE("long contact name still gets a code") {
  Servers servers;
  // Each name is within the roster's 200 bytes, but together they are
  // longer than a template value may be.
  const std::string forename(150, 'A');
  const std::string surname(150, 'B');
  std::vector<v1::RosterRecord> rows = {
      testing::PupilRow(2, kTayside, "0700000001", "Noah", "McDonald", "01/10/2020", "P3",
                        "PH3 2QY"),
      testing::ContactRow(2, kTayside, "0700000001", "C00000001", forename, surname, "Y",
                          "long.name@example.com", "", "PH3 2QY"),
  };
  v1::SyncRosterSummary summary;
  REQUIRE(servers.SyncRoster("tayside-token", rows, &summary).ok());
  REQUIRE(summary.contacts_loaded() == 1);

  v1::StartLinkRequest start = KarenForNoah("acc-long");
  start.mutable_parent()->set_forename(forename);
  start.mutable_parent()->set_surname(surname);
  v1::StartLinkResponse started;
  absl::Duration took;
  REQUIRE(TimedStart(servers, start, &started, &took).ok());
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(10));
  v1::SendCodeRequest request;
  request.set_account_id("acc-long");
  request.set_attempt_id(started.attempt_id());
  request.set_channel("email");
  v1::SendCodeResponse response;
  grpc::Status sent = servers.links_stub->SendCode(&context, request, &response);
  INFO(sent.error_message());
  CHECK(sent.ok());
}

TEST_CASE("school sets only its own contact") {
  Servers servers;
  auto set_contact = [&](const std::string& token, const std::string& seed_code,
                         v1::SchoolContact* stored) {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    v1::SetSchoolContactRequest request;
    request.set_email("office@tayside.example");
    request.set_seed_code(seed_code);
    return servers.records_stub->SetSchoolContact(&context, request, stored);
  };
  v1::SchoolContact stored;
  CHECK(set_contact("", "", &stored).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(set_contact("balhousie-token", kTayside, &stored).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  REQUIRE(set_contact("tayside-token", "", &stored).ok());
  CHECK(stored.seed_code() == kTayside);
  CHECK(stored.email() == "office@tayside.example");
  CHECK(stored.updated_at() == "2026-03-04T10:00:00+00:00");
}

TEST_CASE("notification service down is unavailable") {
  // A port that was just bound and released has no server listening.
  int port = 0;
  {
    std::unique_ptr<grpc::Server> server = StartOrFail({}, &port);
    server->Shutdown();
  }
  GrpcNotifier notifier(MakeChannel(absl::StrCat("127.0.0.1:", port)));
  parentsportal::notification::v1::SendRequest message;
  message.set_channel(parentsportal::notification::v1::EMAIL);
  message.set_to("karen@example.com");
  message.set_body("Security code: 123456");
  message.set_idempotency_key("link-code/test/1");
  absl::Status status = notifier.Send(message);
  CHECK(status.code() == absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace pp::link
