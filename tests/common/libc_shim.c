/* libc_shim.c — the ward_* API implemented on top of glibc's malloc.
 *
 * Used only when tests/ is configured on its own (cmake -S tests -B build-shim),
 * to check the tests themselves against a known allocator while the library is
 * being written, and to see which rules of ward's contract glibc does not meet
 * (those tests are expected to fail there). Never part of libward.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ward.h"

/* WARD_SHIM_BREAK=<fault> plants a fault, to check that the tests catch it:
 *   calloc    calloc does not zero blocks under 1 MiB
 *   overflow  calloc does not check n * size for overflow
 *   realloc   realloc loses the last byte it should keep
 *   errno     malloc clears errno on success
 *   twice     every 5000th malloc returns the block of the previous one again
 *   nofree    free_sized does nothing
 *   usable    usable_size claims 64 bytes more than there are */
static const char *brk_mode(void)
{
    static const char *m;
    if (!m) {
        const char *e = getenv("WARD_SHIM_BREAK");
        m = e ? e : "";
    }
    return m;
}
static int broken(const char *what) { return strcmp(brk_mode(), what) == 0; }

void *ward_malloc(size_t n)
{
    static __thread void *last;
    static __thread unsigned long count;
    if (broken("errno")) {
        void *p = malloc(n);
        if (p) errno = 0;
        return p;
    }
    if (broken("twice") && ++count % 5000 == 0 && last && malloc_usable_size(last) >= n) return last;
    void *p = malloc(n);
    last = p;
    return p;
}
void *ward_calloc(size_t n, size_t s)
{
    if (broken("overflow")) return malloc(n * s);
    if (broken("calloc") && n * s < (1u << 20) && !__builtin_mul_overflow_p(n, s, (size_t)0)) return malloc(n * s);
    return calloc(n, s);
}
void *ward_realloc(void *p, size_t n)
{
    if (broken("realloc") && p && n) {
        size_t old = malloc_usable_size(p);
        void *q = malloc(n);
        if (!q) return NULL;
        size_t keep = old < n ? old : n;
        memcpy(q, p, keep);
        ((unsigned char *)q)[keep - 1] ^= 0xFF;
        free(p);
        return q;
    }
    return realloc(p, n);
}
void *ward_reallocarray(void *p, size_t n, size_t s) { return reallocarray(p, n, s); }
static int pow2(size_t a) { return a && !(a & (a - 1)); }
void *ward_aligned_alloc(size_t a, size_t n)
{
    if (!pow2(a)) { errno = EINVAL; return NULL; }
    return aligned_alloc(a, n);
}
int ward_posix_memalign(void **out, size_t a, size_t n) { return posix_memalign(out, a, n); }
void *ward_memalign(size_t a, size_t n)
{
    if (!pow2(a)) { errno = EINVAL; return NULL; }
    return memalign(a, n);
}
void ward_free(void *p) { free(p); }
void ward_free_sized(void *p, size_t n)
{
    (void)n;
    if (!broken("nofree")) free(p);
}
void ward_free_aligned_sized(void *p, size_t a, size_t n) { (void)a; (void)n; free(p); }
size_t ward_usable_size(const void *p) { return p && broken("usable") ? malloc_usable_size((void *)p) + 64 : malloc_usable_size((void *)p); }

/* standard-name C23 sized frees, missing from glibc 2.36 */
void free_sized(void *p, size_t n) { (void)n; free(p); }
void free_aligned_sized(void *p, size_t a, size_t n) { (void)a; (void)n; free(p); }

struct ward_heap_s { int dummy; };
ward_heap_t *ward_heap_new(void) { return calloc(1, sizeof(ward_heap_t)); }
void *ward_heap_malloc(ward_heap_t *h, size_t n) { (void)h; return malloc(n); }
void *ward_heap_calloc(ward_heap_t *h, size_t n, size_t s) { (void)h; return calloc(n, s); }
void *ward_heap_realloc(ward_heap_t *h, void *p, size_t n) { (void)h; return realloc(p, n); }
void *ward_heap_aligned_alloc(ward_heap_t *h, size_t a, size_t n) { (void)h; return ward_aligned_alloc(a, n); }
void ward_heap_destroy(ward_heap_t *h) { free(h); /* blocks leak: the shim does not track them */ }

const char *ward_version(void) { return WARD_VERSION_STRING; }
void ward_stats_print(int fd)
{
    struct mallinfo2 mi = mallinfo2();
    dprintf(fd, "libc shim: uordblks %zu hblkhd %zu\n", mi.uordblks, mi.hblkhd);
}
void ward_stats_get(ward_stats_t *out)
{
    memset(out, 0, sizeof *out);
    struct mallinfo2 mi = mallinfo2();
    out->in_use = mi.uordblks + mi.hblkhd;
    out->reserved = mi.arena + mi.hblkhd;
    out->committed = mi.arena + mi.hblkhd;
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long vs, rs;
    if (f && fscanf(f, "%llu %llu", &vs, &rs) == 2) out->resident = (size_t)rs * (size_t)sysconf(_SC_PAGESIZE);
    if (f) fclose(f);
}
int ward_trim(void) { return malloc_trim(0); }
