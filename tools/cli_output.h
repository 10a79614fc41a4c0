// How the warehouse CLI prints: aligned tables for people, JSON for
// scripts, times, and a progress bar for long transfers on a terminal.
#ifndef WAREHOUSE_TOOLS_CLI_OUTPUT_H_
#define WAREHOUSE_TOOLS_CLI_OUTPUT_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/json.h"
#include "absl/time/time.h"

namespace warehouse::cli {

// Rows of cells printed with every column padded to its widest cell.
// Columns named in `right_aligned` (numbers, sizes) are aligned right. Not
// thread-safe.
class Table {
 public:
  explicit Table(std::vector<std::string> header,
                 std::vector<size_t> right_aligned = {})
      : header_(std::move(header)), right_aligned_(std::move(right_aligned)) {}

  void AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  size_t size() const { return rows_.size(); }

  // The header (when non-empty) and rows, two spaces between columns, no
  // trailing spaces, one row per line.
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<size_t> right_aligned_;
  std::vector<std::vector<std::string>> rows_;
};

// JSON string literals: common/json.h.
using ::warehouse::JsonString;

// Builds one JSON value incrementally, commas included. Not thread-safe.
//
//   JsonWriter json;
//   json.BeginObject();
//   json.Key("name").String("photos");
//   json.Key("objects").Number(3);
//   json.EndObject();
//   json.str();  // {"name":"photos","objects":3}
class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(absl::string_view key);
  JsonWriter& String(absl::string_view value);
  JsonWriter& Number(uint64_t value);
  JsonWriter& Number(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();

  const std::string& str() const { return out_; }
  // Hands over what was written so far and starts empty, keeping the
  // nesting (to stream a long array in pieces).
  std::string Take();

 private:
  void BeforeValue();

  std::string out_;
  // One entry per open object or array: whether it has an element yet.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

// "2024-05-01 13:45:02" in the local time zone; "-" for the epoch.
std::string FormatLocalTime(absl::Time time);

// `part` of `whole` with one decimal, "33.4%"; "0.0%" when `whole` is 0.
std::string FormatPercent(uint64_t part, uint64_t whole);

// The COMPACTING cell of `warehouse volumes`: "no", "yes", or with how far
// the copy has come, "yes (45.0%)" (at most 100.0%: writes that arrive
// meanwhile are copied too and may take `copied` past `total`).
std::string FormatCompacting(bool compacting, uint64_t copied, uint64_t total);

// A transfer's progress on stderr, redrawn in place at most ten times a
// second: percentage, bar, bytes done and total, rate. Shown only when
// stderr is a terminal and the transfer is at least `threshold` bytes.
// Not thread-safe; used from the transferring thread.
class ProgressBar {
 public:
  static constexpr uint64_t kDefaultThreshold = uint64_t{4} << 20;

  explicit ProgressBar(std::string label,
                       uint64_t threshold = kDefaultThreshold);
  // Finish()es.
  ~ProgressBar() { Finish(); }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void Update(uint64_t done, uint64_t total);
  // Ends the bar's line, if one was drawn, so that what follows starts on
  // a line of its own.
  void Finish();

 private:
  const std::string label_;
  const uint64_t threshold_;
  const bool terminal_;
  const absl::Time started_;
  absl::Time last_draw_ = absl::InfinitePast();
  bool drawn_ = false;
};

}  // namespace warehouse::cli

#endif  // WAREHOUSE_TOOLS_CLI_OUTPUT_H_
