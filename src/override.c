/* The standard names. Linked into libward.so and libward.a only (not into
 * libward-prefixed), so that linking or preloading ward replaces the system
 * allocator entirely: every entry point a program or glibc may call is here,
 * so no pointer from one allocator can reach the other.
 *
 * malloc and free expand the inline fast paths themselves rather than calling
 * ward_malloc, to save a jump on the hottest calls.
 */
#include "internal.h"

#include <malloc.h>
#include <stdio.h>

#define WARD_EXPORT __attribute__((visibility("default")))

#if WARD_GUARD
WARD_EXPORT void *malloc(size_t size) {
    return ward_malloc(size);
}

WARD_EXPORT void free(void *p) {
    ward_free(p);
}
#else
WARD_EXPORT void *malloc(size_t size) {
    return ward_heap_malloc_inline(ward_tls_heap, size);
}

WARD_EXPORT void free(void *p) {
    ward_free_inline(p);
}
#endif

WARD_EXPORT void *calloc(size_t n, size_t size) {
    return ward_calloc(n, size);
}

WARD_EXPORT void *realloc(void *p, size_t size) {
    return ward_realloc(p, size);
}

WARD_EXPORT void *reallocarray(void *p, size_t n, size_t size) {
    return ward_reallocarray(p, n, size);
}

WARD_EXPORT int posix_memalign(void **out, size_t align, size_t size) {
    return ward_posix_memalign(out, align, size);
}

WARD_EXPORT void *aligned_alloc(size_t align, size_t size) {
    return ward_aligned_alloc(align, size);
}

WARD_EXPORT void *memalign(size_t align, size_t size) {
    return ward_memalign(align, size);
}

WARD_EXPORT void *valloc(size_t size) {
    return ward_valloc(size);
}

WARD_EXPORT void *pvalloc(size_t size) {
    return ward_pvalloc(size);
}

WARD_EXPORT size_t malloc_usable_size(void *p) {
    return ward_usable_size(p);
}

WARD_EXPORT void free_sized(void *p, size_t size) {
    ward_free_sized(p, size);
}

WARD_EXPORT void free_aligned_sized(void *p, size_t align, size_t size) {
    ward_free_aligned_sized(p, align, size);
}

/* glibc's own entry points, for programs and libraries that call them. */
WARD_EXPORT void *__libc_malloc(size_t size) {
    return ward_malloc(size);
}

WARD_EXPORT void __libc_free(void *p) {
    ward_free(p);
}

WARD_EXPORT void *__libc_calloc(size_t n, size_t size) {
    return ward_calloc(n, size);
}

WARD_EXPORT void *__libc_realloc(void *p, size_t size) {
    return ward_realloc(p, size);
}

WARD_EXPORT void *__libc_memalign(size_t align, size_t size) {
    return ward_memalign(align, size);
}

WARD_EXPORT void *__libc_valloc(size_t size) {
    return ward_valloc(size);
}

WARD_EXPORT void *__libc_pvalloc(size_t size) {
    return ward_pvalloc(size);
}

WARD_EXPORT void cfree(void *p) {
    ward_free(p);
}

/* glibc extensions. */
WARD_EXPORT struct mallinfo2 mallinfo2(void) {
    ward_stats_t s;
    ward_stats_get(&s);
    struct mallinfo2 mi;
    memset(&mi, 0, sizeof mi);
    mi.arena = s.committed;
    mi.hblks = s.huge_blocks;
    mi.uordblks = s.in_use;
    mi.fordblks = s.committed > s.in_use ? s.committed - s.in_use : 0;
    mi.usmblks = s.peak_in_use;
    mi.keepcost = 0;
    return mi;
}

static int clamp_int(size_t v) {
    return v > (size_t)0x7fffffff ? 0x7fffffff : (int)v;
}

WARD_EXPORT struct mallinfo mallinfo(void) {
    struct mallinfo2 m2 = mallinfo2();
    struct mallinfo mi;
    memset(&mi, 0, sizeof mi);
    mi.arena = clamp_int(m2.arena);
    mi.hblks = clamp_int(m2.hblks);
    mi.uordblks = clamp_int(m2.uordblks);
    mi.fordblks = clamp_int(m2.fordblks);
    mi.usmblks = clamp_int(m2.usmblks);
    return mi;
}

WARD_EXPORT int malloc_trim(size_t pad) {
    (void)pad;
    return ward_trim();
}

WARD_EXPORT void malloc_stats(void) {
    ward_stats_print(2);
}

/* ward has no tunables of glibc's kind; accept and ignore them, as glibc
 * does for parameters it does not know on other allocators. */
WARD_EXPORT int mallopt(int param, int value) {
    (void)param;
    (void)value;
    return 1;
}

/* As glibc's: options other than 0 are an error returned (not set in
 * errno). */
WARD_EXPORT int malloc_info(int options, FILE *stream) {
    if (options != 0) return EINVAL;
    if (stream == NULL) {
        errno = EINVAL;
        return -1;
    }
    ward_stats_t s;
    ward_stats_get(&s);
    fprintf(stream,
            "<malloc version=\"ward-%s\">\n"
            "<total type=\"in_use\" size=\"%zu\"/>\n"
            "<total type=\"committed\" size=\"%zu\"/>\n"
            "<total type=\"reserved\" size=\"%zu\"/>\n"
            "<total type=\"huge\" count=\"%zu\"/>\n"
            "</malloc>\n",
            WARD_VERSION_STRING, s.in_use, s.committed, s.reserved, s.huge_blocks);
    return 0;
}
