#include "tools/cli_credentials.h"

extern char** environ;

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file.h"
#include "common/status_macros.h"
#include "common/tls_credentials.h"

namespace warehouse::cli {
namespace {

std::string Lookup(const std::map<std::string, std::string>& env,
                   const std::string& name) {
  auto it = env.find(name);
  return it == env.end() ? "" : it->second;
}

}  // namespace

absl::StatusOr<CredentialsFile> ParseCredentialsFile(absl::string_view text,
                                                     absl::string_view path) {
  CredentialsFile file;
  std::map<std::string, std::string*> fields = {
      {"access_key_id", &file.access_key_id},
      {"secret_access_key", &file.secret_access_key},
      {"master", &file.master}};
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", number, ": expected name = value"));
    }
    const std::string name(absl::StripAsciiWhitespace(line.substr(0, eq)));
    const std::string value(absl::StripAsciiWhitespace(line.substr(eq + 1)));
    auto field = fields.find(name);
    if (field == fields.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", number, ": unknown name \"", name,
          "\" (expected access_key_id, secret_access_key or master)"));
    }
    if (value.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": ", name, " has no value"));
    }
    if (!field->second->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": ", name, " given twice"));
    }
    *field->second = value;
  }
  return file;
}

absl::StatusOr<CredentialsFile> LoadCredentialsFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return ErrnoToStatus(errno, "stat", path);
  }
  if (st.st_uid != ::getuid()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "credentials file ", path, " belongs to another user; refusing it"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "credentials file %s is accessible by others (mode %04o); refusing "
        "it: run chmod 600 %s",
        path, st.st_mode & 07777, path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return ErrnoToStatus(errno, "open", path);
  std::ostringstream text;
  text << in.rdbuf();
  return ParseCredentialsFile(text.str(), path);
}

std::string DefaultCredentialsPath() {
  const char* config = std::getenv("XDG_CONFIG_HOME");
  if (config != nullptr && config[0] != '\0') {
    return absl::StrCat(config, "/warehouse/credentials");
  }
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] != '\0') {
    return absl::StrCat(home, "/.config/warehouse/credentials");
  }
  return "";
}

absl::StatusOr<Connection> ResolveConnection(
    const std::string& master_flag,
    const std::map<std::string, std::string>& env,
    const std::string& credentials_path) {
  Connection connection;
  connection.master =
      master_flag.empty() ? Lookup(env, "WAREHOUSE_MASTER") : master_flag;
  connection.access_key_id = Lookup(env, "WAREHOUSE_ACCESS_KEY");
  connection.secret_access_key = Lookup(env, "WAREHOUSE_SECRET_KEY");
  if (connection.access_key_id.empty() !=
      connection.secret_access_key.empty()) {
    return absl::FailedPreconditionError(
        "set both WAREHOUSE_ACCESS_KEY and WAREHOUSE_SECRET_KEY, or neither");
  }
  const bool need_keys = connection.access_key_id.empty();
  const bool need_master = connection.master.empty();
  struct stat st;
  const bool file_exists = !credentials_path.empty() &&
                           ::stat(credentials_path.c_str(), &st) == 0;
  if ((need_keys || need_master) && file_exists) {
    absl::StatusOr<CredentialsFile> file =
        LoadCredentialsFile(credentials_path);
    if (!file.ok()) return file.status();
    if (need_keys) {
      if (file->access_key_id.empty() || file->secret_access_key.empty()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "credentials file ", credentials_path,
            " lacks access_key_id or secret_access_key"));
      }
      connection.access_key_id = file->access_key_id;
      connection.secret_access_key = file->secret_access_key;
    }
    if (need_master) connection.master = file->master;
  }
  if (connection.access_key_id.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no access key: set WAREHOUSE_ACCESS_KEY and WAREHOUSE_SECRET_KEY, or "
        "write them to ",
        credentials_path.empty() ? "~/.config/warehouse/credentials"
                                 : credentials_path,
        " (see warehouse --help)"));
  }
  if (connection.master.empty()) connection.master = kDefaultMaster;
  return connection;
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    absl::string_view text(*entry);
    const size_t eq = text.find('=');
    if (eq == absl::string_view::npos) continue;
    env.emplace(std::string(text.substr(0, eq)),
                std::string(text.substr(eq + 1)));
  }
  return env;
}

absl::StatusOr<ClientOptions> ResolveClientOptions(
    const std::string& master_flag, const std::string& tls_ca_flag,
    const std::map<std::string, std::string>& env,
    const std::string& credentials_path) {
  ASSIGN_OR_RETURN(Connection connection,
                   ResolveConnection(master_flag, env, credentials_path));
  ClientOptions options;
  options.master_address = connection.master;
  options.access_key_id = connection.access_key_id;
  options.secret_access_key = connection.secret_access_key;
  std::string tls_ca = tls_ca_flag;
  if (tls_ca.empty()) {
    auto it = env.find("WAREHOUSE_TLS_CA");
    if (it != env.end()) tls_ca = it->second;
  }
  if (!tls_ca.empty()) {
    ASSIGN_OR_RETURN(options.tls_root_certs,
                     ReadPemFile("TLS root certificates", tls_ca));
  }
  return options;
}

}  // namespace warehouse::cli
