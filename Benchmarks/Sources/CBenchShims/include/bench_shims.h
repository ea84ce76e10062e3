#include <stddef.h>
/// Bytes of heap in use, free inside the heap, and in separate mmapped blocks (glibc mallinfo2).
void bench_malloc_info(size_t *in_use, size_t *free_in_heap, size_t *mmapped);
/// glibc malloc_trim(0): return free heap pages to the kernel.
int bench_malloc_trim(void);
