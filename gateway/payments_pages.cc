// Payments pages: the hand-off form and the parent's receipts.
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
      return absl::StrCat("Completed (", receipt.outcome(), ") at ", receipt.completed_at());
    case payments::EXPIRED:
      return "Expired without completing";
    default:
      return "In progress";
  }
}

}  // namespace

std::string PaymentHandoffPage(const PageContext& context, const std::string& provider_url,
                               const std::string& token, const std::string& provider_name) {
  std::string to = provider_name.empty() ? "the school's payment provider" : provider_name;
  return Layout(context, "Payments",
                absl::StrCat("<p>Taking you to ", Escape(to),
                             ". You will not need to sign in again there.</p>\n"
                             "<form id=\"handoff\" method=\"post\" action=\"",
                             Escape(provider_url),
                             "\"><input type=\"hidden\" name=\"token\" value=\"", Escape(token),
                             "\"><button type=\"submit\">Continue to the payment provider</button>"
                             "</form>\n<script src=\"/assets/handoff.js\"></script>\n"));
}

std::string PaymentReceiptsPage(const PageContext& context,
                                const std::vector<payments::HandoffStatus>& receipts) {
  if (receipts.empty()) {
    return Layout(context, "Payments",
                  "<p>You have not been handed off to a payment provider.</p>\n");
  }
  std::string body =
      "<p>Each time you went to a payment provider, Parents Portal sent it only your child's "
      "school reference and a code for you, and deleted them when the payment finished or after "
      "30 minutes.</p>\n<table>\n<thead><tr><th scope=\"col\">Provider</th><th scope=\"col\">"
      "Service</th><th scope=\"col\">Handed off at</th><th scope=\"col\">Outcome</th>"
      "<th scope=\"col\">Data deleted at</th></tr></thead>\n<tbody>\n";
  for (const payments::HandoffStatus& receipt : receipts) {
    std::string deleted = receipt.data_deleted_at().empty() ? "Not yet" : receipt.data_deleted_at();
    absl::StrAppend(&body, "<tr><td>", Escape(receipt.provider_name()), "</td><td>",
                    Escape(ServiceName(receipt.service())), "</td><td>",
                    Escape(receipt.created_at()), "</td><td>", Escape(Outcome(receipt)),
                    "</td><td>", Escape(deleted), "</td></tr>\n");
  }
  absl::StrAppend(&body, "</tbody>\n</table>\n");
  return Layout(context, "Payments", body);
}

absl::string_view HandoffScript() { return "document.getElementById(\"handoff\").submit();\n"; }

}  // namespace pp::gateway
