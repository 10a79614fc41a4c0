#include "common/http_target.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace warehouse::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool Unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

std::string Encode(absl::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (Unreserved(c) || (keep_slash && c == '/')) {
      out += c;
    } else {
      const auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> PercentDecode(absl::string_view s,
                                          bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      int hi = i + 2 < s.size() ? HexValue(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "'", s, "': bad percent escape at byte ", i));
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string PercentEncode(absl::string_view s) { return Encode(s, false); }

std::string PercentEncodePath(absl::string_view path) {
  return Encode(path, true);
}

absl::Status ParseTarget(absl::string_view target, std::string* path,
                         std::multimap<std::string, std::string>* query) {
  if (target.empty() || target[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "request target '", target, "': must be a path starting with '/'"));
  }
  absl::string_view raw_path = target;
  absl::string_view raw_query;
  size_t question = target.find('?');
  if (question != absl::string_view::npos) {
    raw_path = target.substr(0, question);
    raw_query = target.substr(question + 1);
  }
  ASSIGN_OR_RETURN(*path, PercentDecode(raw_path, /*plus_is_space=*/false));
  if (path->find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("request target '", target, "': NUL byte in the path"));
  }
  return ParseQuery(raw_query, query);
}

absl::Status ParseQuery(absl::string_view raw_query,
                        std::multimap<std::string, std::string>* query) {
  query->clear();
  for (absl::string_view param : absl::StrSplit(raw_query, '&')) {
    if (param.empty()) continue;
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(param, absl::MaxSplits('=', 1));
    ASSIGN_OR_RETURN(std::string name, PercentDecode(kv.first, true));
    ASSIGN_OR_RETURN(std::string value, PercentDecode(kv.second, true));
    query->emplace(std::move(name), std::move(value));
  }
  return absl::OkStatus();
}

}  // namespace warehouse::http
