#include "bench_shims.h"
#include <malloc.h>

void bench_malloc_info(size_t *in_use, size_t *free_in_heap, size_t *mmapped) {
    struct mallinfo2 m = mallinfo2();
    *in_use = m.uordblks;
    *free_in_heap = m.fordblks;
    *mmapped = m.hblkhd;
}

int bench_malloc_trim(void) { return malloc_trim(0); }
