// Hardware CRC-32C: Swift cannot emit the SSE4.2 crc32 instruction itself, so this shim
// does, compiled for that target only and chosen at run time by CPU feature detection.
#include "hearth_crc32c.h"
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>

int hearth_crc32c_hardware_available(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & bit_SSE4_2) != 0;
}

__attribute__((target("sse4.2")))
uint32_t hearth_crc32c_hardware(uint32_t crc, const void *data, size_t len) {
    const unsigned char *p = (const unsigned char *)data;
    uint64_t c = ~crc;
    while (len >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
        p += 8;
        len -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (len > 0) {
        c32 = __builtin_ia32_crc32qi(c32, *p);
        p++;
        len--;
    }
    return ~c32;
}
#else
int hearth_crc32c_hardware_available(void) { return 0; }
uint32_t hearth_crc32c_hardware(uint32_t crc, const void *data, size_t len) { (void)data; (void)len; return crc; }
#endif
