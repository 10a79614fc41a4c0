// Early-return helpers for absl::Status and absl::StatusOr.
//
// Abseil 20220623, the version Debian ships, has neither RETURN_IF_ERROR nor
// ASSIGN_OR_RETURN, so the project keeps its own. Both expand to more than
// one statement: never use them as the body of an unbraced if or loop.
#ifndef WAREHOUSE_COMMON_STATUS_MACROS_H_
#define WAREHOUSE_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status) and returns it from the enclosing
// function when it is not OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status warehouse_status_ = (expr);         \
    if (!warehouse_status_.ok()) return warehouse_status_; \
  } while (0)

#define WAREHOUSE_CONCAT_INNER_(a, b) a##b
#define WAREHOUSE_CONCAT_(a, b) WAREHOUSE_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); returns its status when it is not
// OK, otherwise moves the value into `lhs`, which may be a declaration:
//   ASSIGN_OR_RETURN(auto file, fs->Open(path));
// Multi-statement: declares a hidden variable in the enclosing scope.
#define ASSIGN_OR_RETURN(lhs, rexpr)                                        \
  ASSIGN_OR_RETURN_IMPL_(WAREHOUSE_CONCAT_(warehouse_statusor_, __LINE__), \
                         lhs, rexpr)

#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                           \
  if (!statusor.ok()) return statusor.status();      \
  lhs = std::move(statusor).value()

#endif  // WAREHOUSE_COMMON_STATUS_MACROS_H_
