// Names on the warehouse command line: "BUCKET/KEY" object paths, the
// local file a download lands in, and media types guessed from file names.
#ifndef WAREHOUSE_TOOLS_CLI_PATHS_H_
#define WAREHOUSE_TOOLS_CLI_PATHS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warehouse::cli {

struct ObjectPath {
  std::string bucket;
  std::string key;  // may be empty when the caller allows it
};

// Splits "BUCKET/KEY" at the first '/'; the key keeps any further '/'.
// "BUCKET" alone (or "BUCKET/") has an empty key. Errors: InvalidArgument
// for an empty bucket, or an empty key when `require_key`.
absl::StatusOr<ObjectPath> ParseObjectPath(absl::string_view text,
                                           bool require_key);

// The prefix of the objects in folder `key`: `key` with a trailing '/'
// (added when missing), or "" (every object of the bucket). The recursive
// commands take a folder this way, so that "photos/2024" never reaches
// "photos/2024-old/".
std::string AsFolder(absl::string_view key);

// The last '/'-separated segment of `key`: the name a download takes.
// Errors: InvalidArgument when it is empty, "." or "..", which name no
// file (a key ending in '/', or "a/..").
absl::StatusOr<std::string> KeyFileName(absl::string_view key);

// Where `warehouse get` writes the object `key`, given the LOCAL argument
// (`local`, empty when omitted):
//   - omitted: KeyFileName(key) in the current directory;
//   - an existing directory, or ending in '/': KeyFileName(key) in it;
//   - anything else: `local` itself, the name the user chose.
// So the key decides at most a file name inside the directory, never the
// directory: "../../etc/passwd" lands as "passwd". Errors: those of
// KeyFileName.
absl::StatusOr<std::string> DownloadPath(absl::string_view key,
                                         absl::string_view local);

// Where `warehouse get --recursive` writes an object whose key, below the
// folder downloaded, is `relative`: that path inside `dir` (the current
// directory when empty). Each of its
// '/'-separated segments becomes a directory or the file name, so none may
// be empty, "." or "..": the key chooses a path inside `dir`, never one
// outside it. Errors: InvalidArgument naming the key otherwise.
absl::StatusOr<std::string> TreeDownloadPath(absl::string_view relative,
                                             absl::string_view dir);

// The media type for a file name's extension (case-insensitive), from a
// small table of common types; "application/octet-stream" otherwise.
std::string GuessContentType(absl::string_view file_name);

}  // namespace warehouse::cli

#endif  // WAREHOUSE_TOOLS_CLI_PATHS_H_
