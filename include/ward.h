/* ward — a memory allocator and manual-memory toolkit.
 *
 * This header is the whole public C API. Every function here is thread-safe
 * unless its comment says otherwise.
 *
 * Linking with libward (static or shared) or preloading libward.so also
 * replaces the standard allocation functions (malloc, free, calloc, realloc,
 * reallocarray, posix_memalign, aligned_alloc, memalign, valloc, pvalloc,
 * malloc_usable_size, free_sized, free_aligned_sized, and glibc's mallinfo2,
 * malloc_trim, malloc_stats, mallopt). The ward_-prefixed functions below
 * behave the same and are also available from libward-prefixed, which leaves
 * the standard names alone.
 *
 * Errors follow the standard: a request that cannot be served returns NULL
 * and sets errno to ENOMEM; a bad alignment gives EINVAL.
 */
#ifndef WARD_H
#define WARD_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_VERSION_MAJOR 0
#define WARD_VERSION_MINOR 1
#define WARD_VERSION_PATCH 0
#define WARD_VERSION_STRING "0.1.0"

#if defined(__GNUC__)
#define WARD_API __attribute__((__visibility__("default")))
#define WARD_MALLOC_ATTRS __attribute__((__malloc__, __warn_unused_result__))
#else
#define WARD_API
#define WARD_MALLOC_ATTRS
#endif

/* ---- general-purpose allocation -------------------------------------- */

/* Every block of 16 bytes or more is 16-byte aligned. ward_malloc(0) returns
 * a unique pointer that may be freed. */
WARD_API void *ward_malloc(size_t size) WARD_MALLOC_ATTRS;
/* Zeroed memory; n * size overflowing gives NULL with errno = ENOMEM. */
WARD_API void *ward_calloc(size_t n, size_t size) WARD_MALLOC_ATTRS;
/* Keeps the contents up to the smaller size and grows in place when it can.
 * ward_realloc(NULL, n) is ward_malloc(n); ward_realloc(p, 0) frees p and
 * returns NULL (glibc's behaviour). On failure p is left intact. */
WARD_API void *ward_realloc(void *p, size_t size) WARD_MALLOC_ATTRS;
WARD_API void *ward_reallocarray(void *p, size_t n, size_t size) WARD_MALLOC_ATTRS;
/* align must be a power of two (any, up to at least 1 GiB); size need not be a
 * multiple of it. A bad alignment gives NULL with errno = EINVAL. */
WARD_API void *ward_aligned_alloc(size_t align, size_t size) WARD_MALLOC_ATTRS;
/* Returns 0, EINVAL (align not a power-of-two multiple of sizeof(void *)) or
 * ENOMEM; *out is written only on success. */
WARD_API int ward_posix_memalign(void **out, size_t align, size_t size);
WARD_API void *ward_memalign(size_t align, size_t size) WARD_MALLOC_ATTRS;
/* Page-aligned; ward_pvalloc also rounds the size up to whole pages. */
WARD_API void *ward_valloc(size_t size) WARD_MALLOC_ATTRS;
WARD_API void *ward_pvalloc(size_t size) WARD_MALLOC_ATTRS;
/* Freeing NULL does nothing. */
WARD_API void ward_free(void *p);
/* size (and align) must be what the block was allocated with. */
WARD_API void ward_free_sized(void *p, size_t size);
WARD_API void ward_free_aligned_sized(void *p, size_t align, size_t size);
/* Bytes that may be used at p: at least the size asked for. 0 for NULL. */
WARD_API size_t ward_usable_size(const void *p);

/* ---- first-class heaps ------------------------------------------------ */

/* A heap is allocated from by one thread at a time (it may move between
 * threads, with the hand-over synchronised by the program). Its blocks are
 * ordinary blocks: ward_free, free and realloc accept them from any thread.
 * ward_heap_destroy releases every block still in the heap at once; blocks of
 * a destroyed heap must not be used or freed afterwards. */
typedef struct ward_heap_s ward_heap_t;

WARD_API ward_heap_t *ward_heap_new(void);
WARD_API void *ward_heap_malloc(ward_heap_t *heap, size_t size) WARD_MALLOC_ATTRS;
WARD_API void *ward_heap_calloc(ward_heap_t *heap, size_t n, size_t size) WARD_MALLOC_ATTRS;
WARD_API void *ward_heap_realloc(ward_heap_t *heap, void *p, size_t size) WARD_MALLOC_ATTRS;
WARD_API void *ward_heap_aligned_alloc(ward_heap_t *heap, size_t align, size_t size) WARD_MALLOC_ATTRS;
WARD_API void ward_heap_destroy(ward_heap_t *heap);

/* ---- arenas ------------------------------------------------------------ */

/* An arena hands out memory by bumping a pointer and releases it all at
 * once. Not thread-safe: one thread at a time (it may move between threads).
 * Memory comes in chunks that double in size (from chunk_size, 0 meaning
 * 64 KiB, at most 64 MiB: larger gives NULL with ENOMEM) up to 64 MiB; an
 * allocation bigger than the chunks gets a chunk of its own.
 * Arena memory is not malloc memory: free() and realloc() refuse it (ward
 * reports an invalid free). */
typedef struct ward_arena_s ward_arena_t;

/* A position in an arena, to rewind to. Treat the fields as private. */
typedef struct ward_arena_mark_s {
    const void *arena_;
    unsigned long long pos_, seq_, rewinds_, resets_;
} ward_arena_mark_t;

WARD_API ward_arena_t *ward_arena_new(size_t chunk_size);
/* align: a power of two, or 0 for 16. size 0 gives a unique pointer.
 * NULL with errno EINVAL (bad align) or ENOMEM. With GCC or Clang the common
 * case is inlined in the caller (below); define WARD_NO_INLINE to always call
 * the library. */
WARD_API void *ward_arena_alloc(ward_arena_t *arena, size_t size, size_t align);
WARD_API char *ward_arena_strdup(ward_arena_t *arena, const char *s);
WARD_API char *ward_arena_strndup(ward_arena_t *arena, const char *s, size_t max);
WARD_API void *ward_arena_memdup(ward_arena_t *arena, const void *src, size_t n);
WARD_API ward_arena_mark_t ward_arena_mark(ward_arena_t *arena);
/* Releases everything allocated since the mark and runs the cleanups
 * registered since, newest first. A mark from another arena, or one that an
 * earlier rewind or reset already released, is reported as an error. */
WARD_API void ward_arena_rewind(ward_arena_t *arena, ward_arena_mark_t mark);
/* Registers fn(arg) to run when a rewind, reset or destroy releases this
 * point; cleanups run newest first and must not use the arena. 0, or -1 with
 * errno set. */
WARD_API int ward_arena_defer(ward_arena_t *arena, void (*fn)(void *), void *arg);
/* Runs every cleanup and releases everything, keeping one chunk for reuse. */
WARD_API void ward_arena_reset(ward_arena_t *arena);
/* Runs every cleanup and releases the arena. NULL is ignored. */
WARD_API void ward_arena_destroy(ward_arena_t *arena);
/* Bytes handed out (alignment padding included), and bytes of chunks held. */
WARD_API size_t ward_arena_used(const ward_arena_t *arena);
WARD_API size_t ward_arena_reserved(const ward_arena_t *arena);

/* The inline fast path of ward_arena_alloc: bump the arena's cursor when the
 * request is valid and fits. Everything else (a NULL or destroyed arena, a
 * bad alignment, size 0, a full chunk, an arena annotated for ASan or
 * valgrind, whose limit is kept NULL) goes to the library's function, which
 * the second declaration names without the inline definition (glibc's
 * __REDIRECT technique). The two fields are private: the arena's first
 * members. */
struct ward_arena_cursor_s {
    unsigned char *next_;  /* next free byte of the current chunk */
    unsigned char *limit_; /* its end, or NULL to force the library call */
};
#if defined(__GNUC__) && !defined(WARD_NO_INLINE)
#ifdef __cplusplus
#define WARD_CURSOR_OF_(a) reinterpret_cast<struct ward_arena_cursor_s *>(a)
#define WARD_ADDR_(p) reinterpret_cast<__UINTPTR_TYPE__>(p)
#define WARD_PTR_(x) reinterpret_cast<unsigned char *>(x)
#else
#define WARD_CURSOR_OF_(a) ((struct ward_arena_cursor_s *)(void *)(a))
#define WARD_ADDR_(p) ((__UINTPTR_TYPE__)(p))
#define WARD_PTR_(x) ((unsigned char *)(x))
#endif
__attribute__((__visibility__("default"))) void *ward_arena_alloc_call_(ward_arena_t *arena, size_t size,
                                                                        size_t align) __asm__("ward_arena_alloc");
extern __inline__ __attribute__((__gnu_inline__)) void *ward_arena_alloc(ward_arena_t *arena, size_t size,
                                                                         size_t align) {
    __UINTPTR_TYPE__ mask = align ? align - 1 : 15;
    if (__builtin_expect(arena && (align & mask) == 0 && size != 0, 1)) {
        struct ward_arena_cursor_s *c = WARD_CURSOR_OF_(arena);
        __UINTPTR_TYPE__ p = (WARD_ADDR_(c->next_) + mask) & ~mask;
        __UINTPTR_TYPE__ end = p + size;
        if (__builtin_expect(end <= WARD_ADDR_(c->limit_) && end > p, 1)) {
            c->next_ = WARD_PTR_(end);
            return WARD_PTR_(p);
        }
    }
    return ward_arena_alloc_call_(arena, size, align);
}
#undef WARD_CURSOR_OF_
#undef WARD_ADDR_
#undef WARD_PTR_
#endif

/* ---- pools --------------------------------------------------------------- */

/* Objects of one size (up to 1 MiB), O(1) alloc and free, no per-object
 * header. align: a power of two up to 512 KiB, or 0 (16); a larger size or
 * alignment gives NULL with ENOMEM. One thread at a time. Pool
 * objects are not malloc memory: free() refuses them; ward_pool_free refuses
 * pointers that are not objects of that pool. */
typedef struct ward_pool_s ward_pool_t;

WARD_API ward_pool_t *ward_pool_new(size_t obj_size, size_t align);
WARD_API void *ward_pool_alloc(ward_pool_t *pool) WARD_MALLOC_ATTRS;
WARD_API void ward_pool_free(ward_pool_t *pool, void *obj);
/* Releases every object of the pool at once. NULL is ignored. */
WARD_API void ward_pool_destroy(ward_pool_t *pool);
WARD_API size_t ward_pool_object_size(const ward_pool_t *pool);
WARD_API size_t ward_pool_live(const ward_pool_t *pool);
WARD_API size_t ward_pool_reserved(const ward_pool_t *pool);

/* ---- introspection and control ---------------------------------------- */

typedef struct ward_stats_s {
    size_t in_use;          /* bytes in live blocks (see README: exact with WARD_STATS=1) */
    size_t peak_in_use;     /* highest in_use seen (WARD_STATS=1 only, else 0) */
    size_t reserved;        /* address space ward holds */
    size_t committed;       /* bytes ward may have touched and not returned */
    size_t resident;        /* the process's resident set, as the kernel reports it */
    size_t purges;          /* times memory was returned to the OS */
    size_t segments;        /* segments in use */
    size_t huge_blocks;     /* live blocks mapped on their own */
} ward_stats_t;

WARD_API const char *ward_version(void);
/* Human-readable summary: usage, peak, reserved, resident, per-size-class
 * counts (with WARD_STATS=1), purges. */
WARD_API void ward_stats_print(int fd);
WARD_API void ward_stats_get(ward_stats_t *out);
/* Returns unused memory to the OS now, without waiting for the purge delay.
 * Returns 1 if anything was returned, else 0 (as glibc's malloc_trim). */
WARD_API int ward_trim(void);

#ifdef __cplusplus
}
#endif

#endif /* WARD_H */
