/* churn — fixed-size objects allocated and freed in random order.
 *
 * usage: churn [operations (50000000)] [object size (48)]
 *
 * Models the node/connection/timer objects a pool is for: 20 000 slots, each
 * operation picks a random slot and frees its object if it holds one,
 * allocates one otherwise, so about 10 000 objects are live and allocations
 * and frees interleave at random. Every object is filled when allocated and
 * checked word by word when freed (and at the end), so an object handed out
 * twice or corrupted by the allocator is caught.
 *
 * Contenders: ward pool (ward_pool_alloc / ward_pool_free), malloc/free
 * (under ward, glibc, mimalloc), and talloc (talloc_size under one context,
 * talloc_free of each object). APR pools and obstacks cannot free an object
 * alone, so they have no row here.
 */
#include "common.h"

#define SLOTS 20000

#if defined(USE_WARD_POOL)
#include <ward.h>
#define VARIANT "ward-pool"
static ward_pool_t *pool;
static void setup(size_t size) {
    pool = ward_pool_new(size, 0);
    CHECK(pool != NULL, "ward_pool_new failed");
}
static void finish(void) { ward_pool_destroy(pool); }
static inline void *obj_alloc(size_t size) {
    (void)size;
    return ward_pool_alloc(pool);
}
static inline void obj_free(void *p) { ward_pool_free(pool, p); }

#elif defined(USE_TALLOC)
#include <talloc.h>
#define VARIANT "talloc"
static void *ctx;
static void setup(size_t size) {
    (void)size;
    ctx = talloc_new(NULL);
    CHECK(ctx != NULL, "talloc_new failed");
}
static void finish(void) { talloc_free(ctx); }
static inline void *obj_alloc(size_t size) { return talloc_size(ctx, size); }
static inline void obj_free(void *p) { CHECK(talloc_free(p) == 0, "talloc_free failed"); }

#elif defined(USE_MALLOC)
#define VARIANT "malloc"
static void setup(size_t size) { (void)size; }
static void finish(void) {}
static inline void *obj_alloc(size_t size) { return malloc(size); }
static inline void obj_free(void *p) { free(p); }

#else
#error "define one of USE_WARD_POOL USE_TALLOC USE_MALLOC"
#endif

static void *slot[SLOTS];
static uint64_t value[SLOTS];

static inline void fill(uint64_t *p, size_t words, uint64_t v) {
    for (size_t i = 0; i < words; i++) p[i] = v + i;
}

static inline uint64_t check(const uint64_t *p, size_t words, uint64_t v, uint64_t *bad) {
    uint64_t s = 0;
    for (size_t i = 0; i < words; i++) {
        s += p[i];
        *bad += p[i] != v + i;
    }
    return s;
}

int main(int argc, char **argv) {
    uint64_t ops = arg_u64(argc, argv, 1, 50000000);
    size_t size = (size_t)arg_u64(argc, argv, 2, 48);
    CHECK(size >= 8 && size % 8 == 0, "object size must be a multiple of 8");
    size_t words = size / 8;
    setup(size);
    rng_t r;
    rng_seed(&r, 7);
    uint64_t sum = 0, bad = 0, allocs = 0, frees = 0, live = 0, peak = 0;

    double t0 = now_s();
    for (uint64_t op = 0; op < ops; op++) {
        uint32_t i = rng_below(&r, SLOTS);
        if (slot[i] != NULL) {
            sum += check(slot[i], words, value[i], &bad);
            obj_free(slot[i]);
            slot[i] = NULL;
            frees++;
            live--;
        } else {
            uint64_t *p = obj_alloc(size);
            CHECK(p != NULL, "allocation failed");
            value[i] = op * 0x9E3779B97F4A7C15ull;
            fill(p, words, value[i]);
            slot[i] = p;
            allocs++;
            if (++live > peak) peak = live;
        }
    }
    for (uint32_t i = 0; i < SLOTS; i++)
        if (slot[i] != NULL) {
            sum += check(slot[i], words, value[i], &bad);
            obj_free(slot[i]);
            slot[i] = NULL;
        }
    double t1 = now_s();
    CHECK(bad == 0, "%llu corrupted words", (unsigned long long)bad);
    finish();
    printf("churn %s ok checksum=%016llx ops=%llu allocs=%llu frees=%llu peak_live=%llu time=%.3f peak_rss_kb=%llu\n", VARIANT,
           (unsigned long long)sum, (unsigned long long)ops, (unsigned long long)allocs,
           (unsigned long long)frees, (unsigned long long)peak, t1 - t0, peak_rss_kb());
    return 0;
}
