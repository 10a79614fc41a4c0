// DashboardApi: buckets and objects. Object bytes never pass through the
// master: the page gets signed URLs and talks to the volume servers.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "master/dashboard_api.h"
#include "master/dashboard_api_util.h"
#include "master/names.h"

namespace warehouse::master {
namespace {

int64_t UnixMillis(absl::Time t) { return absl::ToUnixMillis(t); }

std::string BucketJson(const BucketInfo& bucket) {
  return JsonObject()
      .Add("name", bucket.name)
      .Add("created_unix_ms", UnixMillis(bucket.created))
      .Add("object_count", bucket.object_count)
      .Add("total_bytes", bucket.total_bytes)
      .Close();
}

std::string ObjectJson(const ObjectRecord& object) {
  return JsonObject()
      .Add("key", object.key)
      .Add("size", object.size)
      .Add("etag", object.etag)
      .Add("content_type", object.content_type)
      .Add("created_unix_ms", UnixMillis(object.created))
      .Add("updated_unix_ms", UnixMillis(object.updated))
      .Add("state", ObjectStateName(object.state))
      .Close();
}

// A request under /api/buckets/: the bucket and what follows it.
struct BucketPath {
  std::string bucket;
  std::string action;  // "" for the bucket itself, "objects", ...
};

absl::StatusOr<BucketPath> ParseBucketPath(const http::Request& request,
                                           const Caller& caller) {
  const std::vector<std::string> parts =
      absl::StrSplit(absl::StripPrefix(request.path, "/api/buckets/"),
                     absl::MaxSplits('/', 1));
  BucketPath path;
  path.bucket = parts[0];
  if (parts.size() == 2) path.action = parts[1];
  RETURN_IF_ERROR(CheckBucketAccess(caller, path.bucket));
  return path;
}

absl::Status NoRoute(const http::Request& request) {
  return absl::NotFoundError(
      absl::StrCat("no route for ", request.method, " ", request.path));
}

absl::StatusOr<std::string> RequiredKey(const http::Request& request) {
  std::optional<std::string> key = request.QueryParam("key");
  if (!key.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(request.path, ": query parameter key is required"));
  }
  RETURN_IF_ERROR(ValidateObjectKey(*key));
  return *std::move(key);
}

}  // namespace

absl::StatusOr<std::string> DashboardApi::ListBuckets() {
  ASSIGN_OR_RETURN(const std::vector<BucketInfo> buckets,
                   store_->ListBuckets());
  std::vector<std::string> items;
  for (const BucketInfo& bucket : buckets) items.push_back(BucketJson(bucket));
  return JsonObject().AddRaw("buckets", JsonArray(items)).Close();
}

absl::StatusOr<std::string> DashboardApi::CreateBucket(
    const http::Request& request, const Caller& caller) {
  ASSIGN_OR_RETURN(const FormFields form, ReadForm(request));
  ASSIGN_OR_RETURN(const std::string name, RequiredField(form, "name"));
  RETURN_IF_ERROR(CheckBucketAccess(caller, name));
  RETURN_IF_ERROR(store_->CreateBucket(name));
  ASSIGN_OR_RETURN(const BucketInfo bucket, store_->GetBucket(name));
  return BucketJson(bucket);
}

absl::StatusOr<std::string> DashboardApi::BucketGet(
    const http::Request& request, const Caller& caller) {
  ASSIGN_OR_RETURN(const BucketPath path, ParseBucketPath(request, caller));
  if (path.action.empty()) {
    ASSIGN_OR_RETURN(const BucketInfo bucket, store_->GetBucket(path.bucket));
    return BucketJson(bucket);
  }
  if (path.action == "objects") {
    ListObjectsRequest list;
    list.bucket = path.bucket;
    list.prefix = request.QueryParam("prefix").value_or("");
    list.delimiter = request.QueryParam("delimiter").value_or("");
    list.continuation_token =
        request.QueryParam("continuation_token").value_or("");
    uint64_t page_size = 0;
    if (std::optional<std::string> size = request.QueryParam("page_size");
        size.has_value() && !absl::SimpleAtoi(*size, &page_size)) {
      return absl::InvalidArgumentError(
          absl::StrCat("page_size ", *size, " is not a number"));
    }
    list.max_keys = ListPageSize(page_size);
    ASSIGN_OR_RETURN(const ListObjectsResult page, store_->ListObjects(list));
    std::vector<std::string> objects, prefixes;
    for (const ObjectRecord& object : page.objects) {
      objects.push_back(ObjectJson(object));
    }
    for (const std::string& prefix : page.common_prefixes) {
      prefixes.push_back(JsonString(prefix));
    }
    return JsonObject()
        .AddRaw("objects", JsonArray(objects))
        .AddRaw("prefixes", JsonArray(prefixes))
        .Add("next_continuation_token",
             page.truncated ? page.next_continuation_token : "")
        .Close();
  }
  if (path.action == "object") {
    ASSIGN_OR_RETURN(const std::string key, RequiredKey(request));
    ASSIGN_OR_RETURN(const ObjectRecord object,
                     store_->GetObject(path.bucket, key));
    return ObjectJson(object);
  }
  if (path.action == "download-url") {
    ASSIGN_OR_RETURN(const std::string key, RequiredKey(request));
    ASSIGN_OR_RETURN(const DownloadTicket ticket,
                     urls_->LookupObject(path.bucket, key, std::nullopt));
    return JsonObject()
        .Add("get_url", ticket.get_url)
        .Add("expires_unix_seconds", absl::ToUnixSeconds(ticket.expires))
        .AddRaw("object", ObjectJson(ticket.object))
        .Close();
  }
  return NoRoute(request);
}

absl::StatusOr<std::string> DashboardApi::BucketPost(
    const http::Request& request, const Caller& caller) {
  ASSIGN_OR_RETURN(const BucketPath path, ParseBucketPath(request, caller));
  if (path.action != "uploads") return NoRoute(request);
  ASSIGN_OR_RETURN(const FormFields form, ReadForm(request));
  ASSIGN_OR_RETURN(const std::string key, RequiredField(form, "key"));
  ASSIGN_OR_RETURN(const std::string size_text, RequiredField(form, "size"));
  uint64_t size = 0;
  if (!absl::SimpleAtoi(size_text, &size)) {
    return absl::InvalidArgumentError(
        absl::StrCat("size ", size_text, " is not a number of bytes"));
  }
  std::string content_type = OptionalField(form, "content_type").value_or("");
  if (content_type.empty()) content_type = kDefaultContentType;
  ASSIGN_OR_RETURN(const UploadTicket ticket,
                   urls_->BeginUpload(path.bucket, key, size, content_type));
  return JsonObject()
      .Add("upload_id", ticket.upload_id)
      .Add("file_id", ticket.file_id.ToString())
      .Add("put_url", ticket.put_url)
      .Add("content_type", content_type)
      .Add("expires_unix_seconds", absl::ToUnixSeconds(ticket.expires))
      .Close();
}

absl::StatusOr<std::string> DashboardApi::BucketDelete(
    const http::Request& request, const Caller& caller) {
  ASSIGN_OR_RETURN(const BucketPath path, ParseBucketPath(request, caller));
  if (path.action.empty()) {
    RETURN_IF_ERROR(store_->DeleteBucket(path.bucket));
    return std::string("{}");
  }
  if (path.action == "object") {
    ASSIGN_OR_RETURN(const std::string key, RequiredKey(request));
    RETURN_IF_ERROR(store_->DeleteObject(path.bucket, key));
    return std::string("{}");
  }
  return NoRoute(request);
}

}  // namespace warehouse::master
