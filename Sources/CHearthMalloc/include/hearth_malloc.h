#ifndef HEARTH_MALLOC_H
#define HEARTH_MALLOC_H

/// Returns free heap memory to the system (glibc's malloc_trim; a no-op elsewhere).
void hearth_malloc_trim(void);

/// Caps the number of malloc arenas (glibc's M_ARENA_MAX; a no-op elsewhere).
void hearth_malloc_limit_arenas(int count);

/// The CPUs this process may run on: its affinity mask on Linux (as Go's runtime.NumCPU
/// counts them), else the online CPUs. (Process tuning lives with the malloc knobs.)
int hearth_usable_cpus(void);

#endif
