// Fuzzes the key ring text parser, KeyRing::Parse (common/key_ring.h): what
// a server reads from its key file or WAREHOUSE_CLUSTER_KEY at startup.
//
// Input: the key ring text.
//
// Invariants: Parse accepts exactly what an independent reading of the
// documented syntax accepts, with the same keys in the same order; a parsed
// ring has a primary (the first key), distinct valid ids, secrets of 32 to
// 64 bytes, and finds every key by id; formatting its keys and parsing the
// text again gives the same ring; refusals are InvalidArgument and never
// quote a secret.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/crypto.h"
#include "common/key_ring.h"
#include "fuzz/fuzz_check.h"

namespace warehouse::fuzz {
namespace {

// Messages name entries by id, as "(key <id>): ...", so a message may hold
// a run of up to 32 id characters and "):" between spaces, which a secret
// field (split at spaces) can equal by chance. A secret field longer than
// that found in a message is a leaked secret.
constexpr size_t kLeakLength = KeyRing::kMaxKeyIdLength + 3;

struct Entry {
  std::string id;
  std::string secret_text;  // as written, hex
};

// Splits key ring text into its entries as the file comment of
// common/key_ring.h describes: '#' comments to end of line; entries
// separated by whitespace or commas. An entry without ':' is nullopt.
std::vector<std::optional<Entry>> Tokenize(absl::string_view text) {
  std::vector<std::optional<Entry>> entries;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = line.substr(0, line.find('#'));
    for (absl::string_view token :
         absl::StrSplit(line, absl::ByAnyChar(" \t\r,"), absl::SkipEmpty())) {
      const size_t colon = token.find(':');
      if (colon == absl::string_view::npos) {
        entries.push_back(std::nullopt);
      } else {
        entries.push_back(Entry{std::string(token.substr(0, colon)),
                                std::string(token.substr(colon + 1))});
      }
    }
  }
  return entries;
}

bool IsKeyId(absl::string_view id) {
  return !id.empty() && id.size() <= KeyRing::kMaxKeyIdLength &&
         id.find_first_not_of(
             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
             "vwxyz0123456789._-") == absl::string_view::npos;
}

bool IsSecretHex(absl::string_view hex) {
  return hex.size() % 2 == 0 && hex.size() >= 2 * KeyRing::kMinSecretSize &&
         hex.size() <= 2 * KeyRing::kMaxSecretSize &&
         hex.find_first_not_of("0123456789abcdef") == absl::string_view::npos;
}

// Whether the tokenized text is a valid key ring.
bool ReferenceValid(const std::vector<std::optional<Entry>>& entries) {
  if (entries.empty()) return false;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i].has_value() || !IsKeyId(entries[i]->id) ||
        !IsSecretHex(entries[i]->secret_text)) {
      return false;
    }
    for (size_t j = 0; j < i; ++j) {
      if (entries[j]->id == entries[i]->id) return false;
    }
  }
  return true;
}

void CheckRing(const KeyRing& ring,
               const std::vector<std::optional<Entry>>& entries) {
  const std::vector<KeyRing::Key>& keys = ring.keys();
  FUZZ_CHECK(keys.size() == entries.size());
  FUZZ_CHECK(&ring.primary() == &keys.front());
  for (size_t i = 0; i < keys.size(); ++i) {
    FUZZ_CHECK(keys[i].id == entries[i]->id);
    FUZZ_CHECK(HexEncode(keys[i].secret) == entries[i]->secret_text);
    FUZZ_CHECK(ring.Find(keys[i].id) == &keys[i]);
  }
}

void FuzzOneInput(absl::string_view input) {
  const std::vector<std::optional<Entry>> entries = Tokenize(input);
  absl::StatusOr<KeyRing> ring = KeyRing::Parse(input);
  FUZZ_CHECK(ring.ok() == ReferenceValid(entries));
  if (!ring.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(ring.status()));
    for (const std::optional<Entry>& entry : entries) {
      if (!entry.has_value() || entry->secret_text.size() < kLeakLength) {
        continue;
      }
      FUZZ_CHECK(
          !absl::StrContains(ring.status().message(), entry->secret_text));
    }
    return;
  }
  CheckRing(*ring, entries);

  // The text a key file is written in parses back to the same ring.
  std::vector<std::string> lines;
  for (const KeyRing::Key& key : ring->keys()) {
    lines.push_back(FormatKeyRingEntry(key));
  }
  const std::string text = absl::StrJoin(lines, "\n");
  absl::StatusOr<KeyRing> again = KeyRing::Parse(text);
  FUZZ_CHECK_OK(again.status());
  CheckRing(*again, entries);
}

}  // namespace
}  // namespace warehouse::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  warehouse::fuzz::FuzzOneInput(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
