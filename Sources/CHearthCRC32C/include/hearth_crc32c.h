#ifndef HEARTH_CRC32C_H
#define HEARTH_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// 1 when the CPU has the SSE4.2 crc32 instruction (x86_64), 0 otherwise.
int hearth_crc32c_hardware_available(void);

/// CRC-32C of `len` bytes continuing from `crc` (the usual pre/post inversion included), using
/// the SSE4.2 crc32 instruction. Only call when hearth_crc32c_hardware_available() returns 1.
uint32_t hearth_crc32c_hardware(uint32_t crc, const void *data, size_t len);

#endif
