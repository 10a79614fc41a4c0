// Conversions between the master's protocol messages and the SDK's public
// value types (warehouse/types.h), which keep protobuf out of the API.
#ifndef WAREHOUSE_SDK_PROTO_CONVERT_H_
#define WAREHOUSE_SDK_PROTO_CONVERT_H_

#include "proto/warehouse/master.pb.h"
#include "warehouse/types.h"

namespace warehouse {

BucketInfo FromProto(const v1::BucketInfo& bucket);
ObjectInfo FromProto(const v1::ObjectInfo& object);
ServerInfo FromProto(const v1::ServerInfo& server);
VolumeInfo FromProto(const v1::VolumeInfo& volume);
// Keys of a role this client does not know are shown as read-write, the
// lesser right.
AccessKeyInfo FromProto(const v1::AccessKeyInfo& key);

v1::Role ToProto(AccessKeyRole role);

}  // namespace warehouse

#endif  // WAREHOUSE_SDK_PROTO_CONVERT_H_
