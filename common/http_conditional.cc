#include "common/http_conditional.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace warehouse::http {
namespace {

void Add(std::optional<std::string>& field, const std::string& value) {
  if (field) {
    *field += ", " + value;
  } else {
    field = value;
  }
}

// Whether the list of entity tags `field` ("*", or tags separated by
// commas) names `etag`. Weak comparison ignores a "W/" on either side;
// strong comparison matches only strong tags.
bool Names(absl::string_view field, absl::string_view etag, bool weak) {
  field = absl::StripAsciiWhitespace(field);
  if (field == "*") return true;
  for (absl::string_view tag : absl::StrSplit(field, ',')) {
    tag = absl::StripAsciiWhitespace(tag);
    if (absl::ConsumePrefix(&tag, "W/") && !weak) continue;
    if (tag == etag) return true;
  }
  return false;
}

// The field's date, when it parses.
std::optional<absl::Time> DateOf(const std::optional<std::string>& field) {
  absl::Time time;
  if (!field || !ParseHttpDate(*field, &time)) return std::nullopt;
  return time;
}

absl::Time WholeSeconds(absl::Time time) {
  return absl::FromUnixSeconds(absl::ToUnixSeconds(time));
}

}  // namespace

bool ParseHttpDate(absl::string_view text, absl::Time* time) {
  const std::string value(absl::StripAsciiWhitespace(text));
  std::string error;
  for (const char* format : {
           "%a, %d %b %Y %H:%M:%S GMT",  // IMF-fixdate
           "%A, %d-%b-%y %H:%M:%S GMT",  // RFC 850
           "%a %b %e %H:%M:%S %Y",       // asctime
       }) {
    if (absl::ParseTime(format, value, absl::UTCTimeZone(), time, &error)) {
      return true;
    }
  }
  return false;
}

ConditionalRequest::ConditionalRequest(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& [name, value] : headers) {
    if (!absl::StartsWithIgnoreCase(name, "if-")) continue;
    if (absl::EqualsIgnoreCase(name, "If-Match")) {
      Add(if_match_, value);
    } else if (absl::EqualsIgnoreCase(name, "If-None-Match")) {
      Add(if_none_match_, value);
    } else if (absl::EqualsIgnoreCase(name, "If-Modified-Since")) {
      if_modified_since_ = value;
    } else if (absl::EqualsIgnoreCase(name, "If-Unmodified-Since")) {
      if_unmodified_since_ = value;
    } else if (absl::EqualsIgnoreCase(name, "If-Range")) {
      if_range_ = value;
    }
  }
}

Precondition ConditionalRequest::Evaluate(const Validators& validators) const {
  const absl::Time modified = WholeSeconds(validators.last_modified);
  if (if_match_) {
    if (!Names(*if_match_, validators.etag, /*weak=*/false)) {
      return Precondition::kFailed;
    }
  } else if (std::optional<absl::Time> since = DateOf(if_unmodified_since_)) {
    if (modified > *since) return Precondition::kFailed;
  }
  if (if_none_match_) {
    if (Names(*if_none_match_, validators.etag, /*weak=*/true)) {
      return Precondition::kNotModified;
    }
  } else if (std::optional<absl::Time> since = DateOf(if_modified_since_)) {
    if (modified <= *since) return Precondition::kNotModified;
  }
  return Precondition::kPass;
}

bool ConditionalRequest::RangeHolds(const Validators& validators) const {
  if (!if_range_) return true;
  const absl::string_view value = absl::StripAsciiWhitespace(*if_range_);
  if (absl::StartsWith(value, "\"") || absl::StartsWith(value, "W/")) {
    // An entity tag: only a strong one can match.
    return value == validators.etag;
  }
  std::optional<absl::Time> date = DateOf(if_range_);
  return date && *date == WholeSeconds(validators.last_modified);
}

}  // namespace warehouse::http
