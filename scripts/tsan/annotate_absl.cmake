# Included by scripts/sanitizers.sh into the ThreadSanitizer build only
# (-DCMAKE_PROJECT_INCLUDE=...), right after project(): links
# absl_sync_annotations.cc into every executable, so that TSan sees
# Debian's uninstrumented Abseil locks (see that file's comment). Static
# libraries do not get it; shipped builds never include this file.
add_library(warehouse_tsan_absl_sync OBJECT
  ${CMAKE_CURRENT_LIST_DIR}/absl_sync_annotations.cc)
find_package(absl REQUIRED CONFIG)
target_link_libraries(warehouse_tsan_absl_sync PUBLIC absl::synchronization
                      ${CMAKE_DL_LIBS})
link_libraries(
  "$<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:warehouse_tsan_absl_sync>")
