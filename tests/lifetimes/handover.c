/* handover — an arena and a pool used by two threads one after the other
 * (the documented rule: one thread at a time, the hand-over synchronised by
 * the program; here by pthread_join).
 *
 *  arena  thread 1 creates an arena, allocates across several chunks (and a
 *         big block), marks, registers cleanups and exits; thread 2 checks
 *         the contents, allocates more, rewinds to thread 1's mark (the
 *         cleanups registered after it run, in thread 2), allocates again and
 *         exits; the main thread checks everything, resets and destroys the
 *         arena (releasing chunks that other, finished threads allocated).
 *         Repeated 20 times; ward's committed memory does not grow across
 *         the rounds (beyond 32 MiB);
 *  pool   thread 1 creates a pool and allocates 50000 objects; thread 2
 *         frees every other one and allocates 25000 more (reusing the freed
 *         ones: reserved does not grow); the main thread checks contents and
 *         live counts and destroys the pool. Repeated 20 times, committed
 *         memory bounded likewise;
 *  adopted a thread creates a pool and an arena and exits; the main thread
 *         then needs memory and adopts the exited thread's segments; the
 *         pool's objects are still its own (adoption used to clear the
 *         chunks' mark, and pool free then reported its own objects).
 */
#include "api.h"

#include <pthread.h>
#include <stdint.h>

#ifdef WARD_TEST_TSAN
#define ROUNDS 4
#else
#define ROUNDS 20
#endif

static size_t committed(void)
{
    ward_stats_t st;
    ward_stats_get(&st);
    return st.committed;
}

/* ---- arena ------------------------------------------------------------------ */

enum { AN = 3000 };

typedef struct {
    ward_arena_t *a;
    unsigned char *blocks[2 * AN];
    size_t sizes[2 * AN];
    size_t n;
    unsigned char *big;
    ward_arena_mark_t m;
    size_t used_at_mark;
    int cleanups[8];
    int ncleanups;
    pthread_t cleanup_thread;
} arena_ho_t;

static arena_ho_t *cur;

static void cleanup(void *arg)
{
    cur->cleanups[cur->ncleanups++] = (int)(intptr_t)arg;
    cur->cleanup_thread = pthread_self();
}

static void *arena_first(void *arg)
{
    arena_ho_t *h = arg;
    h->a = ward_arena_new(0);
    CHECK(h->a != NULL);
    for (size_t i = 0; i < AN; i++) {
        size_t s = 1 + (i * 131) % 900;
        h->blocks[i] = ward_arena_alloc(h->a, s, (size_t)1 << (i % 5));
        CHECK(h->blocks[i] != NULL);
        h->sizes[i] = s;
        pattern_fill(h->blocks[i], s, block_seed(h->blocks[i], s));
    }
    h->n = AN;
    h->big = ward_arena_alloc(h->a, 3 * MiB, 0);
    CHECK(h->big != NULL);
    pattern_fill(h->big, 3 * MiB, 5);
    CHECK(ward_arena_defer(h->a, cleanup, (void *)1) == 0);
    h->m = ward_arena_mark(h->a);
    h->used_at_mark = ward_arena_used(h->a);
    CHECK(ward_arena_defer(h->a, cleanup, (void *)2) == 0);
    return NULL;
}

static void *arena_second(void *arg)
{
    arena_ho_t *h = arg;
    for (size_t i = 0; i < h->n; i++) CHECK_PATTERN(h->blocks[i], h->sizes[i], block_seed(h->blocks[i], h->sizes[i]));
    CHECK_PATTERN(h->big, 3 * MiB, 5);
    for (size_t i = 0; i < AN; i++) CHECK(ward_arena_alloc(h->a, 700, 0) != NULL);
    CHECK(ward_arena_alloc(h->a, 5 * MiB, 0) != NULL);
    CHECK(ward_arena_defer(h->a, cleanup, (void *)3) == 0);
    ward_arena_rewind(h->a, h->m);
    CHECK(ward_arena_used(h->a) == h->used_at_mark);
    CHECK(h->ncleanups == 2 && h->cleanups[0] == 3 && h->cleanups[1] == 2);
    CHECK(pthread_equal(h->cleanup_thread, pthread_self()));
    for (size_t i = AN; i < 2 * AN; i++) {
        size_t s = 1 + (i * 17) % 2000;
        h->blocks[i] = ward_arena_alloc(h->a, s, 8);
        CHECK(h->blocks[i] != NULL);
        h->sizes[i] = s;
        pattern_fill(h->blocks[i], s, block_seed(h->blocks[i], s));
    }
    h->n = 2 * AN;
    return NULL;
}

static void test_arena(void)
{
    size_t c_first = 0;
    arena_ho_t *h = raw_alloc(sizeof *h);
    cur = h;
    for (int round = 0; round < ROUNDS; round++) {
        memset(h, 0, sizeof *h);
        pthread_t t;
        CHECK(pthread_create(&t, NULL, arena_first, h) == 0);
        CHECK(pthread_join(t, NULL) == 0);
        CHECK(pthread_create(&t, NULL, arena_second, h) == 0);
        CHECK(pthread_join(t, NULL) == 0);
        for (size_t i = 0; i < h->n; i++)
            CHECK_PATTERN(h->blocks[i], h->sizes[i], block_seed(h->blocks[i], h->sizes[i]));
        CHECK_PATTERN(h->big, 3 * MiB, 5);
        ward_arena_reset(h->a);
        CHECK(h->ncleanups == 3 && h->cleanups[2] == 1);
        CHECK(ward_arena_alloc(h->a, 100, 0) != NULL);
        ward_arena_destroy(h->a);
        ward_trim();
        if (round == 1) c_first = committed();
        if (round > 1)
            CHECKF(committed() <= c_first + 32 * MiB, "round %d: committed %zu MiB, %zu MiB in round 1", round,
                   committed() / MiB, c_first / MiB);
    }
    raw_free(h, sizeof *h);
}

/* ---- pool ------------------------------------------------------------------- */

enum { PN = 50000, PM = PN / 2 }; /* thread 2 allocates as many as it frees */

typedef struct {
    ward_pool_t *p;
    uint64_t *objs[PN + PM];
    size_t reserved_first;
} pool_ho_t;

static void *pool_first(void *arg)
{
    pool_ho_t *h = arg;
    h->p = ward_pool_new(40, 8);
    CHECK(h->p != NULL);
    for (int i = 0; i < PN; i++) {
        uint64_t *o = ward_pool_alloc(h->p);
        CHECK(o != NULL);
        for (int k = 0; k < 5; k++) o[k] = (uint64_t)i * 5 + (uint64_t)k;
        h->objs[i] = o;
    }
    h->reserved_first = ward_pool_reserved(h->p);
    return NULL;
}

static void *pool_second(void *arg)
{
    pool_ho_t *h = arg;
    for (int i = 0; i < PN; i += 2) {
        ward_pool_free(h->p, h->objs[i]);
        h->objs[i] = NULL;
    }
    CHECK(ward_pool_live(h->p) == PN / 2);
    for (int i = PN; i < PN + PM; i++) {
        uint64_t *o = ward_pool_alloc(h->p);
        CHECK(o != NULL);
        for (int k = 0; k < 5; k++) o[k] = (uint64_t)i * 5 + (uint64_t)k;
        h->objs[i] = o;
    }
    CHECKF(ward_pool_reserved(h->p) == h->reserved_first, "reserved grew from %zu to %zu: freed objects not reused",
           h->reserved_first, ward_pool_reserved(h->p));
    return NULL;
}

static void test_pool(void)
{
    size_t c_first = 0;
    pool_ho_t *h = raw_alloc(sizeof *h);
    for (int round = 0; round < ROUNDS; round++) {
        memset(h, 0, sizeof *h);
        pthread_t t;
        CHECK(pthread_create(&t, NULL, pool_first, h) == 0);
        CHECK(pthread_join(t, NULL) == 0);
        CHECK(pthread_create(&t, NULL, pool_second, h) == 0);
        CHECK(pthread_join(t, NULL) == 0);
        CHECK(ward_pool_live(h->p) == PN / 2 + PM);
        for (int i = 0; i < PN + PM; i++) {
            uint64_t *o = h->objs[i];
            if (o == NULL) continue;
            for (int k = 0; k < 5; k++)
                CHECKF(o[k] == (uint64_t)i * 5 + (uint64_t)k, "object %d at %p overwritten", i, (void *)o);
        }
        ward_pool_destroy(h->p);
        ward_trim();
        if (round == 1) c_first = committed();
        if (round > 1)
            CHECKF(committed() <= c_first + 32 * MiB, "round %d: committed %zu MiB, %zu MiB in round 1", round,
                   committed() / MiB, c_first / MiB);
    }
    raw_free(h, sizeof *h);
}

/* ---- adoption ------------------------------------------------------------- */

typedef struct {
    ward_pool_t *p;
    ward_arena_t *a;
    uint64_t *objs[64];
    char *text;
} adopt_ho_t;

static void *adopt_first(void *arg)
{
    adopt_ho_t *h = arg;
    h->p = ward_pool_new(24, 8);
    h->a = ward_arena_new(0);
    CHECK(h->p != NULL && h->a != NULL);
    for (int i = 0; i < 64; i++) {
        h->objs[i] = ward_pool_alloc(h->p);
        CHECK(h->objs[i] != NULL);
        h->objs[i][0] = (uint64_t)i;
    }
    h->text = ward_arena_strdup(h->a, "kept across adoption");
    CHECK(h->text != NULL);
    return NULL;
}

static void test_adopted(void)
{
    adopt_ho_t *h = raw_alloc(sizeof *h);
    memset(h, 0, sizeof *h);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, adopt_first, h) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    /* Enough large blocks that this thread's heap runs out of room and
     * adopts the exited thread's abandoned segment. */
    enum { NB = 400 };
    void **blocks = raw_alloc(NB * sizeof *blocks);
    for (int i = 0; i < NB; i++) {
        blocks[i] = ward_malloc(70000);
        CHECK(blocks[i] != NULL);
    }
    for (int i = 0; i < 64; i++) {
        CHECK(h->objs[i][0] == (uint64_t)i);
        ward_pool_free(h->p, h->objs[i]);
    }
    CHECK(ward_pool_live(h->p) == 0);
    uint64_t *o = ward_pool_alloc(h->p);
    CHECK(o != NULL);
    ward_pool_free(h->p, o);
    CHECK(strcmp(h->text, "kept across adoption") == 0);
    for (int i = 0; i < NB; i++) ward_free(blocks[i]);
    ward_pool_destroy(h->p);
    ward_arena_destroy(h->a);
    raw_free(blocks, NB * sizeof *blocks);
    raw_free(h, sizeof *h);
}

int main(int argc, char **argv)
{
    t_init();
    if (argc < 2 || !strcmp(argv[1], "arena")) {
        test_arena();
        printf("handover arena (%s): ok\n", T_VARIANT);
    }
    if (argc < 2 || !strcmp(argv[1], "pool")) {
        test_pool();
        printf("handover pool (%s): ok\n", T_VARIANT);
    }
    if (argc < 2 || !strcmp(argv[1], "adopted")) {
        test_adopted();
        printf("handover adopted (%s): ok\n", T_VARIANT);
    }
    return 0;
}
