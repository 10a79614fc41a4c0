// warehouse put, get, ls, stat, rm, url
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/file.h"
#include "common/status_macros.h"
#include "common/units.h"
#include "tools/cli_context.h"
#include "tools/cli_output.h"
#include "tools/cli_paths.h"

namespace warehouse::cli {
namespace {

// Reads exactly `size` bytes from standard input for an upload (the size
// --size gave, or that of the file redirected to it), and fails the upload
// before its last byte is sent when more follow.
class StdinSource {
 public:
  explicit StdinSource(uint64_t size) : size_(size) {}

  absl::StatusOr<size_t> Read(char* buf, size_t n) {
    ssize_t got;
    do {
      got = ::read(STDIN_FILENO, buf, n);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
      return absl::UnavailableError(
          absl::StrCat("standard input: ", std::strerror(errno)));
    }
    if (got == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("standard input ended after ", read_, " bytes, not the ",
                       size_, " expected"));
    }
    read_ += static_cast<uint64_t>(got);
    if (read_ == size_) RETURN_IF_ERROR(ExpectEnd());
    return static_cast<size_t>(got);
  }

  // Errors: InvalidArgument when standard input holds another byte.
  absl::Status ExpectEnd() {
    char extra;
    ssize_t more;
    do {
      more = ::read(STDIN_FILENO, &extra, 1);
    } while (more < 0 && errno == EINTR);
    if (more > 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "standard input holds more than the ", size_, " bytes expected"));
    }
    return absl::OkStatus();
  }

 private:
  const uint64_t size_;
  uint64_t read_ = 0;
};

// Standard input of unknown length (a pipe), copied whole to an unnamed
// temporary file, so that the upload can be sent like a file: its size
// known before it starts (the url is signed for it), and sent again if it
// arrives damaged. The file leaves no name behind, however the command
// ends.
class SpooledStdin {
 public:
  // Errors: those of the temporary directory ($TMPDIR, else /tmp), such as
  // ResourceExhausted when it fills, and those of reading standard input.
  static absl::StatusOr<std::unique_ptr<SpooledStdin>> Copy() {
    const char* env = std::getenv("TMPDIR");
    const std::string dir = env != nullptr && *env != '\0' ? env : "/tmp";
    auto failed = [&dir](int err) {
      return absl::Status(
          ErrnoToStatus(err, "", dir).code(),
          absl::StrCat("copying standard input to a temporary file in ", dir,
                       ": ", std::strerror(err),
                       " (set TMPDIR to another directory, or pass --size "
                       "to stream it)"));
    };
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
      // A file system without O_TMPFILE: a named file, unlinked at once.
      std::string name = dir + "/.warehouse-stdin-XXXXXX";
      fd = ::mkostemp(name.data(), O_CLOEXEC);
      if (fd >= 0) ::unlink(name.c_str());
    }
    if (fd < 0) return failed(errno);
    auto spool = std::unique_ptr<SpooledStdin>(new SpooledStdin(fd));
    std::string buffer(1 << 20, '\0');
    while (true) {
      const ssize_t got = ::read(STDIN_FILENO, buffer.data(), buffer.size());
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        return absl::UnavailableError(
            absl::StrCat("standard input: ", std::strerror(errno)));
      }
      if (got == 0) break;
      for (size_t done = 0; done < static_cast<size_t>(got);) {
        const ssize_t n = ::write(fd, buffer.data() + done, got - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return failed(errno);
        done += static_cast<size_t>(n);
      }
    }
    return spool;
  }

  ~SpooledStdin() { ::close(fd_); }
  SpooledStdin(const SpooledStdin&) = delete;
  SpooledStdin& operator=(const SpooledStdin&) = delete;

  // A name that opens the file anew while it is open here.
  std::string path() const { return absl::StrCat("/proc/self/fd/", fd_); }

 private:
  explicit SpooledStdin(int fd) : fd_(fd) {}

  const int fd_;
};

// How many bytes standard input holds when it is a regular file (`put - <
// FILE`): from its current offset to its end. Nullopt for a pipe, a
// terminal or a socket.
std::optional<uint64_t> StdinFileSize() {
  struct stat st;
  if (::fstat(STDIN_FILENO, &st) != 0 || !S_ISREG(st.st_mode)) {
    return std::nullopt;
  }
  const off_t offset = ::lseek(STDIN_FILENO, 0, SEEK_CUR);
  if (offset < 0 || offset > st.st_size) return std::nullopt;
  return static_cast<uint64_t>(st.st_size - offset);
}

// A transfer's progress callback that draws `bar`.
ProgressFunction DrawOn(ProgressBar& bar) {
  return [&bar](uint64_t done, uint64_t total) { bar.Update(done, total); };
}

std::string BaseName(absl::string_view path) {
  while (absl::EndsWith(path, "/") && path.size() > 1) path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  return std::string(slash == absl::string_view::npos ? path
                                                      : path.substr(slash + 1));
}

void AppendObjectJson(JsonWriter& json, const ObjectInfo& object) {
  json.BeginObject()
      .Key("key").String(object.key)
      .Key("size").Number(object.size_bytes)
      .Key("etag").String(object.etag)
      .Key("content_type").String(object.content_type)
      .Key("created_unix_seconds")
      .Number(static_cast<uint64_t>(absl::ToUnixSeconds(object.created)))
      .Key("file_id").String(object.file_id)
      .EndObject();
}

// ---- put ----

struct PutFlags {
  std::string local;
  std::string target;
  std::string content_type;
  std::string size;
  bool recursive = false;
};

// One upload's line, or its JSON object (into `json`, which the caller
// writes out).
void ReportPut(CliContext& context, JsonWriter& json, const ObjectPath& path,
               absl::string_view from, absl::string_view content_type,
               const PutResult& put) {
  if (context.json) {
    json.BeginObject()
        .Key("bucket").String(path.bucket)
        .Key("key").String(path.key)
        .Key("size").Number(put.size_bytes)
        .Key("etag").String(put.etag)
        .Key("content_type").String(std::string(content_type))
        .Key("file_id").String(put.file_id)
        .EndObject();
    return;
  }
  CliContext::Out(absl::StrCat("uploaded ", from, " to ", path.bucket, "/",
                               path.key, " (", FormatBytes(put.size_bytes),
                               ", etag ", put.etag, ")\n"));
}

// The regular files under `dir` (symbolic links to files included; links
// to directories not followed), as paths relative to it with '/' between
// segments, sorted. Errors: those of reading a directory.
absl::StatusOr<std::vector<std::string>> FilesUnder(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code error;
  std::filesystem::recursive_directory_iterator it(dir, error);
  for (; !error && it != std::filesystem::recursive_directory_iterator();
       it.increment(error)) {
    std::error_code kind_error;
    if (std::filesystem::is_regular_file(it->path(), kind_error)) {
      // Lexically: a link is keyed where it is, not where it points.
      files.push_back(it->path().lexically_relative(dir).generic_string());
    }
  }
  if (error) {
    return absl::UnavailableError(absl::StrCat(
        dir, ": reading the directory: ", error.message()));
  }
  std::sort(files.begin(), files.end());
  return files;
}

// put --recursive DIR BUCKET[/FOLDER]: every file under DIR, keyed by its
// path below DIR after FOLDER/. Stops at the first failure; the files
// uploaded before it stay.
absl::Status PutTree(CliContext& context, const PutFlags& flags,
                     ObjectPath path) {
  if (flags.local == "-" || !flags.size.empty()) {
    return absl::InvalidArgumentError(
        "--recursive uploads a directory: not with - or --size");
  }
  if (!std::filesystem::is_directory(flags.local)) {
    return absl::InvalidArgumentError(absl::StrCat(
        flags.local, ": not a directory (--recursive uploads what one "
                     "holds)"));
  }
  path.key = AsFolder(path.key);
  ASSIGN_OR_RETURN(std::vector<std::string> files, FilesUnder(flags.local));
  ASSIGN_OR_RETURN(Client * client, context.client());
  const std::string dir =
      absl::EndsWith(flags.local, "/") ? flags.local : flags.local + "/";
  JsonWriter json;
  if (context.json) json.BeginArray();
  for (const std::string& file : files) {
    const std::string local = dir + file;
    ObjectPath object{path.bucket, path.key + file};
    const std::string content_type = !flags.content_type.empty()
                                         ? flags.content_type
                                         : GuessContentType(file);
    ProgressBar bar(absl::StrCat("put ", object.key));
    PutOptions options;
    options.content_type = content_type;
    options.progress = DrawOn(bar);
    absl::StatusOr<PutResult> put =
        client->PutFile(object.bucket, object.key, local, options);
    bar.Finish();
    if (!put.ok()) {
      if (context.json) CliContext::Out(json.EndArray().Take() + "\n");
      return absl::Status(put.status().code(),
                          absl::StrCat("put ", local, ": ",
                                       put.status().message()));
    }
    ReportPut(context, json, object, local, content_type, *put);
    if (context.json) CliContext::Out(json.Take());
  }
  if (context.json) {
    CliContext::Out(json.EndArray().Take() + "\n");
  } else if (files.empty()) {
    CliContext::Out(absl::StrCat("no files under ", flags.local, "\n"));
  }
  return absl::OkStatus();
}

absl::Status Put(CliContext& context, const PutFlags& flags) {
  ASSIGN_OR_RETURN(ObjectPath path, ParseObjectPath(flags.target, false));
  if (flags.recursive) return PutTree(context, flags, std::move(path));
  if (flags.local != "-" && std::filesystem::is_directory(flags.local)) {
    return absl::InvalidArgumentError(absl::StrCat(
        flags.local, " is a directory: put --recursive uploads the files "
                     "under it"));
  }
  const bool from_stdin = flags.local == "-";
  if (path.key.empty() || absl::EndsWith(path.key, "/")) {
    if (from_stdin) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", flags.target, "\" names no object: write BUCKET/KEY"));
    }
    path.key += BaseName(flags.local);
  }
  if (!from_stdin && !flags.size.empty()) {
    return absl::InvalidArgumentError(
        "--size is only for put - (standard input)");
  }
  const std::string content_type =
      !flags.content_type.empty()
          ? flags.content_type
          : GuessContentType(from_stdin ? path.key : flags.local);
  ASSIGN_OR_RETURN(Client * client, context.client());
  ProgressBar bar(absl::StrCat("put ", path.key));
  PutOptions options;
  options.content_type = content_type;
  options.progress = DrawOn(bar);
  absl::StatusOr<PutResult> put;
  if (from_stdin) {
    std::optional<uint64_t> size = StdinFileSize();
    if (!flags.size.empty()) {
      ASSIGN_OR_RETURN(size, ParseByteSize(flags.size));
    }
    if (!size) {
      // A pipe of unknown length: copied first, then sent like a file.
      ASSIGN_OR_RETURN(std::unique_ptr<SpooledStdin> spool,
                       SpooledStdin::Copy());
      put = client->PutFile(path.bucket, path.key, spool->path(), options);
    } else {
      auto source = std::make_shared<StdinSource>(*size);
      if (*size == 0) RETURN_IF_ERROR(source->ExpectEnd());
      put = client->PutStream(
          path.bucket, path.key, *size,
          [source](char* buf, size_t n) { return source->Read(buf, n); },
          options);
    }
  } else {
    put = client->PutFile(path.bucket, path.key, flags.local, options);
  }
  bar.Finish();
  if (!put.ok()) return put.status();
  JsonWriter json;
  ReportPut(context, json, path, from_stdin ? "standard input" : flags.local,
            content_type, *put);
  if (context.json) CliContext::Out(json.str() + "\n");
  return absl::OkStatus();
}

// ---- get ----

struct GetFlags {
  std::string source;
  std::string local;
  bool recursive = false;
};

// One download's line, or its JSON object (into `json`).
void ReportGet(CliContext& context, JsonWriter& json, const ObjectPath& path,
               const std::string& destination, const ObjectInfo& object) {
  if (context.json) {
    json.BeginObject()
        .Key("bucket").String(path.bucket)
        .Key("key").String(path.key)
        .Key("path").String(destination)
        .Key("size").Number(object.size_bytes)
        .Key("etag").String(object.etag)
        .EndObject();
    return;
  }
  CliContext::Out(absl::StrCat("downloaded ", path.bucket, "/", path.key,
                               " to ", destination, " (",
                               FormatBytes(object.size_bytes), ")\n"));
}

// Calls `each` for every object in `folder` (a bucket and a prefix from
// AsFolder), page by page as they are listed, until it fails. Returns that
// failure, or the listing's; says so on standard output when the folder
// holds nothing (unless printing JSON).
absl::Status ForEachObjectIn(
    CliContext& context, Client* client, const ObjectPath& folder,
    const std::function<absl::Status(const ObjectPath& object)>& each) {
  ListOptions options;
  options.prefix = folder.key;
  absl::Status failed;
  uint64_t count = 0;
  absl::Status listed = client->ListPages(
      folder.bucket, options, [&](const ListPage& page) {
        for (const ObjectInfo& object : page.objects) {
          failed = each(ObjectPath{folder.bucket, object.key});
          if (!failed.ok()) return false;
          ++count;
        }
        return true;
      });
  if (!failed.ok()) return failed;
  if (!listed.ok()) return listed;
  if (count == 0 && !context.json) {
    CliContext::Out(absl::StrCat("no object under ", folder.bucket, "/",
                                 folder.key, "\n"));
  }
  return absl::OkStatus();
}

// get --recursive BUCKET[/FOLDER] [DIRECTORY]: every object under FOLDER/
// into DIRECTORY (default: the current one), its path below the folder
// made of subdirectories there. Stops at the first failure, a key that is
// no such path included; the files written before it stay.
absl::Status GetTree(CliContext& context, const GetFlags& flags) {
  ASSIGN_OR_RETURN(ObjectPath folder, ParseObjectPath(flags.source, false));
  if (flags.local == "-") {
    return absl::InvalidArgumentError(
        "--recursive writes files: not to standard output");
  }
  folder.key = AsFolder(folder.key);
  ASSIGN_OR_RETURN(Client * client, context.client());
  JsonWriter json;
  if (context.json) json.BeginArray();
  absl::Status done = ForEachObjectIn(
      context, client, folder, [&](const ObjectPath& object) -> absl::Status {
        absl::StatusOr<std::string> destination = TreeDownloadPath(
            absl::string_view(object.key).substr(folder.key.size()),
            flags.local);
        if (!destination.ok()) {
          return absl::InvalidArgumentError(absl::StrCat(
              object.bucket, "/", object.key, ": ",
              destination.status().message(),
              "; download it by name: warehouse get BUCKET/KEY FILE"));
        }
        std::error_code error;
        const std::filesystem::path parent =
            std::filesystem::path(*destination).parent_path();
        if (!parent.empty()) std::filesystem::create_directories(parent, error);
        if (error) {
          return absl::FailedPreconditionError(absl::StrCat(
              *destination, ": making its directory: ", error.message()));
        }
        ProgressBar bar(absl::StrCat("get ", object.key));
        GetOptions options;
        options.progress = DrawOn(bar);
        absl::StatusOr<ObjectInfo> got =
            client->GetFile(object.bucket, object.key, *destination, options);
        bar.Finish();
        if (!got.ok()) return got.status();
        ReportGet(context, json, object, *destination, *got);
        if (context.json) CliContext::Out(json.Take());
        return absl::OkStatus();
      });
  if (context.json) CliContext::Out(json.EndArray().Take() + "\n");
  return done;
}

absl::Status Get(CliContext& context, const GetFlags& flags) {
  if (flags.recursive) return GetTree(context, flags);
  ASSIGN_OR_RETURN(ObjectPath path, ParseObjectPath(flags.source, true));
  ASSIGN_OR_RETURN(Client * client, context.client());
  ProgressBar bar(absl::StrCat("get ", path.key));
  GetOptions options;
  options.progress = DrawOn(bar);
  if (flags.local == "-") {
    return client->GetStream(path.bucket, path.key, WriteStdout, options)
        .status();
  }
  ASSIGN_OR_RETURN(std::string destination,
                   DownloadPath(path.key, flags.local));
  absl::StatusOr<ObjectInfo> object =
      client->GetFile(path.bucket, path.key, destination, options);
  bar.Finish();
  if (!object.ok()) return object.status();
  JsonWriter json;
  ReportGet(context, json, path, destination, *object);
  if (context.json) CliContext::Out(json.str() + "\n");
  return absl::OkStatus();
}

// ---- ls ----

struct LsFlags {
  std::string target;
  bool recursive = false;
};

absl::Status ListBucketsForLs(CliContext& context, Client* client) {
  ASSIGN_OR_RETURN(std::vector<BucketInfo> buckets, client->ListBuckets());
  if (context.json) {
    JsonWriter json;
    json.BeginArray();
    for (const BucketInfo& bucket : buckets) {
      json.BeginObject()
          .Key("type").String("bucket")
          .Key("name").String(bucket.name)
          .EndObject();
    }
    json.EndArray();
    CliContext::Out(json.str() + "\n");
    return absl::OkStatus();
  }
  for (const BucketInfo& bucket : buckets) {
    CliContext::Out(absl::StrCat(FormatLocalTime(bucket.created), "  ", bucket.name,
                                 "\n"));
  }
  return absl::OkStatus();
}

absl::Status Ls(CliContext& context, const LsFlags& flags) {
  ASSIGN_OR_RETURN(Client * client, context.client());
  if (flags.target.empty()) return ListBucketsForLs(context, client);
  ASSIGN_OR_RETURN(ObjectPath path, ParseObjectPath(flags.target, false));
  ListOptions options;
  options.prefix = path.key;
  if (!flags.recursive) options.delimiter = "/";
  // Without --recursive names show relative to the "directory" listed,
  // as `ls` and `aws s3 ls` do.
  const size_t shown_from =
      flags.recursive ? 0 : path.key.rfind('/') + 1;  // npos + 1 == 0
  auto shown = [shown_from](const std::string& name) {
    return name.substr(std::min(shown_from, name.size()));
  };
  // Pages are printed as they come, so a huge bucket never sits in
  // memory; JSON is one array written in pieces.
  JsonWriter json;
  if (context.json) json.BeginArray();
  absl::Status listed = client->ListPages(
      path.bucket, options, [&](const ListPage& page) {
        std::string out;
        if (context.json) {
          for (const std::string& prefix : page.common_prefixes) {
            json.BeginObject()
                .Key("type").String("prefix")
                .Key("prefix").String(prefix)
                .EndObject();
          }
          for (const ObjectInfo& object : page.objects) {
            AppendObjectJson(json, object);
          }
          out = json.Take();
        } else {
          for (const std::string& prefix : page.common_prefixes) {
            absl::StrAppendFormat(&out, "%30s %s\n", "PRE", shown(prefix));
          }
          for (const ObjectInfo& object : page.objects) {
            absl::StrAppendFormat(&out, "%s %11s %s\n",
                                  FormatLocalTime(object.created),
                                  FormatBytes(object.size_bytes),
                                  shown(object.key));
          }
        }
        CliContext::Out(out);
        return true;
      });
  if (!listed.ok()) return listed;
  if (context.json) CliContext::Out(json.EndArray().Take() + "\n");
  return absl::OkStatus();
}

// ---- stat, rm ----

absl::Status Stat(CliContext& context, const std::string& target) {
  ASSIGN_OR_RETURN(ObjectPath path, ParseObjectPath(target, true));
  ASSIGN_OR_RETURN(Client * client, context.client());
  ASSIGN_OR_RETURN(ObjectInfo object, client->Stat(path.bucket, path.key));
  if (context.json) {
    JsonWriter json;
    AppendObjectJson(json, object);
    CliContext::Out(json.str() + "\n");
    return absl::OkStatus();
  }
  Table table({});
  table.AddRow({"bucket:", path.bucket});
  table.AddRow({"key:", object.key});
  table.AddRow({"size:", absl::StrCat(object.size_bytes, " bytes (",
                                      FormatBytes(object.size_bytes), ")")});
  table.AddRow({"etag:", object.etag});
  table.AddRow({"content type:", object.content_type});
  table.AddRow({"created:", FormatLocalTime(object.created)});
  table.AddRow({"file id:", object.file_id});
  CliContext::Out(table.Render());
  return absl::OkStatus();
}

struct RmFlags {
  std::string target;
  bool recursive = false;
};

// rm --recursive BUCKET[/FOLDER]: every object under FOLDER/ (every object
// of the bucket without one), page by page as listed. FOLDER is a folder
// even without its trailing '/': "photos/2024" does not reach
// "photos/2024-old/". An object deleted meanwhile by someone else counts
// as deleted; any other failure stops it, and the objects deleted before
// stay deleted.
absl::Status RmTree(CliContext& context, ObjectPath folder) {
  folder.key = AsFolder(folder.key);
  ASSIGN_OR_RETURN(Client * client, context.client());
  JsonWriter json;
  if (context.json) json.BeginObject().Key("deleted").BeginArray();
  absl::Status done = ForEachObjectIn(
      context, client, folder, [&](const ObjectPath& object) -> absl::Status {
        absl::Status status = client->Delete(object.bucket, object.key);
        if (!status.ok() && !absl::IsNotFound(status)) return status;
        if (context.json) {
          json.BeginObject()
              .Key("bucket").String(object.bucket)
              .Key("key").String(object.key)
              .EndObject();
          CliContext::Out(json.Take());
        } else {
          CliContext::Out(
              absl::StrCat("deleted ", object.bucket, "/", object.key, "\n"));
        }
        return absl::OkStatus();
      });
  if (context.json) CliContext::Out(json.EndArray().EndObject().Take() + "\n");
  return done;
}

absl::Status Rm(CliContext& context, const RmFlags& flags) {
  if (flags.recursive) {
    ASSIGN_OR_RETURN(ObjectPath path, ParseObjectPath(flags.target, false));
    return RmTree(context, path);
  }
  ASSIGN_OR_RETURN(ObjectPath path, ParseObjectPath(flags.target, true));
  ASSIGN_OR_RETURN(Client * client, context.client());
  RETURN_IF_ERROR(client->Delete(path.bucket, path.key));
  if (context.json) {
    JsonWriter json;
    json.BeginObject()
        .Key("deleted").BeginObject()
        .Key("bucket").String(path.bucket)
        .Key("key").String(path.key)
        .EndObject()
        .EndObject();
    CliContext::Out(json.str() + "\n");
  } else {
    CliContext::Out(absl::StrCat("deleted ", path.bucket, "/", path.key, "\n"));
  }
  return absl::OkStatus();
}

// ---- url ----

struct UrlFlags {
  std::string target;
  std::string expires;
  bool upload = false;
  std::string size;
  std::string content_type;
};

std::string ShellQuote(absl::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

absl::Status Url(CliContext& context, const UrlFlags& flags) {
  ASSIGN_OR_RETURN(ObjectPath path, ParseObjectPath(flags.target, true));
  // Zero: the master's default lifetime.
  absl::Duration lifetime = absl::ZeroDuration();
  if (!flags.expires.empty() &&
      (!absl::ParseDuration(flags.expires, &lifetime) ||
       lifetime <= absl::ZeroDuration())) {
    return absl::InvalidArgumentError(
        absl::StrCat("--expires ", flags.expires,
                     ": not a positive duration such as 30m or 1h"));
  }
  if (flags.upload == flags.size.empty()) {
    return absl::InvalidArgumentError(
        flags.upload ? "url --upload needs --size: the exact upload size"
                     : "--size is only for url --upload");
  }
  if (!flags.upload && !flags.content_type.empty()) {
    return absl::InvalidArgumentError(
        "--content-type is only for url --upload");
  }
  ASSIGN_OR_RETURN(Client * client, context.client());
  SignedUrl url;
  if (flags.upload) {
    ASSIGN_OR_RETURN(uint64_t size, ParseByteSize(flags.size));
    const std::string content_type = !flags.content_type.empty()
                                         ? flags.content_type
                                         : GuessContentType(path.key);
    ASSIGN_OR_RETURN(url, client->PresignPut(path.bucket, path.key, size,
                                             content_type, lifetime));
  } else {
    ASSIGN_OR_RETURN(url,
                     client->PresignGet(path.bucket, path.key, {}, lifetime));
  }
  if (context.json) {
    JsonWriter json;
    json.BeginObject()
        .Key("method").String(url.method)
        .Key("url").String(url.url)
        .Key("expires_unix_seconds")
        .Number(static_cast<uint64_t>(absl::ToUnixSeconds(url.expires)));
    if (flags.upload) {
      json.Key("size").Number(url.size_bytes)
          .Key("content_type").String(url.content_type);
    }
    json.EndObject();
    CliContext::Out(json.str() + "\n");
    return absl::OkStatus();
  }
  CliContext::Out(url.url + "\n");
  const std::string valid =
      absl::StrCat("valid until ", FormatLocalTime(url.expires));
  if (flags.upload) {
    // curl -T sends the file with its Content-Length and no Content-Type;
    // the volume server then takes the type the url was signed for.
    CliContext::Note(absl::StrCat(
        "upload exactly ", url.size_bytes, " bytes (", url.content_type,
        "), ", valid, ", with:\n  curl -T FILE ", ShellQuote(url.url), "\n"));
  } else {
    CliContext::Note(absl::StrCat(valid, "\n"));
  }
  return absl::OkStatus();
}

}  // namespace

void AddObjectCommands(CLI::App& app, CliContext& context,
                       CommandRunners& runners) {
  auto put_flags = std::make_shared<PutFlags>();
  CLI::App* put = app.add_subcommand(
      "put", "Upload a file (or standard input: -) to BUCKET/KEY");
  put->add_option("LOCAL_FILE", put_flags->local, "File to upload, or -")
      ->required();
  put->add_option("BUCKET/KEY", put_flags->target,
                  "Where to store it; a KEY ending in / (or none) takes the "
                  "file's name")
      ->required();
  put->add_option("--content-type", put_flags->content_type,
                  "Media type (default: guessed from the extension)");
  put->add_flag("--recursive,-r", put_flags->recursive,
                "LOCAL_FILE is a directory: upload every file under it, "
                "keyed by its path below it, in the folder BUCKET/FOLDER");
  put->add_option("--size", put_flags->size,
                  "With -: exactly how many bytes standard input holds "
                  "(e.g. 1048576, 10M), to stream a pipe without copying it "
                  "to a temporary file first");
  runners.emplace_back(put, [&context, put_flags] {
    return Put(context, *put_flags);
  });

  auto get_flags = std::make_shared<GetFlags>();
  CLI::App* get = app.add_subcommand(
      "get", "Download BUCKET/KEY to a file, a directory or standard output "
             "(with --recursive, a folder to a directory)");
  get->add_option("BUCKET/KEY", get_flags->source, "The object")->required();
  get->add_option("LOCAL_FILE", get_flags->local,
                  "File or directory to write (default: the key's last "
                  "segment in the current directory), or - for standard "
                  "output");
  get->add_flag("--recursive,-r", get_flags->recursive,
                "Download every object under the folder BUCKET/FOLDER into "
                "the directory LOCAL_FILE (default: the current one), in "
                "the subdirectories their keys name");
  runners.emplace_back(get, [&context, get_flags] {
    return Get(context, *get_flags);
  });

  auto ls_flags = std::make_shared<LsFlags>();
  CLI::App* ls = app.add_subcommand(
      "ls", "List buckets, or the objects and folders under BUCKET[/PREFIX]");
  ls->add_option("BUCKET/PREFIX", ls_flags->target,
                 "What to list (default: the buckets)");
  ls->add_flag("--recursive,-r", ls_flags->recursive,
               "Every key under the prefix, without folders");
  runners.emplace_back(ls, [&context, ls_flags] {
    return Ls(context, *ls_flags);
  });

  auto stat_target = std::make_shared<std::string>();
  CLI::App* stat = app.add_subcommand("stat", "Show an object's metadata");
  stat->add_option("BUCKET/KEY", *stat_target, "The object")->required();
  runners.emplace_back(stat, [&context, stat_target] {
    return Stat(context, *stat_target);
  });

  auto rm_flags = std::make_shared<RmFlags>();
  CLI::App* rm = app.add_subcommand(
      "rm", "Delete an object, or with --recursive every object in a folder");
  rm->add_option("BUCKET/KEY", rm_flags->target,
                 "The object (with --recursive: BUCKET[/FOLDER])")
      ->required();
  rm->add_flag("--recursive,-r", rm_flags->recursive,
               "Delete every object under the folder (every object of the "
               "bucket when none is given)");
  runners.emplace_back(rm, [&context, rm_flags] {
    return Rm(context, *rm_flags);
  });

  auto url_flags = std::make_shared<UrlFlags>();
  CLI::App* url = app.add_subcommand(
      "url", "Print a signed URL to download BUCKET/KEY (or, with --upload, "
             "to upload it) without credentials");
  url->add_option("BUCKET/KEY", url_flags->target, "The object")->required();
  url->add_option("--expires", url_flags->expires,
                  "How long the url works (e.g. 10m, 24h; default: the "
                  "master's, 15m unless configured; at most its maximum, "
                  "168h unless configured)");
  url->add_flag("--upload", url_flags->upload, "A url to PUT the object");
  url->add_option("--size", url_flags->size,
                  "With --upload: the exact size of the upload");
  url->add_option("--content-type", url_flags->content_type,
                  "With --upload: its media type (default: guessed from the "
                  "key)");
  runners.emplace_back(url, [&context, url_flags] {
    return Url(context, *url_flags);
  });
}

}  // namespace warehouse::cli
