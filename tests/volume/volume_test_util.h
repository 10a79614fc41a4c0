// Helpers shared by the volume tests.
#ifndef WAREHOUSE_TESTS_VOLUME_VOLUME_TEST_UTIL_H_
#define WAREHOUSE_TESTS_VOLUME_VOLUME_TEST_UTIL_H_

#include <cstdint>
#include <random>
#include <string>

#include "catch2/catch.hpp"
#include "volume/volume.h"

namespace warehouse::volume::testing {

// Deterministic bytes that differ by seed, so a needle read back from the
// wrong place never matches.
inline std::string Payload(uint64_t seed, size_t size) {
  std::mt19937_64 rng(seed * 7919 + size);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

inline AppendRequest Request(uint64_t id, size_t size, uint32_t cookie = 0) {
  AppendRequest request;
  request.needle_id = id;
  request.cookie = cookie != 0 ? cookie : static_cast<uint32_t>(id * 2654435761u);
  request.size = size;
  request.content_type = "application/octet-stream";
  return request;
}

inline uint32_t CookieOf(uint64_t id) {
  return static_cast<uint32_t>(id * 2654435761u);
}

// Expects needle `id` to read back as Payload(id, size), or to be missing
// when size is negative.
inline void ExpectNeedle(const Volume& volume, uint64_t id, int64_t size) {
  auto reader = volume.OpenNeedle(id, CookieOf(id));
  INFO("needle " << id << ": " << reader.status().ToString());
  if (size < 0) {
    CHECK(reader.status().code() == absl::StatusCode::kNotFound);
    return;
  }
  REQUIRE(reader.ok());
  auto data = reader->ReadAll();
  REQUIRE(data.ok());
  CHECK(*data == Payload(id, size));
}

}  // namespace warehouse::volume::testing

#endif  // WAREHOUSE_TESTS_VOLUME_VOLUME_TEST_UTIL_H_
