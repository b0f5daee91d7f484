/* heap_lifetime — first-class heaps, beyond tests/unit/heaps.c.
 *
 *  destroy_many  a heap holding 2 M live small blocks (16..256 bytes, about
 *                250 MiB) is destroyed in one call: ward's committed memory
 *                rose by at least the bytes asked for and, after the destroy
 *                and ward_trim, falls back to within 16 MiB of where it
 *                started; blocks of the default heap and of another heap
 *                survive it (patterns). The same 2 M blocks freed one by one
 *                in another heap are timed too, and both times printed (no
 *                timing assertion);
 *  remote_free   the owner keeps allocating from a heap (400 k blocks, 1 B to
 *                1 KiB and now and then up to 1 MiB) while two other threads
 *                free most of them with ward_free (some after a ward_realloc);
 *                contents arrive intact, and the memory they free is reused:
 *                committed grows by less than 64 MiB between the first tenth
 *                of the run and its end, for about 120 MiB handed out; then
 *                the heap is destroyed with the owner's blocks still live;
 *  realloc       ward_heap_realloc grows a block step by step from 1 byte to
 *                64 MiB and shrinks it back, keeping the contents (position
 *                patterns) at every step, across every size class (small,
 *                medium, large, huge), with other allocations in between;
 *                ward_heap_realloc of a block of the default heap moves its
 *                contents too.
 */
#include "api.h"

#include <pthread.h>
#include <stdint.h>

#include "queue.h"

#ifdef WARD_TEST_TSAN
#define SCALE 10
#else
#define SCALE 1
#endif

static size_t committed(void)
{
    ward_stats_t st;
    ward_stats_get(&st);
    return st.committed;
}

/* ---- destroy_many ---------------------------------------------------------------- */

static void test_destroy_many(void)
{
    const size_t N = 2000000 / SCALE;
    void **v = raw_alloc(N * sizeof *v);
    unsigned char *def[32];
    for (int i = 0; i < 32; i++) {
        def[i] = ward_malloc(100 + (size_t)i * 1000);
        CHECK(def[i] != NULL);
        pattern_fill(def[i], 100 + (size_t)i * 1000, 11);
    }
    ward_heap_t *other = ward_heap_new();
    CHECK(other != NULL);
    unsigned char *ob[32];
    for (int i = 0; i < 32; i++) {
        ob[i] = ward_heap_malloc(other, 24 + (size_t)i * 3000);
        CHECK(ob[i] != NULL);
        pattern_fill(ob[i], 24 + (size_t)i * 3000, 12);
    }
    ward_trim();
    size_t c0 = committed();

    /* one by one */
    ward_heap_t *h = ward_heap_new();
    CHECK(h != NULL);
    for (size_t i = 0; i < N; i++) {
        size_t s = 16 + (i * 7) % 241;
        unsigned char *p = ward_heap_malloc(h, s);
        CHECK(p != NULL);
        p[0] = p[s - 1] = (unsigned char)i;
        v[i] = p;
    }
    double t0 = now_sec();
    for (size_t i = 0; i < N; i++) ward_free(v[i]);
    double secs_free = now_sec() - t0;
    ward_heap_destroy(h);

    /* all at once */
    h = ward_heap_new();
    CHECK(h != NULL);
    size_t asked = 0;
    for (size_t i = 0; i < N; i++) {
        size_t s = 16 + (i * 7) % 241;
        unsigned char *p = ward_heap_malloc(h, s);
        CHECK(p != NULL);
        p[0] = p[s - 1] = (unsigned char)i;
        asked += s;
    }
    size_t c1 = committed();
    CHECKF(c1 >= c0 + asked / 2, "committed grew by %zu MiB for %zu MiB of heap blocks", (c1 - c0) / MiB,
           asked / MiB);
    t0 = now_sec();
    ward_heap_destroy(h);
    double secs_destroy = now_sec() - t0;
    ward_trim();
    size_t c2 = committed();
    printf("destroy_many: %zu blocks (%zu MiB): freeing one by one %.1f ms, destroy %.1f ms; committed %zu -> %zu -> "
           "%zu MiB\n",
           N, asked / MiB, secs_free * 1e3, secs_destroy * 1e3, c0 / MiB, c1 / MiB, c2 / MiB);
    CHECKF(c2 <= c0 + 16 * MiB, "committed %zu MiB after destroying a heap of %zu blocks and trimming, %zu before",
           c2 / MiB, N, c0 / MiB);
    for (int i = 0; i < 32; i++) {
        CHECK_PATTERN(def[i], 100 + (size_t)i * 1000, 11);
        CHECK_PATTERN(ob[i], 24 + (size_t)i * 3000, 12);
        ward_free(def[i]);
    }
    ward_heap_destroy(other);
    raw_free(v, N * sizeof *v);
}

/* ---- remote_free ------------------------------------------------------------------ */

static void *freer(void *arg)
{
    queue_t *q = arg;
    qitem_t it;
    size_t n = 0;
    while (q_pop(q, &it)) {
        void *p = it.p;
        CHECK_IDX(p, it.size, it.seed);
        if (n++ % 5 == 0) {
            p = ward_realloc(p, it.size + 64); /* realloc of a heap block from another thread */
            CHECK(p != NULL);
            CHECK_IDX(p, it.size, it.seed);
        }
        ward_free(p);
    }
    return NULL;
}

static void test_remote_free(void)
{
    const int N = 400000 / SCALE;
    ward_heap_t *h = ward_heap_new();
    CHECK(h != NULL);
    queue_t q;
    q_init(&q, 2048, 1);
    pthread_t t[2];
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&t[i], NULL, freer, &q) == 0);
    rng_t r;
    rng_seed(&r, 77);
    void *mine[256] = {0};
    size_t handed = 0, c_early = 0;
    for (int i = 0; i < N; i++) {
        size_t s = (i % 2000 == 0) ? rng_logsize(&r, 64 * KiB, MiB) : rng_logsize(&r, 1, 1024);
        unsigned char *p = ward_heap_malloc(h, s);
        CHECK(p != NULL);
        uint64_t seed = (uint64_t)i * 0x9E3779B97F4A7C15ull;
        idx_fill(p, 0, s, seed);
        handed += s;
        if (i % 8 == 0) {
            int k = (int)rng_range(&r, 0, 255);
            if (mine[k]) ward_free(mine[k]); /* the owner frees some of its own too */
            mine[k] = p;
        } else {
            q_push(&q, (qitem_t){p, s, seed});
        }
        if (i == N / 10) c_early = committed();
    }
    q_producer_done(&q);
    for (int i = 0; i < 2; i++) CHECK(pthread_join(t[i], NULL) == 0);
    size_t c_end = committed();
    printf("remote_free: %zu MiB handed out; committed %zu MiB after a tenth, %zu MiB at the end\n", handed / MiB,
           c_early / MiB, c_end / MiB);
    CHECKF(c_end <= c_early + 64 * MiB / SCALE,
           "committed grew from %zu to %zu MiB while other threads freed the heap's blocks: not reused",
           c_early / MiB, c_end / MiB);
    ward_heap_destroy(h); /* `mine` still live */
    q_destroy(&q);
}

/* ---- realloc ------------------------------------------------------------------------ */

static void test_realloc(void)
{
    ward_heap_t *h = ward_heap_new();
    CHECK(h != NULL);
    void *noise[64];
    int nn = 0;
    size_t steps[64];
    int ns = 0;
    for (size_t s = 1; s <= 64 * MiB; s = s < 16 ? s + 5 : s * 3 / 2) steps[ns++] = s;
    steps[ns++] = 64 * MiB;
    unsigned char *p = ward_heap_malloc(h, steps[0]);
    CHECK(p != NULL);
    idx_fill(p, 0, steps[0], 123);
    size_t cur = steps[0];
    for (int i = 1; i < ns; i++) { /* grow */
        unsigned char *q = ward_heap_realloc(h, p, steps[i]);
        CHECKF(q != NULL, "ward_heap_realloc to %zu returned NULL", steps[i]);
        CHECK(ward_usable_size(q) >= steps[i]);
        CHECK_IDX(q, cur, 123);
        idx_fill(q, cur, steps[i], 123);
        p = q;
        cur = steps[i];
        if (nn < 64) {
            noise[nn] = ward_heap_malloc(h, 1 + cur % 3000); /* something in between */
            CHECK(noise[nn] != NULL);
            nn++;
        }
    }
    CHECK_IDX(p, cur, 123);
    for (int i = ns - 2; i >= 0; i--) { /* shrink */
        unsigned char *q = ward_heap_realloc(h, p, steps[i]);
        CHECKF(q != NULL, "ward_heap_realloc down to %zu returned NULL", steps[i]);
        CHECK(ward_usable_size(q) >= steps[i]);
        CHECK_IDX(q, steps[i], 123);
        p = q;
    }
    /* jumps straight between classes */
    static const size_t jumps[] = {10, 5 * MiB, 100, 300 * KiB, 20000, 40 * MiB, 8, 3 * MiB, 1};
    idx_fill(p, 0, 1, 9);
    cur = 1;
    for (size_t i = 0; i < sizeof jumps / sizeof jumps[0]; i++) {
        size_t keep = cur < jumps[i] ? cur : jumps[i];
        unsigned char *q = ward_heap_realloc(h, p, jumps[i]);
        CHECK(q != NULL);
        CHECK_IDX(q, keep, 9);
        idx_fill(q, keep, jumps[i], 9);
        p = q;
        cur = jumps[i];
    }
    ward_free(p);
    /* a block of the default heap */
    unsigned char *d = ward_malloc(5000);
    CHECK(d != NULL);
    idx_fill(d, 0, 5000, 31);
    unsigned char *e = ward_heap_realloc(h, d, 500000);
    CHECK(e != NULL);
    CHECK_IDX(e, 5000, 31);
    ward_free(e);
    ward_heap_destroy(h); /* frees the noise */
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } cases[] = {
        {"destroy_many", test_destroy_many},
        {"remote_free", test_remote_free},
        {"realloc", test_realloc},
    };
    t_init();
    int ran = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name) != 0) continue;
        cases[i].fn();
        printf("heap_lifetime %s (%s): ok\n", cases[i].name, T_VARIANT);
        ran++;
    }
    CHECKF(ran > 0, "no case named %s", argv[1]);
    return 0;
}
