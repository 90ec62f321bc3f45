#include "gateway/change_watch.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "log/log.h"

namespace pp::gateway {

namespace {
constexpr std::chrono::milliseconds kFirstRetry(500);
constexpr std::chrono::milliseconds kLongestRetry(10000);
}  // namespace

ChangeWatch::ChangeWatch(std::string service, Open open, OnLive on_live, OnChange on_change)
    : service_(std::move(service)),
      open_(std::move(open)),
      on_live_(std::move(on_live)),
      on_change_(std::move(on_change)) {
  thread_ = std::thread([this] { Run(); });
}

ChangeWatch::~ChangeWatch() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }
  stop_requested_.notify_all();
  thread_.join();
}

void ChangeWatch::Run() {
  std::chrono::milliseconds retry = kFirstRetry;
  for (;;) {
    grpc::ClientContext context;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      context_ = &context;
    }
    std::unique_ptr<Reader> reader = open_(&context);
    parentsportal::changes::v1::AccountsChanged change;
    bool live = false;
    while (reader->Read(&change)) {
      if (!live) {
        live = true;
        on_live_(true);
        retry = kFirstRetry;
        log::Info("watch_started").Field("service", service_);
      }
      on_change_(change);
    }
    if (live) on_live_(false);
    grpc::Status status = reader->Finish();

    std::unique_lock<std::mutex> lock(mutex_);
    context_ = nullptr;
    if (stopping_) return;
    // A service that stops ends the stream with OK, which is no fault.
    if (status.ok()) {
      log::Info("watch_ended")
          .Field("service", service_)
          .Field("retry_ms", static_cast<int64_t>(retry.count()));
    } else {
      log::Warning("watch_failed")
          .Field("service", service_)
          .Field("code", static_cast<int64_t>(status.error_code()))
          .Field("error", status.error_message())
          .Field("retry_ms", static_cast<int64_t>(retry.count()));
    }
    stop_requested_.wait_for(lock, retry, [this] { return stopping_; });
    retry = std::min(retry * 2, kLongestRetry);
  }
}

}  // namespace pp::gateway
