// A digest of the rows a full roster sync applies, so that a sync that
// repeats the school's last one is recognised without reading its rows.
#ifndef PP_LINK_ROSTER_DIGEST_H_
#define PP_LINK_ROSTER_DIGEST_H_

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "link_store.h"

namespace pp::link {

// Returns the BLAKE2b-256 digest, as lower-case hex, of everything
// ReplaceRoster writes from: the valid rows in their order and the rows
// kept as before. Each value is prefixed with its length, so no two
// different inputs share an encoding. The same rows in another order give
// another digest.
std::string RosterDigest(const std::vector<RosterPupil>& pupils,
                         const std::vector<RosterContact>& contacts,
                         const std::set<std::string>& kept_pupils,
                         const std::set<std::pair<std::string, std::string>>& kept_contacts);

}  // namespace pp::link

#endif  // PP_LINK_ROSTER_DIGEST_H_
