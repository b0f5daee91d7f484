/* request — request-scoped allocation: N requests, each allocating a few
 * hundred objects of mixed sizes, touching them, and freeing everything at
 * the end of the request.
 *
 * usage: request [requests (1000000)]
 *
 * Models a server (or a compiler pass, a frame of a game): per request
 * 200..400 objects (300 on average); 60 % of 8..64 bytes, 25 % of 65..256,
 * 14.5 % of 257..2048 and 0.5 % (1.5 per request) of 4..16 KiB. Each object
 * gets a 64-bit value written at its start and (16 bytes and up) one at
 * its end; at the end of the
 * request every value is read back and summed, which catches any overlap of
 * live objects (the sum must equal the sum of the values written). The size
 * and value streams are the same for every contender.
 *
 * End of request per contender:
 *   ward arena, reset    ward_arena_reset (one arena for the whole run)
 *   ward arena, rewind   ward_arena_rewind to a mark taken at the start
 *   talloc               talloc_free of a per-request talloc_new(NULL)
 *   talloc pool          talloc_free of a per-request talloc_pool(NULL, 128 KiB)
 *   APR, clear           apr_pool_clear (one pool for the whole run)
 *   APR, subpool         apr_pool_destroy of a per-request subpool
 *   obstack              obstack_free to a mark taken at the start
 *   malloc               free() of every object
 */
#include "common.h"

#define MAX_OBJECTS 400

static inline size_t object_size(rng_t *r) {
    uint32_t u = rng_below(r, 1000);
    if (u < 600) return 8 + rng_below(r, 57);          /* 8..64 */
    if (u < 850) return 65 + rng_below(r, 192);        /* 65..256 */
    if (u < 995) return 257 + rng_below(r, 1792);      /* 257..2048 */
    return 4096 + rng_below(r, 12289);                 /* 4 KiB..16 KiB */
}

/* ---- the contenders ----------------------------------------------------------- */

#if defined(USE_WARD_ARENA)
#include <ward.h>
static ward_arena_t *arena;
static void setup(void) { arena = ward_arena_new(0); }
static void finish(void) { ward_arena_destroy(arena); }
#if defined(REWIND)
#define VARIANT "ward-arena-rewind"
typedef ward_arena_mark_t req_t;
static inline req_t req_begin(void) { return ward_arena_mark(arena); }
static inline void req_end(req_t m, void **objs, unsigned n) {
    (void)objs;
    (void)n;
    ward_arena_rewind(arena, m);
}
#else
#define VARIANT "ward-arena-reset"
typedef int req_t;
static inline req_t req_begin(void) { return 0; }
static inline void req_end(req_t m, void **objs, unsigned n) {
    (void)m;
    (void)objs;
    (void)n;
    ward_arena_reset(arena);
}
#endif
static inline void *obj_alloc(req_t m, size_t size) {
    (void)m;
    return ward_arena_alloc(arena, size, 8);
}

#elif defined(USE_TALLOC)
#include <talloc.h>
static void setup(void) {}
static void finish(void) {}
typedef void *req_t;
#if defined(TALLOC_POOL)
#define VARIANT "talloc-pool"
static inline req_t req_begin(void) { return talloc_pool(NULL, 128 * 1024); }
#else
#define VARIANT "talloc"
static inline req_t req_begin(void) { return talloc_new(NULL); }
#endif
static inline void *obj_alloc(req_t c, size_t size) { return talloc_size(c, size); }
static inline void req_end(req_t c, void **objs, unsigned n) {
    (void)objs;
    (void)n;
    CHECK(talloc_free(c) == 0, "talloc_free failed");
}

#elif defined(USE_APR)
#include <apr_general.h>
#include <apr_pools.h>
static apr_pool_t *pool;
static void setup(void) {
    CHECK(apr_initialize() == APR_SUCCESS, "apr_initialize failed");
    CHECK(apr_pool_create(&pool, NULL) == APR_SUCCESS, "apr_pool_create failed");
}
static void finish(void) {
    apr_pool_destroy(pool);
    apr_terminate();
}
typedef apr_pool_t *req_t;
#if defined(SUBPOOL)
#define VARIANT "apr-subpool"
static inline req_t req_begin(void) {
    apr_pool_t *sub = NULL;
    return apr_pool_create(&sub, pool) == APR_SUCCESS ? sub : NULL;
}
static inline void req_end(req_t p, void **objs, unsigned n) {
    (void)objs;
    (void)n;
    apr_pool_destroy(p);
}
#else
#define VARIANT "apr-clear"
static inline req_t req_begin(void) { return pool; }
static inline void req_end(req_t p, void **objs, unsigned n) {
    (void)objs;
    (void)n;
    apr_pool_clear(p);
}
#endif
static inline void *obj_alloc(req_t p, size_t size) { return apr_palloc(p, size); }

#elif defined(USE_OBSTACK)
#include <obstack.h>
#define obstack_chunk_alloc malloc
#define obstack_chunk_free free
#define VARIANT "obstack"
static struct obstack ob;
static void setup(void) {
    CHECK(obstack_begin(&ob, 64 * 1024), "obstack_begin failed"); /* 64 KiB chunks, as ward's first */
    obstack_alignment_mask(&ob) = 7;                              /* 8, as the arena here and APR */
}
static void finish(void) { obstack_free(&ob, NULL); }
typedef void *req_t;
static inline req_t req_begin(void) { return obstack_alloc(&ob, 1); }
static inline void *obj_alloc(req_t m, size_t size) {
    (void)m;
    return obstack_alloc(&ob, size);
}
static inline void req_end(req_t m, void **objs, unsigned n) {
    (void)objs;
    (void)n;
    obstack_free(&ob, m);
}

#elif defined(USE_MALLOC)
#define VARIANT "malloc"
static void setup(void) {}
static void finish(void) {}
typedef int req_t;
static inline req_t req_begin(void) { return 0; }
static inline void *obj_alloc(req_t m, size_t size) {
    (void)m;
    return malloc(size);
}
static inline void req_end(req_t m, void **objs, unsigned n) {
    (void)m;
    for (unsigned i = 0; i < n; i++) free(objs[i]);
}

#else
#error "define one of USE_WARD_ARENA USE_TALLOC USE_APR USE_OBSTACK USE_MALLOC"
#endif

/* ---- the workload ------------------------------------------------------------------ */

int main(int argc, char **argv) {
    uint64_t requests = arg_u64(argc, argv, 1, 1000000);
    setup();
    rng_t r;
    rng_seed(&r, 42);
    void *objs[MAX_OBJECTS];
    size_t sizes[MAX_OBJECTS];
    uint64_t total = 0, objects = 0, bytes = 0;

    double t0 = now_s();
    for (uint64_t q = 0; q < requests; q++) {
        req_t req = req_begin();
        unsigned n = 200 + rng_below(&r, MAX_OBJECTS - 200 + 1);
        uint64_t written = 0;
        for (unsigned i = 0; i < n; i++) {
            size_t size = object_size(&r);
            unsigned char *p = obj_alloc(req, size);
            CHECK(p != NULL, "request %llu: allocation of %zu bytes failed", (unsigned long long)q, size);
            uint64_t v = rng_next(&r);
            memcpy(p, &v, 8);
            written += v;
            if (size >= 16) { /* and one at the end, when it does not overlap the first */
                uint64_t w = v ^ 0x5555555555555555ull;
                memcpy(p + size - 8, &w, 8);
                written += w;
            }
            objs[i] = p;
            sizes[i] = size;
            bytes += size;
        }
        uint64_t read = 0;
        for (unsigned i = 0; i < n; i++) {
            uint64_t v, w;
            const unsigned char *p = objs[i];
            memcpy(&v, p, 8);
            read += v;
            if (sizes[i] >= 16) {
                memcpy(&w, p + sizes[i] - 8, 8);
                read += w;
            }
        }
        CHECK(read == written, "request %llu: objects overlap (read %016llx, wrote %016llx)",
              (unsigned long long)q, (unsigned long long)read, (unsigned long long)written);
        total = mix64(total ^ read);
        objects += n;
        req_end(req, objs, n);
    }
    double t1 = now_s();
    finish();
    printf("request %s ok checksum=%016llx requests=%llu objects=%llu bytes=%llu time=%.3f peak_rss_kb=%llu\n", VARIANT,
           (unsigned long long)total, (unsigned long long)requests, (unsigned long long)objects,
           (unsigned long long)bytes, t1 - t0, peak_rss_kb());
    return 0;
}
