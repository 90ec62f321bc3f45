#include "matcher.h"

#include <map>

#include "absl/strings/ascii.h"
#include "link_rules.h"

namespace pp::link {
namespace {

namespace v1 = parentsportal::link::v1;

constexpr int kMaxChildDifferencesForNearMiss = 2;

}  // namespace

MatchResult MatchCandidates(const std::vector<Candidate>& candidates,
                            const v1::StartLinkRequest& request, const std::string& date_of_birth) {
  const std::string forename = NameKey(request.child_forename());
  const std::string surname = NameKey(request.child_surname());
  const std::string stage = absl::AsciiStrToUpper(request.stage());
  const std::string child_postcode = PostcodeKey(request.postcode());
  const std::string parent_postcode = PostcodeKey(request.parent().postcode());

  MatchResult result;
  std::map<std::string, NearMiss> closest_by_school;
  for (const Candidate& candidate : candidates) {
    const PupilRecord& pupil = candidate.pupil;
    const ContactRecord& contact = candidate.contact;
    if (PostcodeKey(contact.postcode) != parent_postcode) continue;

    bool legal = NameKey(pupil.forename) == forename;
    bool preferred =
        !pupil.preferred_forename.empty() && NameKey(pupil.preferred_forename) == forename;
    std::vector<std::string> reasons;
    if (!(legal || preferred)) reasons.push_back("child_forename");
    if (NameKey(pupil.surname) != surname) reasons.push_back("child_surname");
    if (pupil.date_of_birth != date_of_birth) reasons.push_back("date_of_birth");
    if (pupil.stage != stage) reasons.push_back("stage");
    if (PostcodeKey(pupil.postcode) != child_postcode) reasons.push_back("child_postcode");
    const int child_differences = static_cast<int>(reasons.size());
    if (!contact.parental_responsibility) reasons.push_back("no_parental_responsibility");
    if (contact.restricted) reasons.push_back("contact_restricted");
    if (pupil.restricted) reasons.push_back("pupil_restricted");
    if (!pupil.current) reasons.push_back("pupil_left");

    if (reasons.empty()) {
      if (!result.match.has_value()) result.match = candidate;
      continue;
    }
    if (child_differences > kMaxChildDifferencesForNearMiss) continue;
    auto closest = closest_by_school.find(pupil.seed_code);
    if (closest == closest_by_school.end() || reasons.size() < closest->second.reasons.size()) {
      closest_by_school[pupil.seed_code] = NearMiss{candidate, std::move(reasons)};
    }
  }
  if (!result.match.has_value()) {
    for (auto& [school, near_miss] : closest_by_school) {
      result.near_misses.push_back(std::move(near_miss));
    }
  }
  return result;
}

}  // namespace pp::link
