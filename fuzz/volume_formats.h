// Helpers shared by the fuzz targets of the volume's on-disk formats
// (docs/needle_format.md, docs/index_format.md).
//
// Random bytes almost never carry a valid CRC-32C, so a fuzzer left alone
// would spend its time in the first checksum comparison of every decoder.
// The Fix* functions below rewrite checksums the way a writer would,
// computed here from the documented layout rather than with the encoders
// under test, so the fuzzer reaches the code behind the checksums. The
// targets apply them only when a mode bit of the input asks for it, so
// inputs with wrong checksums are fuzzed as well.
#ifndef WAREHOUSE_FUZZ_VOLUME_FORMATS_H_
#define WAREHOUSE_FUZZ_VOLUME_FORMATS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "volume/needle.h"

namespace warehouse::fuzz {

// Rewrites the header checksum of the needle at `pos` in `*bytes` under
// `salt`, when the bytes from `pos` hold its whole header (magic, content
// type size and content type are left as they are). When `fix_data` is set
// and the whole needle lies within `*bytes`, also rewrites its data
// checksum. Returns the needle's total size when its header then decodes,
// and 0 when it does not.
uint64_t FixNeedleChecksums(std::string* bytes, size_t pos, uint32_t salt,
                            bool fix_data);

// Rewrites the checksum of the super block at the start of `*bytes`, when
// it is long enough to hold one.
void FixSuperBlockChecksum(std::string* bytes);

// Rewrites the header checksum of the index file in `*bytes` and the
// checksum of every whole record after it.
void FixIndexChecksums(std::string* bytes);

// Field-by-field equality of two decoded needle headers.
bool SameNeedleHeader(const volume::NeedleHeader& a,
                      const volume::NeedleHeader& b);

}  // namespace warehouse::fuzz

#endif  // WAREHOUSE_FUZZ_VOLUME_FORMATS_H_
