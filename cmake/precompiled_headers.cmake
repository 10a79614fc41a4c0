# Precompiled headers, for the clang build of scripts/checks.sh
# (-DWAREHOUSE_PRECOMPILED_HEADERS=ON, clang only): half of compiling a
# typical file is parsing the standard library, Abseil, Protobuf and gRPC
# headers, so one precompiled copy of them, shared by every target, cuts
# that build by about a quarter. gcc gains nothing from it (each file then
# loads a 250 MB .gch) and, with one, reports -Warray-bounds inside
# libstdc++'s headers that it otherwise keeps quiet. docs/reliability.md
# gives the figures.
#
# The plain build keeps every file compiling on its own includes: a file
# that forgets one still compiles here, since the precompiled headers come
# first in every file, but fails there.
#
# warehouse_proto owns the precompiled header (it links Protobuf and gRPC,
# whose headers are in it) and every other target in the project's folders
# reuses it; the build helpers defined at the top level (the sanitizer
# shims) go without. Reuse needs one set of compile flags everywhere: the
# top-level CMakeLists.txt compiles every file with -pthread for that
# reason. The header holds no project header and no macro the project sets,
# so targets with compile definitions of their own reuse it too.
#
# With ccache, set CCACHE_SLOPPINESS=pch_defines,time_macros (checks.sh
# does); without it ccache compiles these files uncached.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "WAREHOUSE_PRECOMPILED_HEADERS needs clang: "
                      "configure with CC=clang CXX=clang++")
endif()

set(WAREHOUSE_PRECOMPILED_HEADERS_LIST
  <algorithm> <atomic> <chrono> <cstdint> <functional> <map> <memory>
  <optional> <string> <thread> <utility> <vector>
  <absl/container/flat_hash_map.h>
  <absl/status/status.h>
  <absl/status/statusor.h>
  <absl/strings/str_cat.h>
  <absl/strings/str_format.h>
  <absl/strings/string_view.h>
  <absl/synchronization/mutex.h>
  <absl/time/clock.h>
  <absl/time/time.h>
  <google/protobuf/generated_message_reflection.h>
  <google/protobuf/message.h>
  <google/protobuf/repeated_field.h>
  <grpcpp/grpcpp.h>
  <grpcpp/impl/codegen/proto_utils.h>
  <grpcpp/support/async_stream.h>
  <grpcpp/support/async_unary_call.h>
  <grpcpp/support/client_callback.h>
  <grpcpp/support/server_callback.h>
)

# Collects the targets defined in DIR and the folders below it into OUT.
function(warehouse_targets_below dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(subdir IN LISTS subdirs)
    warehouse_targets_below(${subdir} below)
    list(APPEND targets ${below})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

# Gives every C++ target in the project's folders the precompiled header.
# Call once all folders are added.
function(warehouse_precompile_headers)
  target_precompile_headers(warehouse_proto PRIVATE
    ${WAREHOUSE_PRECOMPILED_HEADERS_LIST})
  # Without the headers' times in it, the .pch is the same file on every
  # build, which ccache needs to reuse what it compiled against it.
  target_compile_options(warehouse_proto PRIVATE
    "SHELL:-Xclang -fno-pch-timestamp")
  get_property(folders DIRECTORY ${CMAKE_SOURCE_DIR} PROPERTY SUBDIRECTORIES)
  foreach(dir IN LISTS folders)
    warehouse_targets_below(${dir} targets)
    foreach(target IN LISTS targets)
      get_target_property(type ${target} TYPE)
      if(target STREQUAL "warehouse_proto" OR
         NOT type MATCHES "^(EXECUTABLE|STATIC_LIBRARY|OBJECT_LIBRARY)$")
        continue()
      endif()
      target_precompile_headers(${target} REUSE_FROM warehouse_proto)
    endforeach()
  endforeach()
endfunction()
