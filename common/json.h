// JSON string literals for text that may hold anything a client sent, and
// a writer for the small JSON objects the HTTP APIs answer with.
#ifndef WAREHOUSE_COMMON_JSON_H_
#define WAREHOUSE_COMMON_JSON_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace warehouse {

// Length of the valid UTF-8 sequence at the start of `s` (1 to 4), or 0 if
// there is none (a stray continuation byte, an overlong form, a surrogate,
// a truncated sequence). REQUIRES: !s.empty().
size_t Utf8SequenceLength(absl::string_view s);

// A JSON string literal for `s`, quotes included. Control characters are
// escaped and invalid UTF-8 becomes U+FFFD, so the result always parses.
std::string JsonString(absl::string_view s);

// Builds one JSON object, field by field, in the order added:
//
//   JsonObject o;
//   o.Add("name", "photos").Add("objects", int64_t{3});
//   o.AddRaw("tags", "[]");
//   std::string text = o.Close();  // {"name":"photos","objects":3,"tags":[]}
//
// Not thread-safe; a value type.
class JsonObject {
 public:
  JsonObject& Add(absl::string_view name, absl::string_view value);
  JsonObject& Add(absl::string_view name, const char* value) {
    return Add(name, absl::string_view(value));
  }
  JsonObject& Add(absl::string_view name, int64_t value);
  JsonObject& Add(absl::string_view name, uint64_t value);
  JsonObject& Add(absl::string_view name, int value) {
    return Add(name, static_cast<int64_t>(value));
  }
  JsonObject& Add(absl::string_view name, uint32_t value) {
    return Add(name, static_cast<uint64_t>(value));
  }
  JsonObject& Add(absl::string_view name, bool value);
  // `json` must be a complete JSON value (an object, array, null...).
  JsonObject& AddRaw(absl::string_view name, absl::string_view json);
  // The object's text; the object is empty again afterwards.
  std::string Close();

 private:
  void Name(absl::string_view name);
  std::string text_ = "{";
};

// A JSON array of already-encoded values.
std::string JsonArray(const std::vector<std::string>& values);

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_JSON_H_
