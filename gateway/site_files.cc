#include "gateway/site_files.h"

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "crypto/crypto.h"

namespace pp::gateway {
namespace {

namespace fs = std::filesystem;

// Hex digits of the content hash in an asset's name: 64 bits, so that two
// versions of a file never share a name in practice.
constexpr size_t kHashDigits = 16;

absl::StatusOr<std::string> ReadWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A `{{> name}}` tag. Names are the file names of the templates.
const std::regex& PartialTag() {
  static const std::regex tag(R"(\{\{>\s*([A-Za-z0-9_-]+)\s*\}\})");
  return tag;
}

// The maximum depth of partials within partials. A deeper nesting means
// that a partial includes itself.
constexpr int kMaxPartialDepth = 8;

// Returns `name`'s source with every `{{> partial}}` replaced by the
// partial's own expanded source. kainjow renders a partial with the
// including template's context and line state, so the text in place
// renders the same bytes, and the result parses once instead of on every
// inclusion.
absl::StatusOr<std::string> ExpandPartials(
    const std::map<std::string, std::string, std::less<>>& sources, const std::string& name,
    int depth) {
  if (depth > kMaxPartialDepth) {
    return absl::InvalidArgumentError(absl::StrCat("template ", name, " nests partials more than ",
                                                   kMaxPartialDepth,
                                                   " deep; does a partial include itself?"));
  }
  const std::string& source = sources.at(name);
  std::string expanded;
  size_t copied = 0;
  for (std::sregex_iterator it(source.begin(), source.end(), PartialTag()), end; it != end; ++it) {
    absl::StatusOr<std::string> partial = ExpandPartials(sources, (*it)[1].str(), depth + 1);
    if (!partial.ok()) return partial.status();
    absl::StrAppend(&expanded, source.substr(copied, it->position() - copied), *partial);
    copied = it->position() + it->length();
  }
  absl::StrAppend(&expanded, source.substr(copied));
  return expanded;
}

const char* ContentType(const std::string& extension) {
  if (extension == ".css") return "text/css; charset=utf-8";
  if (extension == ".js") return "text/javascript; charset=utf-8";
  if (extension == ".svg") return "image/svg+xml";
  if (extension == ".png") return "image/png";
  if (extension == ".ico") return "image/x-icon";
  if (extension == ".woff2") return "font/woff2";
  return nullptr;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Templates>> Templates::Load(const std::string& folder) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) {
    return absl::NotFoundError(absl::StrCat("template folder ", folder, " does not exist"));
  }
  std::unique_ptr<Templates> templates(new Templates());
  for (const fs::directory_entry& entry : fs::directory_iterator(folder, error)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".mustache") continue;
    absl::StatusOr<std::string> text = ReadWholeFile(entry.path());
    if (!text.ok()) return text.status();
    kainjow::mustache::mustache parsed(*text);
    if (!parsed.is_valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat("template ", entry.path().string(), ": ", parsed.error_message()));
    }
    templates->sources_[entry.path().stem().string()] = *std::move(text);
  }
  if (error)
    return absl::NotFoundError(absl::StrCat("cannot list ", folder, ": ", error.message()));
  if (templates->sources_.empty()) {
    return absl::NotFoundError(
        absl::StrCat("template folder ", folder, " holds no .mustache file"));
  }

  // A missing partial renders as nothing, which would hide a broken page,
  // so every `{{> name}}` must name a template.
  for (const auto& [name, source] : templates->sources_) {
    for (std::sregex_iterator it(source.begin(), source.end(), PartialTag()), end; it != end;
         ++it) {
      std::string partial = (*it)[1].str();
      if (templates->sources_.count(partial) == 0) {
        return absl::InvalidArgumentError(absl::StrCat("template ", name, " includes {{> ", partial,
                                                       "}}, which is not in ", folder));
      }
    }
  }

  // Parsing a template costs more than rendering it, so each one is parsed
  // here, once, with its partials in place.
  for (const auto& [name, source] : templates->sources_) {
    absl::StatusOr<std::string> expanded = ExpandPartials(templates->sources_, name, 0);
    if (!expanded.ok()) return expanded.status();
    auto parsed = std::make_unique<kainjow::mustache::mustache>(*expanded);
    if (!parsed->is_valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat("template ", name, " with its partials: ", parsed->error_message()));
    }
    templates->parsed_.emplace(name, std::move(parsed));
  }
  return templates;
}

absl::StatusOr<std::string> Templates::Render(absl::string_view name, TemplateData data) const {
  auto parsed = parsed_.find(name);
  if (parsed == parsed_.end()) {
    return absl::InternalError(absl::StrCat("no template named ", name));
  }
  // kainjow's render is not const, but it writes to the template only to
  // record an error from a partial or a lambda. Expanded templates hold no
  // partial tags and pages pass no lambdas, so threads share one parse.
  std::string html = parsed->second->render(data);
  if (!parsed->second->is_valid()) {
    return absl::InternalError(
        absl::StrCat("template ", name, ": ", parsed->second->error_message()));
  }
  return html;
}

absl::StatusOr<std::unique_ptr<Assets>> Assets::Load(const std::string& folder) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) {
    return absl::NotFoundError(absl::StrCat("asset folder ", folder, " does not exist"));
  }
  std::unique_ptr<Assets> assets(new Assets());
  for (const fs::directory_entry& entry : fs::directory_iterator(folder, error)) {
    if (!entry.is_regular_file()) continue;
    std::string extension = entry.path().extension().string();
    const char* content_type = ContentType(extension);
    if (content_type == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("asset ", entry.path().string(), " has no known content type"));
    }
    absl::StatusOr<std::string> body = ReadWholeFile(entry.path());
    if (!body.ok()) return body.status();

    std::string hashed = absl::StrCat(entry.path().stem().string(), ".",
                                      crypto::HashToken(*body).substr(0, kHashDigits), extension);
    assets->urls_[entry.path().filename().string()] = absl::StrCat("/assets/", hashed);
    assets->files_[hashed] = Asset{*std::move(body), content_type};
  }
  if (error)
    return absl::NotFoundError(absl::StrCat("cannot list ", folder, ": ", error.message()));
  if (assets->files_.empty()) {
    return absl::NotFoundError(absl::StrCat("asset folder ", folder, " is empty"));
  }
  return assets;
}

std::string Assets::Url(absl::string_view name) const {
  auto it = urls_.find(name);
  return it == urls_.end() ? "" : it->second;
}

const Asset* Assets::Find(absl::string_view path) const {
  auto it = files_.find(path);
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace pp::gateway
