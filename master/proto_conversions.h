// Conversions between the master's domain records and the messages of
// proto/warehouse/master.proto, shared by the Master and Cluster services.
#ifndef WAREHOUSE_MASTER_PROTO_CONVERSIONS_H_
#define WAREHOUSE_MASTER_PROTO_CONVERSIONS_H_

#include "master/compaction_scheduler.h"
#include "master/consistency_check.h"
#include "master/metadata_records.h"
#include "master/topology.h"
#include "proto/warehouse/common.pb.h"
#include "proto/warehouse/master.pb.h"

namespace warehouse::master {

VolumeView FromProto(const v1::VolumeStatus& status);
ServerReport FromProto(const v1::HeartbeatReport& report);
ServerRegistration FromProto(const v1::Registration& registration);

v1::VolumeStatus ToProto(const VolumeView& volume);
v1::ServerInfo ToProto(const ServerView& server);
v1::BucketInfo ToProto(const BucketInfo& bucket);
v1::ObjectInfo ToProto(const ObjectRecord& object);
// ROLE_UNSPECIFIED for a role the Master API has no name for (read-only
// keys, which this master never creates).
v1::Role ToProto(AccessRole role);
v1::AccessKeyInfo ToProto(const AccessKey& key);
v1::CheckConsistencyResponse ToProto(const ConsistencyReport& report);
v1::CompactionRecord ToProto(
    const CompactionScheduler::VolumeCompaction& compaction);
v1::VerificationRecord ToProto(const VerificationRecord& verification);

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_PROTO_CONVERSIONS_H_
