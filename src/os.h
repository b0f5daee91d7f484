/* The OS contract: the only primitives through which ward touches address
 * space, time and the outside world. src/os/linux.c implements them; no other
 * file makes these system calls.
 *
 * Guarantees every implementation gives:
 * - os_reserve returns memory readable and writable, backed lazily, zero on
 *   first touch, aligned to `align` (a power of two, at least the page size),
 *   or NULL. It never returns memory that overlaps anything ward holds.
 * - os_purge gives the physical pages back now (the resident size as the
 *   kernel reports it falls); the range stays reserved and reads as zero.
 *   It is not MADV_FREE: lazily freed pages still count as resident.
 * - os_release unmaps; the range may be reused by anyone afterwards.
 * - Every primitive preserves errno: ward's callers decide what errno says.
 * - None of them allocates with malloc.
 */
#ifndef WARD_OS_H
#define WARD_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

size_t os_page_size(void);
void *os_reserve(size_t size, size_t align);
/* As os_reserve, but counted against the kernel's overcommit limit (no
 * MAP_NORESERVE): for a block the program asked for as a whole, so that a
 * request the machine cannot back fails here, as with glibc's malloc,
 * instead of the process being killed when it touches the memory. */
void *os_reserve_accounted(size_t size, size_t align);
void os_release(void *addr, size_t size);
bool os_purge(void *addr, size_t size);
/* Makes [addr, addr+size) inaccessible (false) or read-write again (true). */
bool os_protect(void *addr, size_t size, bool accessible);
/* Grows or shrinks the mapping [addr, addr+old_size) to new_size without
 * moving it; false when the neighbouring address space is taken. */
bool os_resize_in_place(void *addr, size_t old_size, size_t new_size);
/* Moves the pages of [addr, addr+old_size) to a fresh mapping of new_size
 * bytes aligned to `align`, without copying them; NULL on failure (the old
 * mapping is then untouched). */
void *os_move(void *addr, size_t old_size, size_t new_size, size_t align);
/* Monotonic milliseconds. */
uint64_t os_clock_ms(void);
/* The process's resident set in bytes, from the kernel; 0 if unknown. */
size_t os_resident_bytes(void);
/* Writes the whole buffer (retrying short writes); async-signal-safe. */
void os_write_all(int fd, const char *buf, size_t len);
/* Random bits for hardening and sampling; never blocks. */
uint64_t os_random_seed(void);
/* A close-on-exec duplicate of fd numbered 3 or above; -1 on failure. */
int os_dup_fd(int fd);
/* Maps a whole file read-only; NULL on failure. Release with os_release. */
void *os_map_file(const char *path, size_t *size);
/* Runs argv[0] (a path) with the given arguments and without LD_PRELOAD,
 * and reads what it writes to stdout into out (NUL-terminated, truncated to
 * cap - 1). Returns the bytes read, or -1. For symbolizing reports only. */
long os_run_capture(char *const argv[], char *out, size_t cap);
/* The running program's file (readlink of /proc/self/exe); false if unknown. */
bool os_self_exe(char *out, size_t cap);
/* The bounds [lo, hi) of the readable mapping that holds addr, from the
 * kernel's list of the process's mappings; false when addr is in none or
 * the list cannot be read. Slow (reads /proc/self/maps); allocates nothing. */
bool os_readable_mapping(uintptr_t addr, uintptr_t *lo, uintptr_t *hi);
/* The top of the main thread's stack as the C library recorded it at
 * start (glibc's __libc_stack_end), or 0 if unknown. */
uintptr_t os_main_stack_top(void);
/* Thread id, for reports. */
unsigned long os_thread_id(void);
void os_fork_child(void); /* in a forked child: forget per-thread values of the parent */
/* fork order: glibc's fork takes its stdio list lock after the
 * pthread_atfork prepare handlers, so an allocator that takes its locks
 * there first can deadlock with a thread in fflush(NULL) (which holds the
 * list lock while it waits for a stream) whose stream's holder waits in
 * malloc. ward's prepare handler takes the list lock first (it is
 * recursive: fork takes it again); the parent handler releases it after
 * ward's locks, the child handler resets it. No-ops where unknown. */
void os_stdio_lock(void);
void os_stdio_unlock(void);
void os_stdio_reset_child(void);
/* Opens a file for appending reports; -1 on failure. */
int os_open_log(const char *path);

/* Whether the process has only ever had one thread: glibc (2.32 on) clears
 * __libc_single_threaded in pthread_create before the new thread exists and
 * never sets it again, so while it is set no other thread can race with the
 * caller. False where unknown. Inline: the guard modes' fast paths read it
 * to skip an atomic read-modify-write, and they make no calls. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
#include <sys/single_threaded.h>
static inline bool os_single_threaded(void) {
    return __libc_single_threaded != 0;
}
#else
static inline bool os_single_threaded(void) {
    return false;
}
#endif

#endif
