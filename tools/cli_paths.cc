#include "tools/cli_paths.h"

#include <sys/stat.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace warehouse::cli {
namespace {

struct TypeByExtension {
  const char* extension;
  const char* type;
};

constexpr TypeByExtension kTypes[] = {
    {"aac", "audio/aac"},
    {"avif", "image/avif"},
    {"bmp", "image/bmp"},
    {"bz2", "application/x-bzip2"},
    {"css", "text/css"},
    {"csv", "text/csv"},
    {"flac", "audio/flac"},
    {"gif", "image/gif"},
    {"gz", "application/gzip"},
    {"heic", "image/heic"},
    {"htm", "text/html"},
    {"html", "text/html"},
    {"ico", "image/vnd.microsoft.icon"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"js", "text/javascript"},
    {"json", "application/json"},
    {"md", "text/markdown"},
    {"mjs", "text/javascript"},
    {"mkv", "video/x-matroska"},
    {"mov", "video/quicktime"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"ogg", "audio/ogg"},
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"svg", "image/svg+xml"},
    {"tar", "application/x-tar"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"txt", "text/plain"},
    {"wasm", "application/wasm"},
    {"wav", "audio/wav"},
    {"webm", "video/webm"},
    {"webp", "image/webp"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"xml", "application/xml"},
    {"xz", "application/x-xz"},
    {"yaml", "application/yaml"},
    {"yml", "application/yaml"},
    {"zip", "application/zip"},
    {"zst", "application/zstd"},
};

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

absl::StatusOr<ObjectPath> ParseObjectPath(absl::string_view text,
                                           bool require_key) {
  const size_t slash = text.find('/');
  ObjectPath path;
  path.bucket = std::string(text.substr(0, slash));
  if (slash != absl::string_view::npos) {
    path.key = std::string(text.substr(slash + 1));
  }
  if (path.bucket.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\" names no bucket: write BUCKET/KEY"));
  }
  if (require_key && path.key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\" names no object: write BUCKET/KEY"));
  }
  return path;
}

namespace {

// Whether `segment` of a key can name a file or directory: not empty, "."
// or "..".
bool NamesAFile(absl::string_view segment) {
  return !segment.empty() && segment != "." && segment != "..";
}

}  // namespace

std::string AsFolder(absl::string_view key) {
  if (key.empty() || absl::EndsWith(key, "/")) return std::string(key);
  return absl::StrCat(key, "/");
}

absl::StatusOr<std::string> KeyFileName(absl::string_view key) {
  const size_t slash = key.rfind('/');
  absl::string_view name =
      slash == absl::string_view::npos ? key : key.substr(slash + 1);
  if (!NamesAFile(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key \"", key, "\" does not end in a file name: give LOCAL_FILE"));
  }
  return std::string(name);
}

absl::StatusOr<std::string> DownloadPath(absl::string_view key,
                                         absl::string_view local) {
  if (local.empty()) return KeyFileName(key);
  std::string dir(local);
  if (absl::EndsWith(local, "/") || IsDirectory(dir)) {
    absl::StatusOr<std::string> name = KeyFileName(key);
    if (!name.ok()) return name.status();
    if (!absl::EndsWith(dir, "/")) dir += '/';
    return absl::StrCat(dir, *name);
  }
  return dir;
}

absl::StatusOr<std::string> TreeDownloadPath(absl::string_view relative,
                                             absl::string_view dir) {
  for (absl::string_view segment : absl::StrSplit(relative, '/')) {
    if (!NamesAFile(segment)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", relative, "\" is not a path of files and directories (an "
          "empty, . or .. segment)"));
    }
  }
  if (dir.empty()) return std::string(relative);
  return absl::StrCat(dir, absl::EndsWith(dir, "/") ? "" : "/", relative);
}

std::string GuessContentType(absl::string_view file_name) {
  const size_t slash = file_name.rfind('/');
  if (slash != absl::string_view::npos) file_name.remove_prefix(slash + 1);
  const size_t dot = file_name.rfind('.');
  if (dot == absl::string_view::npos || dot == 0) {
    return "application/octet-stream";
  }
  const std::string extension =
      absl::AsciiStrToLower(file_name.substr(dot + 1));
  for (const TypeByExtension& entry : kTypes) {
    if (extension == entry.extension) return entry.type;
  }
  return "application/octet-stream";
}

}  // namespace warehouse::cli
