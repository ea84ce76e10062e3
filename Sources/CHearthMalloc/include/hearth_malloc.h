#ifndef HEARTH_MALLOC_H
#define HEARTH_MALLOC_H

/// Returns free heap memory to the system (glibc's malloc_trim; a no-op elsewhere).
void hearth_malloc_trim(void);

/// Caps the number of malloc arenas (glibc's M_ARENA_MAX; a no-op elsewhere).
void hearth_malloc_limit_arenas(int count);

#endif
