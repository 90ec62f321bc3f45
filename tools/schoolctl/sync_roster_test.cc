// sync-roster against stand-ins for link-verification: one that serves only
// the older SyncRoster call, where the rows still arrive, every count is
// printed and a failure always carries a message, and one that checks the
// digest of the rows sent.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "commands.h"
#include "parentsportal/link.grpc.pb.h"
#include "roster_rows/roster_rows_digest.h"
#include "server/server.h"
#include "testing/temp_dir.h"

namespace pp::schoolctl {
namespace {

namespace link = parentsportal::link::v1;

constexpr char kPupils[] =
    "seed_code,school_name,pupil_ref,forename,preferred_forename,surname,date_of_birth,stage,"
    "address_line1,address_line2,town,postcode\r\n"
    "5300011,Tayside Primary School,0700000001,Noah,,McDonald,01/10/2020,P3,19 Burghmuir Drive,,"
    "Auchterarder,PH3 2Q\r\n";

constexpr char kContacts[] =
    "seed_code,pupil_ref,contact_ref,title,forename,surname,relationship,parental_responsibility,"
    "lives_with_pupil,email,mobile,address_line1,address_line2,town,postcode,priority\r\n"
    "5300011,0700000001,C00000001,Mrs,Karen,Taylor,Mother,Y,Y,karen@example.com,07294 053474,"
    "19 Burghmuir Drive,,Auchterarder,PH3 2QY,1\r\n";

// A link-verification from before SyncRosterRows. It counts the rows it
// receives and returns a fixed summary with one kept row.
class OlderSchoolRecords final : public link::SchoolRecords::Service {
 public:
  grpc::Status SyncRoster(grpc::ServerContext* context,
                          grpc::ServerReader<link::RosterRecord>* reader,
                          link::SyncRosterSummary* summary) override {
    link::RosterRecord record;
    int rows = 0;
    while (reader->Read(&record)) ++rows;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      rows_received_ = rows;
      auto confirmed = context->client_metadata().find("x-pp-confirm-links-ended");
      if (confirmed != context->client_metadata().end()) {
        links_confirmed_ = std::string(confirmed->second.data(), confirmed->second.size());
      }
    }
    summary->set_pupils_loaded(0);
    summary->set_contacts_loaded(0);
    summary->set_contacts_removed(3);
    summary->set_links_ended(2);
    summary->set_requests_closed(1);
    link::RowError* error = summary->add_errors();
    error->set_file("pupils");
    error->set_row(2);
    error->set_reason("postcode \"PH3 2Q\" is not a UK postcode");
    error->set_kept_as_before(true);
    return grpc::Status::OK;
  }

  int rows_received() {
    std::lock_guard<std::mutex> lock(mutex_);
    return rows_received_;
  }
  std::string links_confirmed() {
    std::lock_guard<std::mutex> lock(mutex_);
    return links_confirmed_;
  }

 private:
  std::mutex mutex_;
  int rows_received_ = 0;
  std::string links_confirmed_;
};

// A link-verification that reads every message of SyncRosterRows and
// reports a match when the first message's digest is `known_digest`.
class DigestSchoolRecords final : public link::SchoolRecords::Service {
 public:
  grpc::Status SyncRosterRows(grpc::ServerContext* /*context*/,
                              grpc::ServerReader<link::RosterRows>* reader,
                              link::SyncRosterSummary* summary) override {
    link::RosterRows message;
    std::vector<link::RosterRecord> records;
    std::string claimed;
    bool first = true;
    while (reader->Read(&message)) {
      if (first) {
        claimed = message.rows_digest();
        // As link-verification does, end at once on a match, and otherwise
        // tell the waiting client to send the rows.
        if (!known_digest.empty() && claimed == known_digest) break;
        reader->SendInitialMetadata();
      }
      first = false;
      records.insert(records.end(), message.records().begin(), message.records().end());
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      claimed_digest_ = claimed;
      received_digest_ = roster_rows::DigestOfRows(records);
      records_received_ = static_cast<int>(records.size());
    }
    summary->set_pupils_loaded(1);
    summary->set_contacts_loaded(1);
    summary->set_matched_last_sync(!known_digest.empty() && claimed == known_digest);
    return grpc::Status::OK;
  }

  std::string claimed_digest() {
    std::lock_guard<std::mutex> lock(mutex_);
    return claimed_digest_;
  }
  std::string received_digest() {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_digest_;
  }
  int records_received() {
    std::lock_guard<std::mutex> lock(mutex_);
    return records_received_;
  }

  std::string known_digest;

 private:
  std::mutex mutex_;
  std::string claimed_digest_;
  std::string received_digest_;
  int records_received_ = 0;
};

// A link-verification that rejects the pupil row with a reason quoting a
// value that contains a line break, as services before the line-break check
// did.
class LineBreakSchoolRecords final : public link::SchoolRecords::Service {
 public:
  grpc::Status SyncRosterRows(grpc::ServerContext* /*context*/,
                              grpc::ServerReader<link::RosterRows>* reader,
                              link::SyncRosterSummary* summary) override {
    link::RosterRows message;
    bool first = true;
    while (reader->Read(&message)) {
      if (first) reader->SendInitialMetadata();
      first = false;
    }
    link::RowError* error = summary->add_errors();
    error->set_file("pupils");
    error->set_row(2);
    error->set_reason("forename \"Ann\r\nMarie\" is garbled text");
    return grpc::Status::OK;
  }
};

// A service that implements no call at all.
class NoSchoolRecords final : public link::SchoolRecords::Service {};

struct Files {
  TempDir dir;
  std::string pupils = dir.Path("pupils.csv");
  std::string contacts = dir.Path("contacts.csv");

  Files() {
    std::ofstream(pupils, std::ios::binary) << kPupils;
    std::ofstream(contacts, std::ios::binary) << kContacts;
  }
};

Connection ConnectionTo(int port) {
  Connection connection;
  connection.link_address = "127.0.0.1:" + std::to_string(port);
  connection.token = "school-token";
  connection.seed_code = "5300011";
  return connection;
}

TEST_CASE("sync-roster falls back to SyncRoster") {
  OlderSchoolRecords older;
  int port = 0;
  auto server = StartGrpcServer({"127.0.0.1:0", {&older}}, &port);
  REQUIRE(server.ok());
  Files files;
  Connection connection = ConnectionTo(port);
  connection.confirm_links_ended = 2;

  std::ostringstream out;
  bool rows_rejected = false;
  absl::Status synced = SyncRoster(connection, files.pupils, files.contacts, out, &rows_rejected);
  REQUIRE(synced.message() == "");
  CHECK(older.rows_received() == 2);
  CHECK(older.links_confirmed() == "2");
  CHECK(rows_rejected);
  CHECK(out.str() ==
        "pupils loaded: 0\n"
        "contacts loaded: 0\n"
        "pupils added: 0\n"
        "pupils changed: 0\n"
        "pupils marked as left: 0\n"
        "contacts added: 0\n"
        "contacts changed: 0\n"
        "contacts removed: 3\n"
        "links ended: 2\n"
        "requests closed: 1\n"
        "safeguarding holds lifted: 0\n" +
            files.pupils +
            " row 2: postcode \"PH3 2Q\" is not a UK postcode (kept as before because the row "
            "was rejected)\n");
  DrainAndStop(**server, absl::Seconds(1));
}

TEST_CASE("sync-roster sends the digest of its rows") {
  DigestSchoolRecords service;
  int port = 0;
  auto server = StartGrpcServer({"127.0.0.1:0", {&service}}, &port);
  REQUIRE(server.ok());
  Files files;
  bool rows_rejected = false;

  std::ostringstream first;
  REQUIRE(SyncRoster(ConnectionTo(port), files.pupils, files.contacts, first, &rows_rejected)
              .message() == "");
  CHECK(service.claimed_digest().size() == 64);
  CHECK(service.claimed_digest() == service.received_digest());
  CHECK(service.records_received() == 2);
  CHECK(first.str().find("same as in the last sync") == std::string::npos);

  service.known_digest = service.claimed_digest();
  std::ostringstream again;
  REQUIRE(SyncRoster(ConnectionTo(port), files.pupils, files.contacts, again, &rows_rejected)
              .message() == "");
  CHECK(service.records_received() == 0);
  CHECK(again.str().rfind(
            "The rows are the same as in the last sync, so the service did not read them "
            "again.\npupils loaded: 1\n",
            0) == 0);
  DrainAndStop(**server, absl::Seconds(1));
}

TEST_CASE("sync-roster sends nothing with an unreadable row") {
  OlderSchoolRecords older;
  int port = 0;
  auto server = StartGrpcServer({"127.0.0.1:0", {&older}}, &port);
  REQUIRE(server.ok());
  Files files;
  // A stray quote in Karen's address, and a second contact row with an
  // unquoted comma that moves its restricted value out of its column.
  std::ofstream(files.contacts, std::ios::binary)
      << "seed_code,pupil_ref,contact_ref,title,forename,surname,relationship,"
         "parental_responsibility,lives_with_pupil,email,mobile,address_line1,address_line2,town,"
         "postcode,priority,restricted\r\n"
         "5300011,0700000001,C00000001,Mrs,Karen,Taylor,Mother,Y,Y,karen@example.com,"
         "07294 053474,19 Burghmuir Drive\",,Auchterarder,PH3 2QY,1,Y\r\n"
         "5300011,0700000001,C00000002,Mr,David,McDonald,Father,Y,N,,,Flat 2, 3 High Street,,"
         "Perth,PH1 1AA,2,Y\r\n"
         "5300011,0700000001,C00000003,Ms,Gillian,MacDonald,Aunt,N,N,,,4 Low Street,,"
         "Perth,PH1 1AB,3,\r\n";

  std::ostringstream out;
  bool rows_rejected = false;
  absl::Status synced =
      SyncRoster(ConnectionTo(port), files.pupils, files.contacts, out, &rows_rejected);
  CHECK(synced.code() == absl::StatusCode::kInvalidArgument);
  CHECK(synced.message() ==
        "nothing was sent: 2 rows could not be read as CSV (listed above); correct the export and "
        "sync again");
  CHECK(out.str() == files.contacts +
                         " row 2: address_line1: a quote inside an unquoted field; quote the "
                         "whole field and double each quote in it\n" +
                         files.contacts +
                         " row 3: the row has 18 fields but the header has 17; quote any value "
                         "that contains a comma\n");
  CHECK(older.rows_received() == 0);
  DrainAndStop(**server, absl::Seconds(1));
}

TEST_CASE("sync-roster sends nothing with a row too large") {
  DigestSchoolRecords service;
  int port = 0;
  auto server = StartGrpcServer({"127.0.0.1:0", {&service}}, &port);
  REQUIRE(server.ok());
  Files files;
  // A second pupil whose address_line2 is 5 MiB, more than gRPC's default
  // 4 MiB for a received message.
  std::ofstream(files.pupils, std::ios::binary | std::ios::app)
      << "5300011,Tayside Primary School,0700000002,Ava,,McDonald,02/03/2019,P4,"
         "19 Burghmuir Drive,"
      << std::string(5 << 20, 'x') << ",Auchterarder,PH3 2QY\r\n";

  std::ostringstream out;
  bool rows_rejected = false;
  absl::Status synced =
      SyncRoster(ConnectionTo(port), files.pupils, files.contacts, out, &rows_rejected);
  CHECK(synced.code() == absl::StatusCode::kInvalidArgument);
  CHECK(synced.message() ==
        "nothing was sent: 1 row is too large to send (listed above); correct the export and "
        "sync again");
  const std::string prefix = files.pupils + " row 3: the row is ";
  CHECK(out.str().rfind(prefix, 0) == 0);
  CHECK(out.str().find(" bytes, more than the 65536 bytes a row may have; check its values for "
                       "text pasted by mistake\n") != std::string::npos);
  CHECK(service.claimed_digest() == "");
  CHECK(service.records_received() == 0);
  DrainAndStop(**server, absl::Seconds(1));
}

TEST_CASE("sync-roster checks school and confirmations") {
  OlderSchoolRecords older;
  int port = 0;
  auto server = StartGrpcServer({"127.0.0.1:0", {&older}}, &port);
  REQUIRE(server.ok());
  Files files;
  std::ostringstream out;
  bool rows_rejected = false;

  // The exports are of school 5300011.
  Connection other = ConnectionTo(port);
  other.seed_code = "5300028";
  absl::Status synced = SyncRoster(other, files.pupils, files.contacts, out, &rows_rejected);
  CHECK(synced.code() == absl::StatusCode::kInvalidArgument);
  CHECK(synced.message() == "nothing was sent: no row of " + files.pupils +
                                " has seed_code 5300028 (1 pupil row is of other schools); the "
                                "SEED code in --school may be wrong");

  Connection negative = ConnectionTo(port);
  negative.confirm_links_ended = -1;
  synced = SyncRoster(negative, files.pupils, files.contacts, out, &rows_rejected);
  CHECK(synced.code() == absl::StatusCode::kInvalidArgument);
  CHECK(
      synced.message() ==
      "invalid --confirm_links_ended -1: give the number the rejected command printed, or leave it "
      "out");
  CHECK(out.str() == "");
  CHECK(older.rows_received() == 0);
  DrainAndStop(**server, absl::Seconds(1));
}

TEST_CASE("sync-roster names a contacts file without rows") {
  OlderSchoolRecords older;
  int port = 0;
  auto server = StartGrpcServer({"127.0.0.1:0", {&older}}, &port);
  REQUIRE(server.ok());
  Files files;
  const std::string contacts(kContacts);
  std::ofstream(files.contacts, std::ios::binary | std::ios::trunc)
      << contacts.substr(0, contacts.find('\n') + 1);

  std::ostringstream out;
  bool rows_rejected = false;
  absl::Status synced =
      SyncRoster(ConnectionTo(port), files.pupils, files.contacts, out, &rows_rejected);
  CHECK(synced.code() == absl::StatusCode::kInvalidArgument);
  CHECK(synced.message() == "nothing was sent: " + files.contacts +
                                " has a header but no contact rows; export the contacts again");
  CHECK(older.rows_received() == 0);
  DrainAndStop(**server, absl::Seconds(1));
}

TEST_CASE("sync-roster names a pupils file without rows") {
  OlderSchoolRecords older;
  int port = 0;
  auto server = StartGrpcServer({"127.0.0.1:0", {&older}}, &port);
  REQUIRE(server.ok());
  Files files;
  // The header alone, with the school's contact rows in the other file.
  const std::string pupils(kPupils);
  std::ofstream(files.pupils, std::ios::binary | std::ios::trunc)
      << pupils.substr(0, pupils.find('\n') + 1);

  std::ostringstream out;
  bool rows_rejected = false;
  absl::Status synced =
      SyncRoster(ConnectionTo(port), files.pupils, files.contacts, out, &rows_rejected);
  CHECK(synced.code() == absl::StatusCode::kInvalidArgument);
  CHECK(synced.message() == "nothing was sent: " + files.pupils +
                                " has a header but no pupil rows; export the pupils again");
  CHECK(out.str() == "");
  CHECK(older.rows_received() == 0);
  DrainAndStop(**server, absl::Seconds(1));
}

TEST_CASE("sync-roster failure always has a message") {
  NoSchoolRecords none;
  int port = 0;
  auto server = StartGrpcServer({"127.0.0.1:0", {&none}}, &port);
  REQUIRE(server.ok());
  Files files;

  std::ostringstream out;
  bool rows_rejected = false;
  absl::Status synced =
      SyncRoster(ConnectionTo(port), files.pupils, files.contacts, out, &rows_rejected);
  CHECK(synced.code() == absl::StatusCode::kUnimplemented);
  CHECK(synced.message() ==
        "127.0.0.1:" + std::to_string(port) + " failed the call with UNIMPLEMENTED and no message");
  CHECK(out.str() == "");
  DrainAndStop(**server, absl::Seconds(1));
}

TEST_CASE("row errors print control characters escaped") {
  LineBreakSchoolRecords service;
  int port = 0;
  auto server = StartGrpcServer({"127.0.0.1:0", {&service}}, &port);
  REQUIRE(server.ok());
  Files files;

  std::ostringstream out;
  bool rows_rejected = false;
  absl::Status synced =
      SyncRoster(ConnectionTo(port), files.pupils, files.contacts, out, &rows_rejected);
  REQUIRE(synced.ok());
  CHECK(rows_rejected);
  CHECK(out.str().find(files.pupils + " row 2: forename \"Ann\\r\\nMarie\" is garbled text\n") !=
        std::string::npos);
}

}  // namespace
}  // namespace pp::schoolctl
