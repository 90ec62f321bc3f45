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

// Template data whose lookups fall back to the partials for `{{> name}}`.
class PartialContext : public kainjow::mustache::context<std::string> {
 public:
  PartialContext(const TemplateData* data, const std::map<std::string, TemplateData>& partials)
      : kainjow::mustache::context<std::string>(data), partials_(partials) {}

  const TemplateData* get_partial(const std::string& name) const override {
    auto it = partials_.find(name);
    return it == partials_.end() ? nullptr : &it->second;
  }

 private:
  const std::map<std::string, TemplateData>& partials_;
};

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
  static const std::regex kPartialTag(R"(\{\{>\s*([A-Za-z0-9_-]+)\s*\}\})");
  for (const auto& [name, source] : templates->sources_) {
    for (std::sregex_iterator it(source.begin(), source.end(), kPartialTag), end; it != end; ++it) {
      std::string partial = (*it)[1].str();
      if (templates->sources_.count(partial) == 0) {
        return absl::InvalidArgumentError(absl::StrCat("template ", name, " includes {{> ", partial,
                                                       "}}, which is not in ", folder));
      }
    }
    templates->partials_.emplace(name, TemplateData(source));
  }
  return templates;
}

absl::StatusOr<std::string> Templates::Render(absl::string_view name, TemplateData data) const {
  auto source = sources_.find(name);
  if (source == sources_.end()) {
    return absl::InternalError(absl::StrCat("no template named ", name));
  }
  kainjow::mustache::mustache parsed(source->second);
  PartialContext context(&data, partials_);
  std::string html = parsed.render(context);
  if (!parsed.is_valid()) {
    return absl::InternalError(absl::StrCat("template ", name, ": ", parsed.error_message()));
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
