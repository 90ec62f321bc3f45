// The files the gateway reads at start: its mustache templates and its
// static assets. Both are loaded once and never change while it runs.
#ifndef PP_GATEWAY_SITE_FILES_H_
#define PP_GATEWAY_SITE_FILES_H_

#include <kainjow/mustache.hpp>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pp::gateway {

using TemplateData = kainjow::mustache::data;
using TemplateList = kainjow::mustache::list;

// Every `*.mustache` file of one folder, by file name without the
// extension. Each template can include any other as a partial
// (`{{> name}}`). `{{x}}` escapes &, <, >, " and ' in the value.
class Templates {
 public:
  // Reads and parses every template in `folder`. Returns NotFound when the
  // folder is missing or contains no template, and InvalidArgument naming the
  // file when one does not parse, includes a partial that does not exist or
  // includes itself through its partials.
  static absl::StatusOr<std::unique_ptr<Templates>> Load(const std::string& folder);

  // Renders template `name` with `data`. Returns Internal when there is no
  // such template or rendering fails.
  absl::StatusOr<std::string> Render(absl::string_view name, TemplateData data) const;

 private:
  Templates() = default;

  std::map<std::string, std::string, std::less<>> sources_;
  // Each template parsed with its partials expanded in place.
  std::map<std::string, std::unique_ptr<kainjow::mustache::mustache>, std::less<>> parsed_;
};

// One static file, served from memory.
struct Asset {
  std::string body;
  std::string content_type;
};

// The files of the asset folder, each served at a name with a content hash
// ("site.css" at "/assets/site.1f2e3d4c5b6a7980.css"), so browsers may keep
// a file for a year: a changed file gets a new address.
class Assets {
 public:
  // Reads every regular file in `folder`. Returns NotFound when the folder
  // is missing or empty, and InvalidArgument for a file type the gateway
  // has no content type for.
  static absl::StatusOr<std::unique_ptr<Assets>> Load(const std::string& folder);

  // Returns the address of file `name`, such as
  // "/assets/site.1f2e3d4c5b6a7980.css". Returns "" for an unknown name,
  // which templates would show as a broken link, so tests check each one.
  std::string Url(absl::string_view name) const;

  // Returns the file served at `path` (the part after "/assets/"), or
  // nullptr when no file has that hashed name.
  const Asset* Find(absl::string_view path) const;

 private:
  Assets() = default;

  // Plain name to hashed address.
  std::map<std::string, std::string, std::less<>> urls_;
  // Hashed name to file.
  std::map<std::string, Asset, std::less<>> files_;
};

}  // namespace pp::gateway

#endif  // PP_GATEWAY_SITE_FILES_H_
