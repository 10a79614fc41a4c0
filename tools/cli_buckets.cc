// warehouse bucket create|list|delete
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/units.h"
#include "tools/cli_context.h"
#include "tools/cli_output.h"

namespace warehouse::cli {
namespace {

absl::Status CreateBucket(CliContext& context, const std::string& name) {
  ASSIGN_OR_RETURN(Client * client, context.client());
  RETURN_IF_ERROR(client->CreateBucket(name));
  if (context.json) {
    JsonWriter json;
    json.BeginObject().Key("bucket").String(name).EndObject();
    CliContext::Out(json.str() + "\n");
  } else {
    CliContext::Out(absl::StrCat("created bucket ", name, "\n"));
  }
  return absl::OkStatus();
}

absl::Status ListBuckets(CliContext& context) {
  ASSIGN_OR_RETURN(Client * client, context.client());
  ASSIGN_OR_RETURN(std::vector<BucketInfo> buckets, client->ListBuckets());
  if (context.json) {
    JsonWriter json;
    json.BeginArray();
    for (const BucketInfo& bucket : buckets) {
      json.BeginObject()
          .Key("name").String(bucket.name)
          .Key("objects").Number(bucket.object_count)
          .Key("bytes").Number(bucket.total_bytes)
          .Key("created_unix_seconds")
          .Number(static_cast<uint64_t>(absl::ToUnixSeconds(bucket.created)))
          .EndObject();
    }
    json.EndArray();
    CliContext::Out(json.str() + "\n");
    return absl::OkStatus();
  }
  Table table({"NAME", "OBJECTS", "SIZE", "CREATED"}, {1, 2});
  for (const BucketInfo& bucket : buckets) {
    table.AddRow({bucket.name, absl::StrCat(bucket.object_count),
                  FormatBytes(bucket.total_bytes), FormatLocalTime(bucket.created)});
  }
  CliContext::Out(table.Render());
  return absl::OkStatus();
}

absl::Status DeleteBucket(CliContext& context, const std::string& name) {
  ASSIGN_OR_RETURN(Client * client, context.client());
  RETURN_IF_ERROR(client->DeleteBucket(name));
  if (context.json) {
    JsonWriter json;
    json.BeginObject().Key("deleted").String(name).EndObject();
    CliContext::Out(json.str() + "\n");
  } else {
    CliContext::Out(absl::StrCat("deleted bucket ", name, "\n"));
  }
  return absl::OkStatus();
}

}  // namespace

void AddBucketCommands(CLI::App& app, CliContext& context,
                       CommandRunners& runners) {
  CLI::App* bucket = app.add_subcommand("bucket", "Create, list and delete buckets");
  bucket->require_subcommand(1);

  auto name = std::make_shared<std::string>();
  CLI::App* create = bucket->add_subcommand("create", "Create an empty bucket");
  create->add_option("NAME", *name, "3 to 63 of a-z, 0-9, '.' and '-'")
      ->required();
  runners.emplace_back(create, [&context, name] {
    return CreateBucket(context, *name);
  });

  CLI::App* list = bucket->add_subcommand(
      "list", "List buckets with their object counts and sizes");
  runners.emplace_back(list, [&context] { return ListBuckets(context); });

  auto delete_name = std::make_shared<std::string>();
  CLI::App* del = bucket->add_subcommand("delete", "Delete an empty bucket");
  del->add_option("NAME", *delete_name, "The bucket")->required();
  runners.emplace_back(del, [&context, delete_name] {
    return DeleteBucket(context, *delete_name);
  });
}

}  // namespace warehouse::cli
