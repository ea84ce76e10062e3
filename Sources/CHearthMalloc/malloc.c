#include "hearth_malloc.h"

#if defined(__GLIBC__)
#include <malloc.h>

void hearth_malloc_trim(void) { malloc_trim(0); }

void hearth_malloc_limit_arenas(int count) { mallopt(M_ARENA_MAX, count); }
#else
void hearth_malloc_trim(void) {}

void hearth_malloc_limit_arenas(int count) { (void)count; }
#endif
