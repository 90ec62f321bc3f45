// Shared pieces of the service's tests: fakes behind the real interfaces, a
// store in a temporary folder, a fake clock and a small two-school roster.
#ifndef PP_LINK_TEST_FIXTURE_H_
#define PP_LINK_TEST_FIXTURE_H_

#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "clock/clock.h"
#include "link_metrics.h"
#include "link_service.h"
#include "notifier.h"
#include "parentsportal/link.pb.h"
#include "school_auth/school_auth.h"
#include "school_records_service.h"
#include "store/store.h"
#include "testing/temp_dir.h"

namespace pp::link::testing {

inline constexpr char kTayside[] = "5300011";
inline constexpr char kBalhousie[] = "5300028";

// Keeps every message instead of sending it; fails with `failure` when set.
class FakeNotifier : public Notifier {
 public:
  absl::Status Send(const parentsportal::notification::v1::SendRequest& message) override;

  std::vector<parentsportal::notification::v1::SendRequest> sent() const;
  void set_failure(absl::Status failure);

 private:
  mutable std::mutex mutex_;
  std::vector<parentsportal::notification::v1::SendRequest> sent_;
  absl::Status failure_;
};

// Knows the tokens "tayside-token" and "balhousie-token".
class FakeAuthenticator : public SchoolAuthenticator {
 public:
  absl::StatusOr<std::string> SchoolForToken(std::string_view token) override;
};

// Returns the code from a delivered message's "Security code: NNNNNN" line
// (either case), or "".
std::string CodeFromBody(const std::string& body);

// Returns the code a SECURITY_CODE request carries, or "" for another kind.
std::string CodeFromMessage(const parentsportal::notification::v1::SendRequest& message);

parentsportal::link::v1::RosterRecord PupilRow(
    int row, const std::string& seed_code, const std::string& pupil_ref,
    const std::string& forename, const std::string& surname, const std::string& date_of_birth,
    const std::string& stage, const std::string& postcode,
    const std::string& preferred_forename = "");

parentsportal::link::v1::RosterRecord ContactRow(
    int row, const std::string& seed_code, const std::string& pupil_ref,
    const std::string& contact_ref, const std::string& forename, const std::string& surname,
    const std::string& parental_responsibility, const std::string& email, const std::string& mobile,
    const std::string& postcode);

// The Tayside rows: Noah McDonald (mother Karen Taylor at his address with
// email and mobile, father David McDonald at another address with email
// only, grandmother without parental responsibility) and Eòin O'Neill
// (mother Siobhán O'Neill, mobile only).
std::vector<parentsportal::link::v1::RosterRecord> TaysideRows();

// The Balhousie rows: Robert "Rab" Campbell (mother Màiri Campbell with
// email, father Fraser Campbell with neither email nor mobile).
std::vector<parentsportal::link::v1::RosterRecord> BalhousieRows();

// Karen Taylor asking for Noah McDonald, with every detail right.
parentsportal::link::v1::StartLinkRequest KarenForNoah(const std::string& account_id = "acc-karen");

// Logic classes over a fresh store, at Wednesday 4 March 2026 10:00 London.
struct Fixture {
  Fixture();

  // Syncs the rows for the school and fails the test on an error status.
  parentsportal::link::v1::SyncRosterSummary Sync(
      const std::string& seed_code, const std::vector<parentsportal::link::v1::RosterRecord>& rows,
      RosterConfirmation confirmed = {});
  // Starts, sends a code by email and confirms it; returns the request id.
  std::string FileRequest(const parentsportal::link::v1::StartLinkRequest& start);
  // Returns the code in the last security code message sent.
  std::string LastCode() const;

  TempDir dir;
  std::unique_ptr<Store> store;
  FakeClock clock;
  prometheus::Registry registry;
  LinkMetrics metrics;
  FakeNotifier notifier;
  absl::TimeZone london;
  ScottishWorkingDays school_days;
  LinkService links;
  SchoolRecordsService records;
};

}  // namespace pp::link::testing

#endif  // PP_LINK_TEST_FIXTURE_H_
