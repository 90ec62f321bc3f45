// Step 1 of linking: comparing what a parent typed with the contacts whose
// names match theirs, and the pupils those contacts belong to.
#ifndef PP_LINK_MATCHER_H_
#define PP_LINK_MATCHER_H_

#include <optional>
#include <string>
#include <vector>

#include "link_store.h"
#include "parentsportal/link.pb.h"

namespace pp::link {

// A contact at the parent's postcode whose pupil or rights did not match.
struct NearMiss {
  Candidate candidate;
  // Reason codes, as in parentsportal.link.v1.MatchFailure.
  std::vector<std::string> reasons;
};

struct MatchResult {
  // The first candidate that matches in full.
  std::optional<Candidate> match;
  // Filled only when nothing matched: at most one per school, the candidate
  // with the fewest reasons, and only when at most two of the child's five
  // details differ, so that a parent's other children at other schools do
  // not show up as near misses.
  std::vector<NearMiss> near_misses;
};

// Compares the request with every candidate in full, without stopping at
// the first difference, so that the work done does not depend on which
// detail is wrong. A candidate matches when the contact's postcode is the
// parent's, the contact has parental responsibility, neither contact nor
// pupil is restricted, the pupil is current, and the child's forename
// (legal or preferred), surname, date of birth, stage and postcode all
// match. Names compare by NameKey and postcodes by PostcodeKey.
MatchResult MatchCandidates(const std::vector<Candidate>& candidates,
                            const parentsportal::link::v1::StartLinkRequest& request,
                            const std::string& date_of_birth);

}  // namespace pp::link

#endif  // PP_LINK_MATCHER_H_
