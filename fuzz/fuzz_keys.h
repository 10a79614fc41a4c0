// The fixed cluster keys of the signed URL fuzz target and of the seed
// corpus generator, which signs the seed URLs with them. Not secrets: they
// exist only in fuzz builds.
#ifndef WAREHOUSE_FUZZ_FUZZ_KEYS_H_
#define WAREHOUSE_FUZZ_FUZZ_KEYS_H_

#include "absl/time/time.h"
#include "common/key_ring.h"

namespace warehouse::fuzz {

// When the fuzz target verifies requests: 2023-11-14, before the expiry of
// the seed URLs.
inline absl::Time FuzzNow() { return absl::FromUnixSeconds(1700000000); }

// Keys "k1" (primary) and "k0", as after a rotation from k0 to k1.
const KeyRing& FuzzKeyRing();

// Keys "k0" (primary) and "k1": signs with the other key.
const KeyRing& FuzzOldKeyRing();

// Keys "k1" and "k0" with other secrets: nothing signed with the real ones
// verifies under it.
const KeyRing& FuzzForgedKeyRing();

}  // namespace warehouse::fuzz

#endif  // WAREHOUSE_FUZZ_FUZZ_KEYS_H_
