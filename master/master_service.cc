// MasterService: authorization, buckets and objects.
#include "master/master_service.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/crash_point.h"
#include "common/grpc_auth.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "master/names.h"
#include "master/proto_conversions.h"

namespace warehouse::master {

MasterService::MasterService(AccessKeys* keys, MetadataStore* store,
                             Topology* topology, UrlIssuer* urls,
                             CompactionScheduler* compactions,
                             ReadOnlySwitch* read_only,
                             ConsistencyChecker* checker,
                             VolumeVerifier* verifier, MetadataBackup* backup,
                             VolumeMover* mover)
    : keys_(keys),
      store_(store),
      topology_(topology),
      urls_(urls),
      compactions_(compactions),
      read_only_(read_only),
      checker_(checker),
      verifier_(verifier),
      backup_(backup),
      mover_(mover) {}

absl::StatusOr<Caller> MasterService::Authorize(
    const grpc::ServerContext& context, absl::string_view method,
    Right right) const {
  ASSIGN_OR_RETURN(
      Caller caller,
      keys_->Authenticate(
          context, FullMethodName(v1::Master::service_full_name(), method)));
  RETURN_IF_ERROR(CheckRight(caller, method, right));
  return caller;
}

grpc::Status MasterService::CreateBucket(grpc::ServerContext* context,
                                         const v1::CreateBucketRequest* request,
                                         v1::CreateBucketResponse* response) {
  return ToGrpcStatus([&]() -> absl::Status {
    ASSIGN_OR_RETURN(const Caller caller,
                     Authorize(*context, "CreateBucket", Right::kWrite));
    RETURN_IF_ERROR(CheckBucketAccess(caller, request->bucket()));
    RETURN_IF_ERROR(store_->CreateBucket(request->bucket()));
    ASSIGN_OR_RETURN(const BucketInfo bucket,
                     store_->GetBucket(request->bucket()));
    *response->mutable_bucket() = ToProto(bucket);
    return absl::OkStatus();
  }());
}

grpc::Status MasterService::ListBuckets(grpc::ServerContext* context,
                                        const v1::ListBucketsRequest*,
                                        v1::ListBucketsResponse* response) {
  return ToGrpcStatus([&]() -> absl::Status {
    ASSIGN_OR_RETURN(const Caller caller,
                     Authorize(*context, "ListBuckets", Right::kRead));
    ASSIGN_OR_RETURN(const std::vector<BucketInfo> buckets,
                     store_->ListBuckets());
    for (const BucketInfo& bucket : buckets) {
      if (caller.MayUseBucket(bucket.name)) {
        *response->add_buckets() = ToProto(bucket);
      }
    }
    return absl::OkStatus();
  }());
}

grpc::Status MasterService::DeleteBucket(grpc::ServerContext* context,
                                         const v1::DeleteBucketRequest* request,
                                         v1::DeleteBucketResponse*) {
  return ToGrpcStatus([&]() -> absl::Status {
    ASSIGN_OR_RETURN(const Caller caller,
                     Authorize(*context, "DeleteBucket", Right::kWrite));
    RETURN_IF_ERROR(CheckBucketAccess(caller, request->bucket()));
    return store_->DeleteBucket(request->bucket());
  }());
}

grpc::Status MasterService::BeginUpload(grpc::ServerContext* context,
                                        const v1::BeginUploadRequest* request,
                                        v1::BeginUploadResponse* response) {
  return ToGrpcStatus([&]() -> absl::Status {
    ASSIGN_OR_RETURN(const Caller caller,
                     Authorize(*context, "BeginUpload", Right::kWrite));
    RETURN_IF_ERROR(CheckBucketAccess(caller, request->bucket()));
    ASSIGN_OR_RETURN(
        const UploadTicket ticket,
        urls_->BeginUpload(request->bucket(), request->key(),
                           request->size_bytes(), request->content_type(),
                           absl::Seconds(request->url_lifetime_seconds())));
    response->set_upload_id(ticket.upload_id);
    response->set_file_id(ticket.file_id.ToString());
    response->set_put_url(ticket.put_url);
    response->set_expires_unix_seconds(absl::ToUnixSeconds(ticket.expires));
    return absl::OkStatus();
  }());
}

grpc::Status MasterService::LookupObject(grpc::ServerContext* context,
                                         const v1::LookupObjectRequest* request,
                                         v1::LookupObjectResponse* response) {
  return ToGrpcStatus([&]() -> absl::Status {
    ASSIGN_OR_RETURN(const Caller caller,
                     Authorize(*context, "LookupObject", Right::kRead));
    RETURN_IF_ERROR(CheckBucketAccess(caller, request->bucket()));
    std::optional<ByteRange> range;
    if (request->has_range()) {
      range = ByteRange{request->range().first(), request->range().last()};
    }
    ASSIGN_OR_RETURN(
        const DownloadTicket ticket,
        urls_->LookupObject(request->bucket(), request->key(), range,
                            absl::Seconds(request->url_lifetime_seconds())));
    response->set_get_url(ticket.get_url);
    response->set_expires_unix_seconds(absl::ToUnixSeconds(ticket.expires));
    *response->mutable_object() = ToProto(ticket.object);
    if (ticket.range.has_value()) {
      response->mutable_range()->set_first(ticket.range->first);
      response->mutable_range()->set_last(ticket.range->last);
    }
    return absl::OkStatus();
  }());
}

grpc::Status MasterService::StatObject(grpc::ServerContext* context,
                                       const v1::StatObjectRequest* request,
                                       v1::StatObjectResponse* response) {
  return ToGrpcStatus([&]() -> absl::Status {
    ASSIGN_OR_RETURN(const Caller caller,
                     Authorize(*context, "StatObject", Right::kRead));
    RETURN_IF_ERROR(CheckBucketAccess(caller, request->bucket()));
    RETURN_IF_ERROR(ValidateObjectKey(request->key()));
    ASSIGN_OR_RETURN(const ObjectRecord object,
                     store_->GetObject(request->bucket(), request->key()));
    *response->mutable_object() = ToProto(object);
    return absl::OkStatus();
  }());
}

grpc::Status MasterService::DeleteObject(grpc::ServerContext* context,
                                         const v1::DeleteObjectRequest* request,
                                         v1::DeleteObjectResponse*) {
  return ToGrpcStatus([&]() -> absl::Status {
    ASSIGN_OR_RETURN(const Caller caller,
                     Authorize(*context, "DeleteObject", Right::kWrite));
    RETURN_IF_ERROR(CheckBucketAccess(caller, request->bucket()));
    RETURN_IF_ERROR(ValidateObjectKey(request->key()));
    RETURN_IF_ERROR(store_->DeleteObject(request->bucket(), request->key()));
    CRASH_POINT(kMasterDeleteBeforeAnswer);
    return absl::OkStatus();
  }());
}

grpc::Status MasterService::ListObjects(grpc::ServerContext* context,
                                        const v1::ListObjectsRequest* request,
                                        v1::ListObjectsResponse* response) {
  return ToGrpcStatus([&]() -> absl::Status {
    ASSIGN_OR_RETURN(const Caller caller,
                     Authorize(*context, "ListObjects", Right::kRead));
    RETURN_IF_ERROR(CheckBucketAccess(caller, request->bucket()));
    ListObjectsRequest list;
    list.bucket = request->bucket();
    list.prefix = request->prefix();
    list.delimiter = request->delimiter();
    list.max_keys = ListPageSize(request->page_size());
    list.continuation_token = request->continuation_token();
    ASSIGN_OR_RETURN(const ListObjectsResult page, store_->ListObjects(list));
    for (const ObjectRecord& object : page.objects) {
      *response->add_objects() = ToProto(object);
    }
    for (const std::string& prefix : page.common_prefixes) {
      response->add_common_prefixes(prefix);
    }
    if (page.truncated) {
      response->set_next_continuation_token(page.next_continuation_token);
    }
    return absl::OkStatus();
  }());
}

}  // namespace warehouse::master
