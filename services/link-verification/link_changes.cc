#include "link_changes.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "return_if_error.h"

namespace pp::link {
namespace {

// Each statement on its own, as Tx::Exec runs one. Names in a trigger's body
// are not qualified with a schema; SQLite finds them in main.
constexpr const char* kTriggers[] = {
    R"sql(
CREATE TEMP TRIGGER link_changes_request_insert AFTER INSERT ON main.link_requests BEGIN
  SELECT links_changed(NEW.account_id);
END
)sql",
    R"sql(
CREATE TEMP TRIGGER link_changes_request_update AFTER UPDATE ON main.link_requests BEGIN
  SELECT links_changed(OLD.account_id);
  SELECT links_changed(NEW.account_id);
END
)sql",
    R"sql(
CREATE TEMP TRIGGER link_changes_request_delete AFTER DELETE ON main.link_requests BEGIN
  SELECT links_changed(OLD.account_id);
END
)sql",
    R"sql(
CREATE TEMP TRIGGER link_changes_pupil_update
  AFTER UPDATE OF forename, preferred_forename, surname, stage, seed_code, pupil_ref
  ON main.pupils
  WHEN OLD.forename IS NOT NEW.forename OR OLD.preferred_forename IS NOT NEW.preferred_forename
    OR OLD.surname IS NOT NEW.surname OR OLD.stage IS NOT NEW.stage
    OR OLD.seed_code IS NOT NEW.seed_code OR OLD.pupil_ref IS NOT NEW.pupil_ref
BEGIN
  SELECT links_changed(account_id) FROM link_requests WHERE pupil_id = NEW.id;
END
)sql",
    R"sql(
CREATE TEMP TRIGGER link_changes_pupil_delete AFTER DELETE ON main.pupils BEGIN
  SELECT links_changed(account_id) FROM link_requests WHERE pupil_id = OLD.id;
END
)sql",
    R"sql(
CREATE TEMP TRIGGER link_changes_school_update AFTER UPDATE OF name ON main.schools
  WHEN OLD.name IS NOT NEW.name
BEGIN
  SELECT links_changed_all();
END
)sql",
};

// Changes of the current transaction, collected by the triggers' functions.
struct Pending {
  std::set<std::string> account_ids;
  bool all = false;
};

}  // namespace

absl::Status AttachLinkChanges(Store& store, ChangeFeed& feed) {
  auto pending = std::make_shared<Pending>();
  LINK_RETURN_IF_ERROR(
      store.AddFunction("links_changed", 1, [pending](const FunctionArguments& arguments) {
        pending->account_ids.emplace(arguments.Text(0));
        return SqlValue();
      }));
  LINK_RETURN_IF_ERROR(
      store.AddFunction("links_changed_all", 0, [pending](const FunctionArguments&) {
        pending->all = true;
        return SqlValue();
      }));
  LINK_RETURN_IF_ERROR(store.Write([&](Tx& tx) {
    for (const char* trigger : kTriggers) LINK_RETURN_IF_ERROR(tx.Exec(trigger));
    return absl::OkStatus();
  }));
  // What another connection changed is unknown, and readers already see it.
  store.OnOtherConnectionCommit([pending](Tx&) {
    pending->all = true;
    return absl::OkStatus();
  });
  store.OnTransactionEnd([pending, &feed](bool committed) {
    // Publishes another connection's commit even after a read or rollback.
    if (pending->all) {
      feed.PublishAll();
    } else if (committed && !pending->account_ids.empty()) {
      feed.Publish({pending->account_ids.begin(), pending->account_ids.end()});
    }
    pending->account_ids.clear();
    pending->all = false;
  });
  return absl::OkStatus();
}

}  // namespace pp::link
