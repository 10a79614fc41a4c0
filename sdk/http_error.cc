#include "sdk/http_error.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace warehouse {
namespace {

// Appends `cp` to `out` as UTF-8.
void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// A minimal reader for the flat JSON objects of error bodies: string keys,
// and values that are strings, numbers, booleans or null.
class FlatJsonReader {
 public:
  explicit FlatJsonReader(absl::string_view text) : text_(text) {}

  std::optional<std::string> Find(absl::string_view field) {
    if (!Consume('{')) return std::nullopt;
    if (Consume('}')) return std::nullopt;
    while (true) {
      std::optional<std::string> key = String();
      if (!key || !Consume(':')) return std::nullopt;
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == '"') {
        std::optional<std::string> value = String();
        if (!value) return std::nullopt;
        if (*key == field) return value;
      } else if (!Scalar()) {
        return std::nullopt;
      }
      if (Consume(',')) continue;
      return std::nullopt;  // '}' or garbage: the field is not there
    }
  }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() &&
           absl::ascii_isspace(static_cast<unsigned char>(text_[pos_]))) {
      ++pos_;
    }
  }

  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  // A number, true, false or null.
  bool Scalar() {
    const size_t start = pos_;
    while (pos_ < text_.size() &&
           (absl::ascii_isalnum(static_cast<unsigned char>(text_[pos_])) ||
            text_[pos_] == '-' || text_[pos_] == '+' || text_[pos_] == '.')) {
      ++pos_;
    }
    return pos_ > start;
  }

  std::optional<std::string> String() {
    if (!Consume('"')) return std::nullopt;
    std::string out;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) return std::nullopt;
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          uint32_t cp;
          if (pos_ + 4 > text_.size() ||
              !absl::SimpleHexAtoi(text_.substr(pos_, 4), &cp)) {
            return std::nullopt;
          }
          pos_ += 4;
          AppendUtf8(cp, &out);  // surrogates are not produced by servers
          break;
        }
        default:
          return std::nullopt;
      }
    }
    return std::nullopt;
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

std::optional<absl::StatusCode> ParseStatusCodeName(absl::string_view name) {
  for (int code = 1; code <= 16; ++code) {
    const auto status_code = static_cast<absl::StatusCode>(code);
    if (absl::StatusCodeToString(status_code) == name) return status_code;
  }
  return std::nullopt;
}

}  // namespace

absl::StatusCode StatusCodeForHttp(int http_status) {
  switch (http_status) {
    case 400:
    case 411:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 409:
      return absl::StatusCode::kFailedPrecondition;
    case 413:
    case 416:
      return absl::StatusCode::kOutOfRange;
    case 429:
    case 507:
      return absl::StatusCode::kResourceExhausted;
    case 501:
      return absl::StatusCode::kUnimplemented;
    case 502:
    case 503:
      return absl::StatusCode::kUnavailable;
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      return http_status >= 400 && http_status < 500
                 ? absl::StatusCode::kInvalidArgument
                 : absl::StatusCode::kInternal;
  }
}

absl::Status StatusFromHttpError(absl::string_view context, int http_status,
                                 absl::string_view body) {
  std::optional<std::string> code_name =
      FlatJsonReader(body).Find("code");
  std::optional<absl::StatusCode> code;
  if (code_name) code = ParseStatusCodeName(*code_name);
  std::optional<std::string> message = FlatJsonReader(body).Find("error");
  std::string text =
      message ? *message : absl::StrCat("HTTP ", http_status);
  return absl::Status(code.value_or(StatusCodeForHttp(http_status)),
                      absl::StrCat(context, ": ", text));
}

std::optional<std::string> JsonStringFieldForTesting(absl::string_view body,
                                                     absl::string_view field) {
  return FlatJsonReader(body).Find(field);
}

}  // namespace warehouse
