// Payments pages: the hand-off form and the parent's receipts.
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gateway/pages.h"

namespace pp::gateway {
namespace {

std::string ServiceName(const std::string& service) {
  if (service == "school-meals") return "School meals";
  if (service == "trips") return "Trips";
  return service;
}

// Describes where a hand-off ended, for the receipts table.
std::string Outcome(const payments::HandoffStatus& receipt) {
  switch (receipt.state()) {
    case payments::COMPLETED:
      return absl::StrCat("Completed (", receipt.outcome(), ") at ",
                          UkTime(receipt.completed_at()));
    case payments::EXPIRED:
      return "Expired without completing";
    default:
      return "In progress";
  }
}

}  // namespace

std::string PaymentHandoffPage(const PageContext& context, const std::string& provider_url,
                               const std::string& token, const std::string& provider_name) {
  TemplateData data;
  data.set("provider", provider_name.empty() ? "the school's payment provider" : provider_name);
  data.set("provider_url", provider_url);
  data.set("token", token);
  return RenderPage(context, "payment_handoff", "Payments", std::move(data), nullptr, "handoff.js");
}

std::string PaymentReceiptsPage(const PageContext& context,
                                const std::vector<payments::HandoffStatus>& receipts) {
  TemplateData data;
  TemplateList rows;
  for (const payments::HandoffStatus& receipt : receipts) {
    TemplateData row;
    row.set("provider", receipt.provider_name());
    row.set("service", ServiceName(receipt.service()));
    row.set("created_at", UkTime(receipt.created_at()));
    row.set("outcome", Outcome(receipt));
    row.set("deleted_at",
            receipt.data_deleted_at().empty() ? "Not yet" : UkTime(receipt.data_deleted_at()));
    rows.push_back(row);
  }
  data.set("has_receipts", !receipts.empty());
  data.set("receipts", rows);
  return RenderPage(context, "payment_receipts", "Payments", std::move(data));
}

}  // namespace pp::gateway
