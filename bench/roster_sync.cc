#include "roster_sync.h"

#include <grpcpp/client_context.h>
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "csv.h"
#include "parentsportal/identity.grpc.pb.h"
#include "parentsportal/link.grpc.pb.h"
#include "roster.h"
#include "server/server.h"

namespace pp::bench {
namespace {

namespace identity = parentsportal::identity::v1;
namespace link = parentsportal::link::v1;
using SteadyClock = std::chrono::steady_clock;

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": missing or unreadable"));
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Calls `add(seed_code, line)` for each row after the header of `text`, and
// returns the header line.
template <typename AddRow>
std::string SplitRows(const std::string& text, AddRow add) {
  size_t end = text.find('\n');
  std::string header = text.substr(0, end == std::string::npos ? text.size() : end + 1);
  for (size_t start = header.size(); start < text.size();) {
    end = text.find('\n', start);
    if (end == std::string::npos) end = text.size() - 1;
    std::string_view line(text.data() + start, end + 1 - start);
    size_t comma = line.find(',');
    if (comma != std::string_view::npos) add(std::string(line.substr(0, comma)), line);
    start = end + 1;
  }
  return header;
}

absl::Duration Since(SteadyClock::time_point start) {
  return absl::FromChrono(SteadyClock::now() - start);
}

// A SQLite call that failed, with the library's message.
absl::Status SqliteError(sqlite3* db, const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", sqlite3_errmsg(db)));
}

class SqliteFile {
 public:
  ~SqliteFile() {
    for (sqlite3_stmt* statement : statements_) sqlite3_finalize(statement);
    sqlite3_close(db_);
  }
  absl::Status Open(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) return SqliteError(db_, "open " + path);
    return Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  }
  absl::Status Exec(const std::string& sql) {
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      return SqliteError(db_, sql.substr(0, 60));
    }
    return absl::OkStatus();
  }
  // Creates a table of text columns named by `header` and returns its insert statement.
  absl::StatusOr<sqlite3_stmt*> CreateTable(const std::string& name,
                                            const std::vector<std::string>& header,
                                            const std::string& key) {
    std::vector<std::string> columns;
    for (const std::string& column : header) columns.push_back("\"" + column + "\" TEXT");
    absl::Status created =
        Exec(absl::StrCat("CREATE TABLE ", name, " (", absl::StrJoin(columns, ", "),
                          ", PRIMARY KEY (", key, ")) WITHOUT ROWID"));
    if (!created.ok()) return created;
    std::vector<std::string> marks(header.size(), "?");
    std::string sql =
        absl::StrCat("INSERT INTO ", name, " VALUES (", absl::StrJoin(marks, ", "), ")");
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
      return SqliteError(db_, "prepare " + sql);
    }
    statements_.push_back(statement);
    return statement;
  }
  absl::Status Insert(sqlite3_stmt* statement, const schoolctl::CsvRecord& record, size_t width) {
    sqlite3_reset(statement);
    for (size_t i = 0; i < width; ++i) {
      const std::string* value = i < record.fields.size() ? &record.fields[i] : nullptr;
      if (value == nullptr) {
        sqlite3_bind_null(statement, static_cast<int>(i) + 1);
      } else {
        sqlite3_bind_text(statement, static_cast<int>(i) + 1, value->data(),
                          static_cast<int>(value->size()), SQLITE_STATIC);
      }
    }
    if (sqlite3_step(statement) != SQLITE_DONE) return SqliteError(db_, "insert");
    return absl::OkStatus();
  }

 private:
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> statements_;
};

// Parses one school's export, builds its records and streams them through
// SyncRosterRows with the school's token, as schoolctl does.
absl::StatusOr<link::SyncRosterSummary> SyncSchool(
    link::SchoolRecords::Stub& stub, const SchoolExport& school,
    const std::map<std::string, std::string>& tokens) {
  absl::StatusOr<schoolctl::CsvTable> pupils = schoolctl::ParseCsv(school.pupils_csv);
  if (!pupils.ok()) return pupils.status();
  absl::StatusOr<schoolctl::CsvTable> contacts = schoolctl::ParseCsv(school.contacts_csv);
  if (!contacts.ok()) return contacts.status();
  absl::StatusOr<schoolctl::RosterRecords> roster =
      schoolctl::BuildRosterRecords(*pupils, *contacts, school.seed_code);
  if (!roster.ok()) return roster.status();

  grpc::ClientContext context;
  SetDeadline(context, absl::Minutes(5));
  context.AddMetadata("authorization", "Bearer " + tokens.at(school.seed_code));
  link::SyncRosterSummary summary;
  std::unique_ptr<grpc::ClientWriter<link::RosterRows>> writer =
      stub.SyncRosterRows(&context, &summary);
  schoolctl::WriteRoster(*writer, std::move(roster->records));
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  if (!status.ok()) {
    return absl::Status(
        FromGrpcStatus(status).code(),
        absl::StrCat("sync of school ", school.seed_code, " failed: ", status.error_message()));
  }
  return summary;
}

}  // namespace

absl::StatusOr<std::vector<SchoolExport>> ReadRosterBySchool(const std::string& dir) {
  absl::StatusOr<std::string> pupils = ReadWholeFile(dir + "/pupils.csv");
  if (!pupils.ok()) return pupils.status();
  absl::StatusOr<std::string> contacts = ReadWholeFile(dir + "/contacts.csv");
  if (!contacts.ok()) return contacts.status();

  std::vector<SchoolExport> schools;
  std::map<std::string, size_t> index;
  auto school_of = [&](const std::string& seed_code) -> SchoolExport& {
    auto [it, added] = index.emplace(seed_code, schools.size());
    if (added) {
      schools.emplace_back();
      schools.back().seed_code = seed_code;
    }
    return schools[it->second];
  };
  std::string pupils_header = SplitRows(*pupils, [&](const std::string& seed, auto line) {
    SchoolExport& school = school_of(seed);
    school.pupils_csv.append(line);
    ++school.pupils;
  });
  std::string contacts_header = SplitRows(*contacts, [&](const std::string& seed, auto line) {
    SchoolExport& school = school_of(seed);
    school.contacts_csv.append(line);
    ++school.contacts;
  });
  for (SchoolExport& school : schools) {
    school.pupils_csv.insert(0, pupils_header);
    school.contacts_csv.insert(0, contacts_header);
  }
  if (schools.empty())
    return absl::InvalidArgumentError(absl::StrCat(dir, " contains no roster rows"));
  return schools;
}

std::vector<SchoolExport> FirstSchools(const std::vector<SchoolExport>& schools, int pupils) {
  std::vector<SchoolExport> first;
  int total = 0;
  for (const SchoolExport& school : schools) {
    if (total >= pupils) break;
    first.push_back(school);
    total += school.pupils;
  }
  return first;
}

absl::StatusOr<std::map<std::string, std::string>> IssueSchoolTokens(
    const std::string& identity_address, const std::string& operator_token,
    const std::vector<SchoolExport>& schools) {
  auto stub = identity::Identity::NewStub(MakeChannel(identity_address));
  std::map<std::string, std::string> tokens;
  for (const SchoolExport& school : schools) {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    context.AddMetadata("authorization", "Bearer " + operator_token);
    identity::IssueSchoolTokenRequest request;
    request.set_seed_code(school.seed_code);
    identity::IssueSchoolTokenResponse response;
    grpc::Status status = stub->IssueSchoolToken(&context, request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    tokens[school.seed_code] = response.token();
  }
  return tokens;
}

absl::StatusOr<SyncTotals> SyncSchools(const std::string& link_address,
                                       const std::vector<SchoolExport>& schools,
                                       const std::map<std::string, std::string>& tokens,
                                       int schools_in_flight) {
  auto stub = link::SchoolRecords::NewStub(MakeChannel(link_address));
  std::mutex mutex;
  SyncTotals totals;
  absl::Status failure;
  size_t next = 0;
  // Each thread stands for one school's system: it takes the next school,
  // parses its export and syncs it, then takes another.
  auto sync_schools = [&] {
    while (true) {
      const SchoolExport* school = nullptr;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (!failure.ok() || next == schools.size()) return;
        school = &schools[next++];
      }
      absl::StatusOr<link::SyncRosterSummary> summary = SyncSchool(*stub, *school, tokens);
      std::lock_guard<std::mutex> lock(mutex);
      if (!summary.ok()) {
        failure.Update(summary.status());
        return;
      }
      totals.pupils += summary->pupils_loaded();
      totals.contacts += summary->contacts_loaded();
      totals.rejected_rows += summary->errors_size();
      totals.unchanged_schools += summary->matched_last_sync();
    }
  };
  SteadyClock::time_point start = SteadyClock::now();
  std::vector<std::thread> threads;
  for (int i = 1; i < schools_in_flight; ++i) threads.emplace_back(sync_schools);
  sync_schools();
  for (std::thread& thread : threads) thread.join();
  if (!failure.ok()) return failure;
  totals.elapsed = Since(start);
  return totals;
}

absl::StatusOr<SyncTotals> InsertIntoSqlite(const std::string& path,
                                            const std::vector<SchoolExport>& schools) {
  SqliteFile file;
  if (absl::Status opened = file.Open(path); !opened.ok()) return opened;
  // The tables take their columns from the first school's headers.
  absl::StatusOr<schoolctl::CsvTable> first_pupils = schoolctl::ParseCsv(schools[0].pupils_csv);
  if (!first_pupils.ok()) return first_pupils.status();
  absl::StatusOr<schoolctl::CsvTable> first_contacts = schoolctl::ParseCsv(schools[0].contacts_csv);
  if (!first_contacts.ok()) return first_contacts.status();
  absl::StatusOr<sqlite3_stmt*> insert_pupil =
      file.CreateTable("pupils", first_pupils->header, "seed_code, pupil_ref");
  if (!insert_pupil.ok()) return insert_pupil.status();
  absl::StatusOr<sqlite3_stmt*> insert_contact =
      file.CreateTable("contacts", first_contacts->header, "seed_code, pupil_ref, contact_ref");
  if (!insert_contact.ok()) return insert_contact.status();
  size_t pupil_width = first_pupils->header.size();
  size_t contact_width = first_contacts->header.size();

  SyncTotals totals;
  SteadyClock::time_point start = SteadyClock::now();
  for (const SchoolExport& school : schools) {
    absl::StatusOr<schoolctl::CsvTable> pupils = schoolctl::ParseCsv(school.pupils_csv);
    if (!pupils.ok()) return pupils.status();
    absl::StatusOr<schoolctl::CsvTable> contacts = schoolctl::ParseCsv(school.contacts_csv);
    if (!contacts.ok()) return contacts.status();

    if (absl::Status begun = file.Exec("BEGIN IMMEDIATE"); !begun.ok()) return begun;
    for (const schoolctl::CsvRecord& record : pupils->records) {
      if (absl::Status done = file.Insert(*insert_pupil, record, pupil_width); !done.ok()) {
        return done;
      }
      ++totals.pupils;
    }
    for (const schoolctl::CsvRecord& record : contacts->records) {
      if (absl::Status done = file.Insert(*insert_contact, record, contact_width); !done.ok()) {
        return done;
      }
      ++totals.contacts;
    }
    if (absl::Status committed = file.Exec("COMMIT"); !committed.ok()) return committed;
  }
  totals.elapsed = Since(start);
  return totals;
}

}  // namespace pp::bench
