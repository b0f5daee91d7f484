/* heaps — first-class heaps (ward_heap_*).
 *
 *  - ward_heap_malloc/calloc/realloc/aligned_alloc give ordinary blocks:
 *    16-byte aligned (or as asked), usable_size >= size, calloc zero,
 *    realloc keeps contents, ward_free/ward_realloc accept them;
 *  - bad input: ward_heap_malloc(h, SIZE_MAX), ward_heap_calloc overflow and
 *    ward_heap_realloc(h, p, SIZE_MAX) give NULL + ENOMEM (p intact);
 *    ward_heap_aligned_alloc with a non-power-of-two alignment gives NULL +
 *    EINVAL; ward_heap_realloc(h, NULL, n) allocates, (h, p, 0) frees;
 *  - blocks freed with ward_free by another thread, while the owner keeps
 *    allocating from the heap, and then the heap destroyed;
 *  - destroy with many live blocks of every size (small to 64 MiB) releases
 *    them: 20 rounds of fill-and-destroy (64 MiB each, less under TSan) must not grow ward's
 *    committed memory by more than 512 MiB;
 *  - a heap handed from one thread to another (synchronised by join);
 *  - many heaps (1000) in one thread, interleaved, patterns checked, destroyed
 *    in random order; blocks of the default heap are unaffected.
 */
#include "api.h"

#include <pthread.h>

#include "queue.h"

#ifdef WARD_TEST_TSAN
#define SCALE 5 /* everything is slower under TSan */
#else
#define SCALE 1
#endif

static size_t committed(void)
{
    ward_stats_t st;
    ward_stats_get(&st);
    return st.committed;
}

static void *remote_freer(void *arg)
{
    queue_t *q = arg;
    qitem_t it;
    size_t n = 0;
    while (q_pop(q, &it)) {
        void *p = it.p;
        size_t s = it.size;
        CHECK_PATTERN(p, s, block_seed(p, s));
        if (n++ % 3 == 0) {
            /* realloc from another thread, then free */
            p = ward_realloc(p, s + 100);
            CHECK(p != NULL);
        }
        ward_free(p);
    }
    return NULL;
}

static void basics(void)
{
    ward_heap_t *h = ward_heap_new();
    CHECK(h != NULL);
    for (size_t s = 1; s <= 64 * MiB; s = s * 2 + 1) {
        unsigned char *p = ward_heap_malloc(h, s);
        CHECKF(p != NULL, "ward_heap_malloc(%zu) returned NULL", s);
        CHECKF(s < 16 || (uintptr_t)p % 16 == 0, "ward_heap_malloc(%zu) = %p not 16-aligned", s, (void *)p);
        CHECK(ward_usable_size(p) >= s);
        pattern_fill(p, ward_usable_size(p), block_seed(p, s));

        unsigned char *z = ward_heap_calloc(h, 1, s);
        CHECK(z != NULL);
        CHECK_ZERO(z, s);
        memset(z, 0xAA, s);
        ward_free(z);
        z = ward_heap_calloc(h, s, 1); /* reused dirty memory must be zero too */
        CHECK(z != NULL);
        CHECK_ZERO(z, s);

        CHECK_PATTERN(p, ward_usable_size(p), block_seed(p, s));
        size_t keep = s;
        unsigned char *q = ward_heap_realloc(h, p, s * 3 + 7);
        CHECK(q != NULL);
        for (size_t i = 0; i < keep; i++)
            CHECKF(q[i] == pattern_byte((uintptr_t)p + i, block_seed(p, s)), "heap realloc lost byte %zu", i);
        if (s % 2) ward_free(q);
        else {
            q = ward_realloc(q, s / 2 + 1); /* the generic realloc on a heap block */
            CHECK(q != NULL);
            ward_free(q);
        }
        if (s % 3 == 0) ward_free(z); /* others left for destroy */
    }
    for (size_t a = 1; a <= 16 * MiB; a *= 4) {
        unsigned char *p = ward_heap_aligned_alloc(h, a, a + 3);
        CHECKF(p != NULL, "ward_heap_aligned_alloc(%zu) returned NULL", a);
        CHECKF((uintptr_t)p % a == 0, "ward_heap_aligned_alloc(%zu) = %p misaligned", a, (void *)p);
        memset(p, 1, a + 3);
    }
    /* realloc(NULL) and realloc(p, 0) */
    unsigned char *p = ward_heap_realloc(h, NULL, 100);
    CHECK(p != NULL);
    memset(p, 2, 100);
    CHECK(ward_heap_realloc(h, p, opaque_size(0)) == NULL);

    /* bad input */
    errno = 0;
    CHECK(ward_heap_malloc(h, opaque_size(SIZE_MAX)) == NULL);
    CHECK_ERRNO(ENOMEM);
    errno = 0;
    CHECK(ward_heap_malloc(h, opaque_size((size_t)PTRDIFF_MAX + 1)) == NULL);
    CHECK_ERRNO(ENOMEM);
    errno = 0;
    CHECK(ward_heap_calloc(h, opaque_size((size_t)1 << 32), opaque_size((size_t)1 << 32)) == NULL);
    CHECK_ERRNO(ENOMEM);
    errno = 0;
    CHECK(ward_heap_calloc(h, opaque_size(SIZE_MAX), 2) == NULL);
    CHECK_ERRNO(ENOMEM);
    errno = 0;
    CHECK(ward_heap_aligned_alloc(h, opaque_size(24), 100) == NULL);
    CHECK_ERRNO(EINVAL);
    errno = 0;
    CHECK(ward_heap_aligned_alloc(h, opaque_size(0), 100) == NULL);
    CHECK_ERRNO(EINVAL);
    errno = 0;
    CHECK(ward_heap_aligned_alloc(h, 64, opaque_size(SIZE_MAX - 10)) == NULL);
    CHECK_ERRNO(ENOMEM);
    p = ward_heap_malloc(h, 1000);
    CHECK(p != NULL);
    pattern_fill(p, 1000, 77);
    errno = 0;
    CHECK(ward_heap_realloc(h, p, opaque_size(SIZE_MAX)) == NULL);
    CHECK_ERRNO(ENOMEM);
    CHECK_PATTERN(p, 1000, 77);
    ward_free(p);

    ward_heap_destroy(h);
}

static void remote_frees_then_destroy(void)
{
    for (int round = 0; round < 4; round++) {
        ward_heap_t *h = ward_heap_new();
        CHECK(h != NULL);
        queue_t q;
        q_init(&q, 1024, 1);
        pthread_t t;
        CHECK(pthread_create(&t, NULL, remote_freer, &q) == 0);
        rng_t r;
        rng_seed(&r, (uint64_t)round);
        void *mine[256] = {0};
        for (int i = 0; i < 100000 / SCALE; i++) {
            size_t s = (i % 1000 == 0) ? rng_logsize(&r, 1, 2 * MiB) : rng_logsize(&r, 1, 4096);
            unsigned char *p = ward_heap_malloc(h, s);
            CHECK(p != NULL);
            pattern_fill(p, s, block_seed(p, s));
            if (i % 4 == 0) {
                /* kept by the owner for a while */
                int k = (int)rng_range(&r, 0, 255);
                if (mine[k]) ward_free(mine[k]);
                mine[k] = p;
            } else {
                q_push(&q, (qitem_t){p, s, 0});
            }
        }
        q_producer_done(&q);
        /* destroy must not race with frees of its blocks: join first. The
         * remote frees may still sit unprocessed on the heap's pages. */
        CHECK(pthread_join(t, NULL) == 0);
        if (round % 2) {
            /* odd rounds: the owner allocates some more first (and may collect them) */
            for (int i = 0; i < 10000; i++) {
                void *p = ward_heap_malloc(h, 1 + (size_t)i % 512);
                CHECK(p != NULL);
                if (i % 2) ward_free(p);
            }
        }
        ward_heap_destroy(h); /* `mine` blocks still live: destroy releases them */
        q_destroy(&q);
    }
}

static void destroy_releases(void)
{
    size_t c0 = 0;
    for (int round = 0; round < 20; round++) {
        ward_heap_t *h = ward_heap_new();
        CHECK(h != NULL);
        size_t total = 0;
        rng_t r;
        rng_seed(&r, (uint64_t)round + 1000);
        while (total < 64 * MiB / SCALE) {
            size_t s;
            unsigned k = (unsigned)rng_range(&r, 0, 999);
            if (k < 900) s = rng_logsize(&r, 1, 1024);
            else if (k < 995) s = rng_logsize(&r, 1024, 512 * KiB);
            else s = rng_logsize(&r, 512 * KiB, 8 * MiB);
            unsigned char *p = (k % 7 == 0) ? ward_heap_calloc(h, 1, s) : ward_heap_malloc(h, s);
            CHECK(p != NULL);
            memset(p, 0x77, s);
            total += s;
        }
        if (round % 5 == 0) {
            unsigned char *big = ward_heap_malloc(h, 64 * MiB);
            CHECK(big != NULL);
            memset(big, 1, 64 * MiB);
        }
        ward_heap_destroy(h);
        if (round == 2) c0 = committed();
    }
    size_t c1 = committed();
    printf("destroy: committed %zu MiB after 3 rounds, %zu MiB after 20\n", c0 / MiB, c1 / MiB);
#ifndef WARD_TEST_SHIM
    CHECKF(c1 <= c0 + 512 * MiB, "committed memory grew from %zu to %zu MiB over 17 heap fill/destroy rounds",
           c0 / MiB, c1 / MiB);
#endif
}

typedef struct {
    ward_heap_t *h;
    void *blocks[1000];
    size_t sizes[1000];
} handoff_t;

static void *handoff_second(void *arg)
{
    handoff_t *ho = arg;
    for (int i = 0; i < 1000; i++) CHECK_PATTERN(ho->blocks[i], ho->sizes[i], block_seed(ho->blocks[i], ho->sizes[i]));
    for (int i = 0; i < 1000; i += 2) ward_free(ho->blocks[i]);
    for (int i = 0; i < 1000; i += 2) {
        size_t s = ho->sizes[i] + 8;
        ho->blocks[i] = ward_heap_malloc(ho->h, s);
        CHECK(ho->blocks[i] != NULL);
        ho->sizes[i] = s;
        pattern_fill(ho->blocks[i], s, block_seed(ho->blocks[i], s));
    }
    return NULL;
}
static void *handoff_first(void *arg)
{
    handoff_t *ho = arg;
    ho->h = ward_heap_new();
    CHECK(ho->h != NULL);
    for (int i = 0; i < 1000; i++) {
        ho->sizes[i] = 1 + (size_t)i * 13 % 3000;
        ho->blocks[i] = ward_heap_malloc(ho->h, ho->sizes[i]);
        CHECK(ho->blocks[i] != NULL);
        pattern_fill(ho->blocks[i], ho->sizes[i], block_seed(ho->blocks[i], ho->sizes[i]));
    }
    return NULL;
}

static void heap_moves_between_threads(void)
{
    handoff_t *ho = raw_alloc(sizeof *ho);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, handoff_first, ho) == 0);
    CHECK(pthread_join(t, NULL) == 0); /* the first thread has exited */
    CHECK(pthread_create(&t, NULL, handoff_second, ho) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    for (int i = 0; i < 1000; i++) CHECK_PATTERN(ho->blocks[i], ho->sizes[i], block_seed(ho->blocks[i], ho->sizes[i]));
    ward_heap_destroy(ho->h);
    raw_free(ho, sizeof *ho);
}

static void many_heaps(void)
{
    enum { H = 1000, B = 16 };
    ward_heap_t **hs = raw_alloc(H * sizeof *hs);
    unsigned char *(*bl)[B] = raw_alloc(H * sizeof *bl);
    size_t (*sz)[B] = raw_alloc(H * sizeof *sz);
    /* blocks of the default heap, which must survive everything */
    unsigned char *def[64];
    for (int i = 0; i < 64; i++) {
        def[i] = t_malloc(100 + (size_t)i);
        CHECK(def[i] != NULL);
        pattern_fill(def[i], 100 + (size_t)i, block_seed(def[i], 1));
    }
    for (int i = 0; i < H; i++) {
        hs[i] = ward_heap_new();
        CHECK(hs[i] != NULL);
        for (int j = 0; j < i; j++) CHECK(hs[j] != hs[i]);
    }
    rng_t r;
    rng_seed(&r, 5);
    for (int j = 0; j < B; j++) {
        for (int i = 0; i < H; i++) { /* interleaved: one block from each heap in turn */
            size_t s = (j == B - 1 && i % 100 == 0) ? rng_logsize(&r, 64 * KiB, 2 * MiB) : rng_logsize(&r, 1, 2048);
            bl[i][j] = ward_heap_malloc(hs[i], s);
            CHECK(bl[i][j] != NULL);
            sz[i][j] = s;
            pattern_fill(bl[i][j], s, block_seed(bl[i][j], s));
        }
    }
    for (int i = 0; i < H; i++)
        for (int j = 0; j < B; j++) CHECK_PATTERN(bl[i][j], sz[i][j], block_seed(bl[i][j], sz[i][j]));
    /* destroy in random order, checking the survivors now and then */
    int *order = raw_alloc(H * sizeof *order);
    for (int i = 0; i < H; i++) order[i] = i;
    for (int i = H - 1; i > 0; i--) {
        int k = (int)rng_range(&r, 0, (size_t)i);
        int t = order[i];
        order[i] = order[k];
        order[k] = t;
    }
    for (int n = 0; n < H; n++) {
        int i = order[n];
        if (n % 2) ward_free(bl[i][0]); /* some blocks freed before their heap goes */
        ward_heap_destroy(hs[i]);
        hs[i] = NULL;
        if (n % 100 == 99) {
            for (int k = 0; k < H; k++)
                if (hs[k])
                    for (int j = 0; j < B; j++) CHECK_PATTERN(bl[k][j], sz[k][j], block_seed(bl[k][j], sz[k][j]));
        }
    }
    for (int i = 0; i < 64; i++) {
        CHECK_PATTERN(def[i], 100 + (size_t)i, block_seed(def[i], 1));
        t_free(def[i]);
    }
    raw_free(order, H * sizeof *order);
    raw_free(hs, H * sizeof *hs);
    raw_free(bl, H * sizeof *bl);
    raw_free(sz, H * sizeof *sz);
}

int main(void)
{
    t_init();
    basics();
    remote_frees_then_destroy();
    destroy_releases();
    heap_moves_between_threads();
    many_heaps();
    printf("heaps (%s): ok\n", T_VARIANT);
    return 0;
}
