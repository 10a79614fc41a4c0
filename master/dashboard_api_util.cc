#include "master/dashboard_api_util.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/http_target.h"
#include "common/status_macros.h"

namespace warehouse::master {

absl::StatusOr<FormFields> ReadForm(const http::Request& request) {
  const std::string type =
      absl::AsciiStrToLower(request.Header("Content-Type").value_or("(none)"));
  if (!absl::StartsWith(type, "application/x-www-form-urlencoded")) {
    return absl::InvalidArgumentError(
        absl::StrCat(request.method, " ", request.path, ": Content-Type ", type,
                     " is not application/x-www-form-urlencoded"));
  }
  ASSIGN_OR_RETURN(const std::string body,
                   http::ReadFullBody(*request.body, kMaxFormBytes));
  FormFields fields;
  RETURN_IF_ERROR(http::ParseQuery(body, &fields));
  return fields;
}

absl::StatusOr<std::string> RequiredField(const FormFields& fields,
                                          absl::string_view name) {
  std::optional<std::string> value = OptionalField(fields, name);
  if (!value.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("field ", name, " is required"));
  }
  return *std::move(value);
}

std::optional<std::string> OptionalField(const FormFields& fields,
                                         absl::string_view name) {
  auto it = fields.find(std::string(name));
  if (it == fields.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<bool> RequiredBool(const FormFields& fields,
                                  absl::string_view name) {
  ASSIGN_OR_RETURN(const std::string text, RequiredField(fields, name));
  if (text == "true") return true;
  if (text == "false") return false;
  return absl::InvalidArgumentError(
      absl::StrCat("field ", name, ": \"", text, "\" is not true or false"));
}

void SendJson(http::ResponseWriter& response, absl::string_view json) {
  response.SetHeader("Content-Type", "application/json");
  response.SetHeader("Cache-Control", "no-store");
  response.Send(200, absl::StrCat(json, "\n")).IgnoreError();
}

}  // namespace warehouse::master
