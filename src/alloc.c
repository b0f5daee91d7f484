/* The public allocation API: argument checks and the choice between the
 * inline fast paths (internal.h) and the heap's slow paths.
 *
 * Bad input never reaches the heap: sizes that cannot be served fail with
 * ENOMEM, alignments that are not powers of two with EINVAL, overflowing
 * products with ENOMEM, and errno is left alone on success.
 */
#include "internal.h"

static inline bool is_power_of_two(size_t x) {
    return x != 0 && (x & (x - 1)) == 0;
}

static inline bool mul_overflows(size_t n, size_t size, size_t *total) {
    return __builtin_mul_overflow(n, size, total);
}

static void *fail_enomem(void) {
    errno = ENOMEM;
    return NULL;
}

__attribute__((unused)) static inline void *heap_calloc_inline(ward_heap_t *heap, size_t total) {
    if (likely(total <= WARD_DIRECT_MAX)) {
        ward_page_t *page = heap->direct[(total + WARD_ALIGNMENT - 1) / WARD_ALIGNMENT];
        ward_block_t *block = page->free;
        if (likely(block != NULL)) {
            page->free = ward_page_pop_next(page, block);
            page->used++;
            if (page->free_is_zero) block->next = NULL;
            else memset(block, 0, total);
            return block;
        }
    }
    return ward_heap_malloc_slow(heap, total, true);
}

__attribute__((unused)) static void *heap_realloc(ward_heap_t *heap, void *p, size_t size) {
    if (p == NULL) return ward_heap_malloc_inline(heap, size);
    if (size == 0) {
        ward_free_inline(p);
        return NULL;
    }
    if (unlikely(!ward_block_is_malloc(p))) {
        ward_report_error("invalid realloc", p, "not a live block from malloc");
        errno = EINVAL;
        return NULL;
    }
    if (size > WARD_MAX_REQUEST) return fail_enomem();
    ward_segment_t *seg = ward_segment_of(p);
    size_t usable = ward_block_usable(p);
    bool huge = (uintptr_t)p == (uintptr_t)seg ? ward_huge_header_of_aligned(p) != NULL
                                               : seg->kind == SEGMENT_HUGE;
    if (huge) {
        ward_segment_t *h = (uintptr_t)p == (uintptr_t)seg ? ward_huge_header_of_aligned(p) : seg;
        if (size > WARD_LARGE_MAX / 2) {
            void *moved = ward_huge_realloc(h, size);
            if (moved != NULL) return moved;
        }
    } else if (size <= usable && size >= usable / 2) {
        /* Shrinking by less than half, or growing within the block. */
        return p;
    } else if (size > usable && usable > WARD_MEDIUM_MAX && ward_heap_grow_in_place(heap, p, size)) {
        return p;
    }
    void *q = ward_heap_malloc_inline(heap, size);
    if (q == NULL) return NULL;
    memcpy(q, p, usable < size ? usable : size);
    ward_free_inline(p);
    return q;
}

/* The primitives every entry point below is written with: the fast paths,
 * or in guard builds the checked ones of guard.c. */
#if WARD_GUARD
#define ALLOC(heap, n) ward_guard_malloc_plain(heap, n)
#define CALLOC(heap, n) ward_guard_malloc(heap, n, 0, true)
#define ALIGNED(heap, n, a) ward_guard_malloc(heap, n, a, false)
#define REALLOC(heap, p, n) ward_guard_realloc(heap, p, n)
#define FREE(p) ward_guard_free(p)
#define USABLE(p) ward_guard_usable(p)
#else
#define ALLOC(heap, n) ward_heap_malloc_inline(heap, n)
#define CALLOC(heap, n) heap_calloc_inline(heap, n)
#define ALIGNED(heap, n, a) \
    ((a) <= WARD_ALIGNMENT ? ward_heap_malloc_inline(heap, n) : ward_heap_alloc_aligned(heap, n, a, false))
#define REALLOC(heap, p, n) heap_realloc(heap, p, n)
#define FREE(p) ward_free_inline(p)
#define USABLE(p) ward_block_usable(p)
#endif

/* ---- standard semantics, ward_ names ------------------------------------------- */

WARD_API void *ward_malloc(size_t size) {
    return ALLOC(ward_tls_heap, size);
}

WARD_API void ward_free(void *p) {
    FREE(p);
}

WARD_API void *ward_calloc(size_t n, size_t size) {
    size_t total;
    if (mul_overflows(n, size, &total)) return fail_enomem();
    return CALLOC(ward_tls_heap, total);
}

WARD_API void *ward_realloc(void *p, size_t size) {
    return REALLOC(ward_tls_heap, p, size);
}

WARD_API void *ward_reallocarray(void *p, size_t n, size_t size) {
    size_t total;
    if (mul_overflows(n, size, &total)) return fail_enomem();
    return REALLOC(ward_tls_heap, p, total);
}

WARD_API void *ward_aligned_alloc(size_t align, size_t size) {
    if (!is_power_of_two(align)) {
        errno = EINVAL;
        return NULL;
    }
    return ALIGNED(ward_tls_heap, size, align);
}

/* glibc's memalign (every version) takes any alignment: up to 16 bytes (0
 * included) it is malloc, others are rounded up to a power of two; only
 * one above the largest power of two fails (EINVAL). aligned_alloc keeps
 * C's rule (and glibc's since 2.38): a power of two, or NULL. */
WARD_API void *ward_memalign(size_t align, size_t size) {
    if (align > ((size_t)1 << (sizeof(size_t) * 8 - 1))) {
        errno = EINVAL;
        return NULL;
    }
    if (align <= WARD_ALIGNMENT) return ALLOC(ward_tls_heap, size);
    if (!is_power_of_two(align)) align = (size_t)1 << (sizeof(size_t) * 8 - (size_t)__builtin_clzl(align));
    return ALIGNED(ward_tls_heap, size, align);
}

/* As glibc's: errno untouched on success and for a bad alignment, ENOMEM
 * when there is no memory (programs written against glibc look at it). */
WARD_API int ward_posix_memalign(void **out, size_t align, size_t size) {
    if (align < sizeof(void *) || !is_power_of_two(align)) return EINVAL;
    int saved = errno;
    void *p = ward_aligned_alloc(align, size);
    if (p == NULL) {
        errno = ENOMEM;
        return ENOMEM;
    }
    errno = saved;
    *out = p;
    return 0;
}

WARD_API void *ward_valloc(size_t size) {
    return ward_aligned_alloc(os_page_size(), size);
}

WARD_API void *ward_pvalloc(size_t size) {
    size_t page = os_page_size();
    if (size > WARD_MAX_REQUEST) return fail_enomem();
    return ward_aligned_alloc(page, size == 0 ? page : ward_align_up(size, page));
}

WARD_API void ward_free_sized(void *p, size_t size) {
    (void)size;
    FREE(p);
}

WARD_API void ward_free_aligned_sized(void *p, size_t align, size_t size) {
    (void)align;
    (void)size;
    FREE(p);
}

WARD_API size_t ward_usable_size(const void *p) {
    return USABLE(p);
}

/* ---- first-class heaps -------------------------------------------------------------- */

static bool heap_ok(ward_heap_t *heap) {
    if (likely(heap != NULL && heap->in_use && !heap->is_thread_heap)) return true;
    ward_report_error("invalid heap", heap, "not a heap from ward_heap_new, or already destroyed");
    errno = EINVAL;
    return false;
}

WARD_API void *ward_heap_malloc(ward_heap_t *heap, size_t size) {
    if (!heap_ok(heap)) return NULL;
    return ALLOC(heap, size);
}

WARD_API void *ward_heap_calloc(ward_heap_t *heap, size_t n, size_t size) {
    size_t total;
    if (!heap_ok(heap)) return NULL;
    if (mul_overflows(n, size, &total)) return fail_enomem();
    return CALLOC(heap, total);
}

WARD_API void *ward_heap_realloc(ward_heap_t *heap, void *p, size_t size) {
    if (!heap_ok(heap)) return NULL;
    return REALLOC(heap, p, size);
}

WARD_API void *ward_heap_aligned_alloc(ward_heap_t *heap, size_t align, size_t size) {
    if (!heap_ok(heap)) return NULL;
    if (!is_power_of_two(align)) {
        errno = EINVAL;
        return NULL;
    }
    return ALIGNED(heap, size, align);
}

WARD_API const char *ward_version(void) {
    return WARD_VERSION_STRING;
}
