// gRPC wiring of parentsportal.link.v1.Links and SchoolRecords: each call's
// blocking work runs on a WorkPool, never on a gRPC callback thread.
#ifndef PP_LINK_LINK_GRPC_H_
#define PP_LINK_LINK_GRPC_H_

#include "link_service.h"
#include "parentsportal/link.grpc.pb.h"
#include "school_auth/school_auth.h"
#include "school_records_service.h"
#include "server/work_pool.h"
#include "store/grouped_writer.h"
#include "watch/change_feed.h"

namespace pp::link {

class LinksGrpc final : public parentsportal::link::v1::Links::CallbackService {
 public:
  // All three must outlive the server this service is registered with.
  // StartLink's transactions go through `start_writes`, grouped. Every
  // StartLink that passes the format checks is answered `start_link_time`
  // after it arrived, whatever its outcome, so that the time does not tell
  // which detail was wrong or whether anything matched. The wait holds no
  // thread. An answer that took longer than that is sent when ready.
  // WatchLinks streams from `changes` when given (it must outlive the
  // server too), and is UNIMPLEMENTED without it.
  LinksGrpc(LinkService& service, WorkPool& pool, GroupedWriter& start_writes,
            absl::Duration start_link_time, ChangeFeed* changes = nullptr);

  grpc::ServerUnaryReactor* StartLink(
      grpc::CallbackServerContext* context,
      const parentsportal::link::v1::StartLinkRequest* request,
      parentsportal::link::v1::StartLinkResponse* response) override;
  grpc::ServerUnaryReactor* SendCode(grpc::CallbackServerContext* context,
                                     const parentsportal::link::v1::SendCodeRequest* request,
                                     parentsportal::link::v1::SendCodeResponse* response) override;
  grpc::ServerUnaryReactor* ConfirmCode(
      grpc::CallbackServerContext* context,
      const parentsportal::link::v1::ConfirmCodeRequest* request,
      parentsportal::link::v1::ConfirmCodeResponse* response) override;
  grpc::ServerUnaryReactor* ListLinks(
      grpc::CallbackServerContext* context,
      const parentsportal::link::v1::ListLinksRequest* request,
      parentsportal::link::v1::ListLinksResponse* response) override;
  grpc::ServerUnaryReactor* GetChild(grpc::CallbackServerContext* context,
                                     const parentsportal::link::v1::GetChildRequest* request,
                                     parentsportal::link::v1::Child* response) override;
  grpc::ServerUnaryReactor* Unlink(grpc::CallbackServerContext* context,
                                   const parentsportal::link::v1::UnlinkRequest* request,
                                   parentsportal::link::v1::UnlinkResponse* response) override;
  grpc::ServerWriteReactor<parentsportal::changes::v1::AccountsChanged>* WatchLinks(
      grpc::CallbackServerContext* context,
      const parentsportal::changes::v1::WatchRequest* request) override;

 private:
  LinkService& service_;
  WorkPool& pool_;
  GroupedWriter& start_writes_;
  const absl::Duration start_link_time_;
  ChangeFeed* const changes_;
};

// Every call authenticates the `authorization: Bearer TOKEN` metadata and
// acts for the token's school: UNAUTHENTICATED without a known token.
class SchoolRecordsGrpc final : public parentsportal::link::v1::SchoolRecords::CallbackService {
 public:
  // All three must outlive the server this service is registered with.
  SchoolRecordsGrpc(SchoolRecordsService& service, SchoolAuthenticator& authenticator,
                    WorkPool& pool);

  // Reads the whole stream, then applies it. A stream that the client
  // cancels, or that breaks, changes nothing.
  grpc::ServerReadReactor<parentsportal::link::v1::RosterRecord>* SyncRoster(
      grpc::CallbackServerContext* context,
      parentsportal::link::v1::SyncRosterSummary* summary) override;
  // The same, with many rows in each message.
  grpc::ServerReadReactor<parentsportal::link::v1::RosterRows>* SyncRosterRows(
      grpc::CallbackServerContext* context,
      parentsportal::link::v1::SyncRosterSummary* summary) override;
  grpc::ServerUnaryReactor* ListLinkRequests(
      grpc::CallbackServerContext* context,
      const parentsportal::link::v1::ListLinkRequestsRequest* request,
      parentsportal::link::v1::ListLinkRequestsResponse* response) override;
  grpc::ServerUnaryReactor* DecideLinkRequest(
      grpc::CallbackServerContext* context,
      const parentsportal::link::v1::DecideLinkRequestRequest* request,
      parentsportal::link::v1::LinkRequest* response) override;
  grpc::ServerUnaryReactor* RevokeLink(grpc::CallbackServerContext* context,
                                       const parentsportal::link::v1::RevokeLinkRequest* request,
                                       parentsportal::link::v1::LinkRequest* response) override;
  grpc::ServerUnaryReactor* ListMatchFailures(
      grpc::CallbackServerContext* context,
      const parentsportal::link::v1::ListMatchFailuresRequest* request,
      parentsportal::link::v1::ListMatchFailuresResponse* response) override;
  grpc::ServerUnaryReactor* SetSchoolContact(
      grpc::CallbackServerContext* context,
      const parentsportal::link::v1::SetSchoolContactRequest* request,
      parentsportal::link::v1::SchoolContact* response) override;

 private:
  // Returns the school the token belongs to. When the request names a
  // school, the token must belong to it (PermissionDenied otherwise).
  absl::StatusOr<std::string> SchoolOfCaller(const std::string& token,
                                             const std::string& seed_code);

  SchoolRecordsService& service_;
  SchoolAuthenticator& authenticator_;
  WorkPool& pool_;
};

}  // namespace pp::link

#endif  // PP_LINK_LINK_GRPC_H_
