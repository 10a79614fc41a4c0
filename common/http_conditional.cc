#include "common/http_conditional.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace warehouse::http {
namespace {

// The condition fields of a request; a field sent more than once is taken
// as its values joined with ", ", as list fields are.
struct Conditions {
  std::optional<std::string> if_match;
  std::optional<std::string> if_none_match;
  std::optional<std::string> if_modified_since;
  std::optional<std::string> if_unmodified_since;
  std::optional<std::string> if_range;
};

void Add(std::optional<std::string>& field, const std::string& value) {
  if (field) {
    *field += ", " + value;
  } else {
    field = value;
  }
}

// One pass over the header fields: most requests carry none of these.
Conditions Collect(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  Conditions found;
  for (const auto& [name, value] : headers) {
    if (!absl::StartsWithIgnoreCase(name, "if-")) continue;
    if (absl::EqualsIgnoreCase(name, "If-Match")) {
      Add(found.if_match, value);
    } else if (absl::EqualsIgnoreCase(name, "If-None-Match")) {
      Add(found.if_none_match, value);
    } else if (absl::EqualsIgnoreCase(name, "If-Modified-Since")) {
      found.if_modified_since = value;
    } else if (absl::EqualsIgnoreCase(name, "If-Unmodified-Since")) {
      found.if_unmodified_since = value;
    } else if (absl::EqualsIgnoreCase(name, "If-Range")) {
      found.if_range = value;
    }
  }
  return found;
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

Precondition EvaluatePreconditions(
    const std::vector<std::pair<std::string, std::string>>& headers,
    const Validators& validators) {
  const Conditions conditions = Collect(headers);
  const absl::Time modified = WholeSeconds(validators.last_modified);
  if (conditions.if_match) {
    if (!Names(*conditions.if_match, validators.etag, /*weak=*/false)) {
      return Precondition::kFailed;
    }
  } else if (std::optional<absl::Time> since =
                 DateOf(conditions.if_unmodified_since)) {
    if (modified > *since) return Precondition::kFailed;
  }
  if (conditions.if_none_match) {
    if (Names(*conditions.if_none_match, validators.etag, /*weak=*/true)) {
      return Precondition::kNotModified;
    }
  } else if (std::optional<absl::Time> since =
                 DateOf(conditions.if_modified_since)) {
    if (modified <= *since) return Precondition::kNotModified;
  }
  return Precondition::kPass;
}

bool IfRangeHolds(
    const std::vector<std::pair<std::string, std::string>>& headers,
    const Validators& validators) {
  const Conditions conditions = Collect(headers);
  if (!conditions.if_range) return true;
  const absl::string_view value =
      absl::StripAsciiWhitespace(*conditions.if_range);
  if (absl::StartsWith(value, "\"") || absl::StartsWith(value, "W/")) {
    // An entity tag: only a strong one can match.
    return value == validators.etag;
  }
  std::optional<absl::Time> date = DateOf(conditions.if_range);
  return date && *date == WholeSeconds(validators.last_modified);
}

}  // namespace warehouse::http
