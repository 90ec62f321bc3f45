#include "contact_lookup.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "log/log.h"
#include "return_if_error.h"

namespace pp::link {
namespace {

// Each statement on its own, as Tx::Exec runs one. An update that keeps the
// three keys, as most roster changes do, leaves the lookup alone.
constexpr const char* kTriggers[] = {
    R"sql(
CREATE TEMP TRIGGER contact_lookup_insert AFTER INSERT ON main.contacts BEGIN
  SELECT contact_lookup_change(1, NEW.postcode_key, NEW.surname_key, NEW.forename_key, NEW.rowid);
END
)sql",
    R"sql(
CREATE TEMP TRIGGER contact_lookup_delete AFTER DELETE ON main.contacts BEGIN
  SELECT contact_lookup_change(0, OLD.postcode_key, OLD.surname_key, OLD.forename_key, OLD.rowid);
END
)sql",
    R"sql(
CREATE TEMP TRIGGER contact_lookup_update
  AFTER UPDATE OF postcode_key, surname_key, forename_key ON main.contacts
  WHEN OLD.postcode_key IS NOT NEW.postcode_key OR OLD.surname_key IS NOT NEW.surname_key
    OR OLD.forename_key IS NOT NEW.forename_key
BEGIN
  SELECT contact_lookup_change(0, OLD.postcode_key, OLD.surname_key, OLD.forename_key, OLD.rowid);
  SELECT contact_lookup_change(1, NEW.postcode_key, NEW.surname_key, NEW.forename_key, NEW.rowid);
END
)sql",
};

}  // namespace

int64_t ContactLookupKey(std::string_view postcode_key, std::string_view surname_key,
                         std::string_view forename_key) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (std::string_view part : {postcode_key, surname_key, forename_key}) {
    for (unsigned char byte : part) hash = (hash ^ byte) * 0x100000001b3ULL;
    // 0xff never occurs in UTF-8, so it ends each part unambiguously.
    hash = (hash ^ 0xffU) * 0x100000001b3ULL;
  }
  return static_cast<int64_t>(hash);
}

absl::Status ContactLookup::Attach(Store& store) {
  std::shared_ptr<ContactLookup> lookup(new ContactLookup());
  LINK_RETURN_IF_ERROR(
      store.AddFunction("contact_lookup_change", 5, [lookup](const FunctionArguments& arguments) {
        lookup->pending_.push_back(
            {arguments.Int(0) != 0,
             ContactLookupKey(arguments.Text(1), arguments.Text(2), arguments.Text(3)),
             arguments.Int(4)});
        return SqlValue();
      }));
  LINK_RETURN_IF_ERROR(
      store.AddFunction("contact_lookup_rowids", 1, [lookup](const FunctionArguments& arguments) {
        return SqlValue(lookup->Rowids(arguments.Int(0)));
      }));
  store.OnTransactionEnd([lookup](bool committed) { lookup->TransactionEnded(committed); });
  // Added before the load below, whose transaction records the version
  // that later commits are compared with.
  store.OnOtherConnectionCommit([lookup](Tx& tx) -> absl::Status {
    LINK_RETURN_IF_ERROR(lookup->Load(tx));
    log::Warning("contact_lookup_rebuilt")
        .Field("reason", "another process changed the store")
        .Field("contacts", static_cast<int64_t>(lookup->entries_.size()));
    return absl::OkStatus();
  });

  // The triggers are created in the transaction that reads the contacts,
  // so no change falls between the two.
  return store.Write([&](Tx& tx) {
    for (const char* trigger : kTriggers) LINK_RETURN_IF_ERROR(tx.Exec(trigger));
    return lookup->Load(tx);
  });
}

absl::Status ContactLookup::Load(Tx& tx) {
  entries_.clear();
  LINK_RETURN_IF_ERROR(tx.Query(
      "SELECT postcode_key, surname_key, forename_key, rowid FROM contacts", {},
      [&](const Row& row) {
        entries_.insert({ContactLookupKey(row.Text(0), row.Text(1), row.Text(2)), row.Int(3)});
      }));
  return absl::OkStatus();
}

std::string ContactLookup::Rowids(int64_t key) const {
  std::string json = "[";
  for (auto it = entries_.lower_bound({key, std::numeric_limits<int64_t>::min()});
       it != entries_.end() && it->first == key; ++it) {
    if (json.size() > 1) json += ',';
    absl::StrAppend(&json, it->second);
  }
  json += ']';
  return json;
}

void ContactLookup::TransactionEnded(bool committed) {
  if (committed) {
    for (const Change& change : pending_) {
      if (change.added) {
        entries_.insert({change.key, change.rowid});
      } else {
        entries_.erase({change.key, change.rowid});
      }
    }
  }
  pending_.clear();
}

}  // namespace pp::link
