/* insns — tight loops for instruction counts under callgrind.
 *
 * usage: insns N
 *
 * Runs N operations of one kind in the noinline function `ops` and prints a
 * check line. bench/lifetimes/run runs it under valgrind --tool=callgrind at
 * two values of N and divides the difference of the instruction counts by
 * the difference of N, so start-up, warm-up and the one-off costs cancel.
 * What one operation is depends on the contender it is compiled for:
 *
 *   USE_WARD_POOL    ward_pool_alloc + ward_pool_free of one 48-byte object
 *   USE_MALLOC       malloc(48) + free (under ward, glibc, mimalloc, jemalloc,
 *                    tcmalloc through LD_PRELOAD)
 *   USE_TALLOC_PAIR  talloc_size(ctx, 48) + talloc_free
 *   USE_WARD_ARENA   ward_arena_alloc(a, 32, 0), the arena destroyed at the end
 *   USE_APR          apr_palloc(p, 32), the pool destroyed at the end
 *   USE_OBSTACK      obstack_alloc(&ob, 32) (inline), freed at the end
 *   USE_TALLOC       talloc_size(ctx, 32), ctx freed at the end
 *
 * The pairs keep BALLAST objects of the same size live meanwhile.
 * The arena-like contenders run with their usual settings (ward: the default
 * 64 KiB first chunk, doubling; APR: its 8 KiB blocks; obstack: 64 KiB
 * chunks), so refilling a chunk is included, amortised.
 */
#include "common.h"

#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

/* The pairs run with BALLAST objects of the same size live, as in a real
 * program: otherwise every free empties the page (or slab, or run) of the
 * one live object, and some allocators run their empty-page code on every
 * pair, which a program rarely does. */
#define BALLAST 16

#if defined(USE_WARD_POOL)
#include <ward.h>
#define WHAT "ward_pool_alloc+ward_pool_free(48)"
__attribute__((noinline)) static uint64_t ops(uint64_t n) {
    ward_pool_t *pool = ward_pool_new(48, 0);
    CHECK(pool != NULL, "ward_pool_new failed");
    void *ballast[BALLAST];
    for (int i = 0; i < BALLAST; i++) ballast[i] = ward_pool_alloc(pool);
    uint64_t s = 0;
    for (uint64_t i = 0; i < n; i++) {
        void *p = ward_pool_alloc(pool);
        ESCAPE(p);
        s += p != NULL;
        ward_pool_free(pool, p);
    }
    for (int i = 0; i < BALLAST; i++) ward_pool_free(pool, ballast[i]);
    ward_pool_destroy(pool);
    return s;
}

#elif defined(USE_MALLOC)
#define WHAT "malloc(48)+free"
__attribute__((noinline)) static uint64_t ops(uint64_t n) {
    void *ballast[BALLAST];
    for (int i = 0; i < BALLAST; i++) ballast[i] = malloc(48);
    uint64_t s = 0;
    for (uint64_t i = 0; i < n; i++) {
        void *p = malloc(48);
        ESCAPE(p);
        s += p != NULL;
        free(p);
    }
    for (int i = 0; i < BALLAST; i++) free(ballast[i]);
    return s;
}

#elif defined(USE_TALLOC_PAIR)
#include <talloc.h>
#define WHAT "talloc_size(48)+talloc_free"
__attribute__((noinline)) static uint64_t ops(uint64_t n) {
    void *ctx = talloc_new(NULL);
    void *ballast[BALLAST];
    for (int i = 0; i < BALLAST; i++) ballast[i] = talloc_size(ctx, 48);
    uint64_t s = 0;
    for (uint64_t i = 0; i < n; i++) {
        void *p = talloc_size(ctx, 48);
        ESCAPE(p);
        s += p != NULL;
        talloc_free(p);
    }
    for (int i = 0; i < BALLAST; i++) talloc_free(ballast[i]);
    talloc_free(ctx);
    return s;
}

#elif defined(USE_WARD_ARENA)
#include <ward.h>
#define WHAT "ward_arena_alloc(32)"
__attribute__((noinline)) static uint64_t ops(uint64_t n) {
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL, "ward_arena_new failed");
    uint64_t s = 0;
    for (uint64_t i = 0; i < n; i++) {
        void *p = ward_arena_alloc(a, 32, 0);
        ESCAPE(p);
        s += p != NULL;
    }
    ward_arena_destroy(a);
    return s;
}

#elif defined(USE_APR)
#include <apr_general.h>
#include <apr_pools.h>
#define WHAT "apr_palloc(32)"
__attribute__((noinline)) static uint64_t ops(uint64_t n) {
    apr_pool_t *pool = NULL;
    CHECK(apr_pool_create(&pool, NULL) == APR_SUCCESS, "apr_pool_create failed");
    uint64_t s = 0;
    for (uint64_t i = 0; i < n; i++) {
        void *p = apr_palloc(pool, 32);
        ESCAPE(p);
        s += p != NULL;
    }
    apr_pool_destroy(pool);
    return s;
}

#elif defined(USE_OBSTACK)
#include <obstack.h>
#define obstack_chunk_alloc malloc
#define obstack_chunk_free free
#define WHAT "obstack_alloc(32)"
__attribute__((noinline)) static uint64_t ops(uint64_t n) {
    struct obstack ob;
    CHECK(obstack_begin(&ob, 64 * 1024), "obstack_begin failed");
    uint64_t s = 0;
    for (uint64_t i = 0; i < n; i++) {
        void *p = obstack_alloc(&ob, 32);
        ESCAPE(p);
        s += p != NULL;
    }
    obstack_free(&ob, NULL);
    return s;
}

#elif defined(USE_TALLOC)
#include <talloc.h>
#define WHAT "talloc_size(32), freed with the context"
__attribute__((noinline)) static uint64_t ops(uint64_t n) {
    void *ctx = talloc_new(NULL);
    uint64_t s = 0;
    for (uint64_t i = 0; i < n; i++) {
        void *p = talloc_size(ctx, 32);
        ESCAPE(p);
        s += p != NULL;
    }
    talloc_free(ctx);
    return s;
}

#else
#error "define a contender (see the comment at the top)"
#endif

int main(int argc, char **argv) {
    uint64_t n = arg_u64(argc, argv, 1, 1000000);
#if defined(USE_APR)
    CHECK(apr_initialize() == APR_SUCCESS, "apr_initialize failed");
#endif
    uint64_t s = ops(n);
    CHECK(s == n, "%llu of %llu operations failed", (unsigned long long)(n - s), (unsigned long long)n);
#if defined(USE_APR)
    apr_terminate();
#endif
    printf("insns %s ok n=%llu\n", WHAT, (unsigned long long)n);
    return 0;
}
