// Where the warehouse CLI finds the master and the access key.
//
// The credentials file, $XDG_CONFIG_HOME/warehouse/credentials (by default
// ~/.config/warehouse/credentials), holds lines of `name = value`:
//
//   # Warehouse credentials
//   access_key_id = WH4K2Q9ZJ7X1M0B8C6VT
//   secret_access_key = wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12
//   master = 10.0.0.5:9333
//
// `master` is optional. Blank lines and lines starting with '#' are
// ignored; spaces around names and values are too. Like ssh with a private
// key, the CLI refuses a file that its group or others may read or write,
// or that another user owns: chmod 600 it.
//
// Precedence, first found wins: --master, WAREHOUSE_MASTER, the file's
// master, 127.0.0.1:9333; WAREHOUSE_ACCESS_KEY with WAREHOUSE_SECRET_KEY,
// then the file's keys.
#ifndef WAREHOUSE_TOOLS_CLI_CREDENTIALS_H_
#define WAREHOUSE_TOOLS_CLI_CREDENTIALS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "warehouse/client.h"

namespace warehouse::cli {

inline constexpr char kDefaultMaster[] = "127.0.0.1:9333";

struct CredentialsFile {
  std::string access_key_id;
  std::string secret_access_key;
  std::string master;  // empty when the file has none
};

// Parses the text of a credentials file named `path` (for messages).
// Errors: InvalidArgument naming the line: no '=', an unknown or repeated
// name, an empty value.
absl::StatusOr<CredentialsFile> ParseCredentialsFile(absl::string_view text,
                                                     absl::string_view path);

// Reads and parses the file at `path`. Errors: NotFound (no such file);
// PermissionDenied (readable or writable by group or others, or owned by
// another user; the message says how to fix it); those of
// ParseCredentialsFile.
absl::StatusOr<CredentialsFile> LoadCredentialsFile(const std::string& path);

// $XDG_CONFIG_HOME/warehouse/credentials, or
// $HOME/.config/warehouse/credentials; empty when neither is set.
std::string DefaultCredentialsPath();

// What the CLI connects with.
struct Connection {
  std::string master;
  std::string access_key_id;
  std::string secret_access_key;
};

// Resolves the connection by the precedence above from `master_flag`
// (empty when not given), the environment `env` (name to value) and the
// credentials file at `credentials_path` (read only when needed, and only
// if it exists). Errors: FailedPrecondition (no access key anywhere, or
// only one of the two variables); those of LoadCredentialsFile.
absl::StatusOr<Connection> ResolveConnection(
    const std::string& master_flag,
    const std::map<std::string, std::string>& env,
    const std::string& credentials_path);

// This process's environment, name to value.
std::map<std::string, std::string> ProcessEnvironment();

// Client options for the connection ResolveConnection finds, with the PEM
// roots in the file `tls_ca_flag` names, else in WAREHOUSE_TLS_CA (for a
// master, and volume servers, that speak TLS); neither: plaintext to the
// master. Errors: those of ResolveConnection and of reading the roots.
absl::StatusOr<ClientOptions> ResolveClientOptions(
    const std::string& master_flag, const std::string& tls_ca_flag,
    const std::map<std::string, std::string>& env,
    const std::string& credentials_path);

}  // namespace warehouse::cli

#endif  // WAREHOUSE_TOOLS_CLI_CREDENTIALS_H_
