// The gRPC wiring of parentsportal.notification.v1.Notifications: converts
// messages and runs the logic on a work pool.
#ifndef PP_SERVICES_NOTIFICATION_NOTIFICATION_GRPC_H_
#define PP_SERVICES_NOTIFICATION_NOTIFICATION_GRPC_H_

#include "notification_service.h"
#include "parentsportal/notification.grpc.pb.h"
#include "server/work_pool.h"

namespace pp::notification {

class NotificationsGrpc final
    : public parentsportal::notification::v1::Notifications::CallbackService {
 public:
  NotificationsGrpc(NotificationService& service, WorkPool& pool)
      : service_(service), pool_(pool) {}

  grpc::ServerUnaryReactor* Send(grpc::CallbackServerContext* context,
                                 const parentsportal::notification::v1::SendRequest* request,
                                 parentsportal::notification::v1::SendResponse* response) override;
  grpc::ServerUnaryReactor* GetMessage(
      grpc::CallbackServerContext* context,
      const parentsportal::notification::v1::GetMessageRequest* request,
      parentsportal::notification::v1::Message* response) override;
  grpc::ServerUnaryReactor* RecordReceipt(
      grpc::CallbackServerContext* context,
      const parentsportal::notification::v1::RecordReceiptRequest* request,
      parentsportal::notification::v1::Message* response) override;
  grpc::ServerUnaryReactor* ListMessages(
      grpc::CallbackServerContext* context,
      const parentsportal::notification::v1::ListMessagesRequest* request,
      parentsportal::notification::v1::ListMessagesResponse* response) override;
  grpc::ServerUnaryReactor* GetPreferences(
      grpc::CallbackServerContext* context,
      const parentsportal::notification::v1::GetPreferencesRequest* request,
      parentsportal::notification::v1::Preferences* response) override;
  grpc::ServerUnaryReactor* SetPreferences(
      grpc::CallbackServerContext* context,
      const parentsportal::notification::v1::Preferences* request,
      parentsportal::notification::v1::Preferences* response) override;

 private:
  NotificationService& service_;
  WorkPool& pool_;
};

}  // namespace pp::notification

#endif  // PP_SERVICES_NOTIFICATION_NOTIFICATION_GRPC_H_
