// Bounds checking for the one checksum routine the sanitizers cannot see.
//
// CRC-32C comes from ISA-L (common/crc32c.cc), hand-written assembly that
// AddressSanitizer does not instrument, so a checksum computed over bytes
// past the end of a buffer would go unnoticed. Every executable of the
// -DWAREHOUSE_FUZZ=ON build (the fuzz targets, and the tests run under
// ASan) links with -Wl,--wrap=crc32_iscsi, which routes every call to the
// wrapper below: it asks ASan whether any byte of the range is poisoned
// and, if so, reads that byte through instrumented code, which produces
// ASan's usual report (with the allocation's stack) before the real
// routine runs.
#include <sanitizer/asan_interface.h>

extern "C" {

unsigned int __real_crc32_iscsi(unsigned char* buffer, int len,
                                unsigned int init_crc);

unsigned int __wrap_crc32_iscsi(unsigned char* buffer, int len,
                                unsigned int init_crc) {
  if (len > 0) {
    void* bad = __asan_region_is_poisoned(buffer, static_cast<size_t>(len));
    if (bad != nullptr) {
      // Reported by ASan as an out-of-bounds read; does not return.
      volatile unsigned char byte = *static_cast<unsigned char*>(bad);
      (void)byte;
    }
  }
  return __real_crc32_iscsi(buffer, len, init_crc);
}

}  // extern "C"
