/* cross_thread — blocks allocated in one thread and freed in another.
 *
 *  - pairs: 4 producer threads each hand blocks of all sizes (1 byte to
 *    4 MiB, mostly small; some aligned, some calloc) to their own consumer,
 *    which checks the address pattern and frees (a third of them after a
 *    realloc in the consumer);
 *  - fan-in: one producer, 6 consumers freeing concurrently into the
 *    producer's pages;
 *  - ping-pong reuse: main allocates a batch, a worker frees it all, main
 *    allocates the same sizes again (reusing remotely freed blocks) while a
 *    set of long-lived blocks is checked each round
 *    (main, the owner, is blocked while the worker frees);
 *  - an owner thread allocates and exits; a second thread frees half of its
 *    blocks, a third the other half (some after a realloc).
 * Scaled down under TSan (WARD_TEST_TSAN).
 */
#include "api.h"

#include <pthread.h>

#include "queue.h"

#ifdef WARD_TEST_TSAN
#define SCALE 10
#else
#define SCALE 1
#endif

static size_t pick_size(rng_t *r)
{
    unsigned k = (unsigned)rng_range(r, 0, 999);
    if (k < 850) return rng_logsize(r, 1, 1024);
    if (k < 995) return rng_logsize(r, 1024, 256 * KiB);
    return rng_logsize(r, 256 * KiB, 4 * MiB);
}

/* allocates a block of `s` bytes one way or another and fills it */
static qitem_t make_block(rng_t *r, size_t s)
{
    void *p;
    switch (rng_range(r, 0, 9)) {
    case 0: p = t_calloc(1, s); CHECK(p != NULL); CHECK_ZERO(p, s); break;
    case 1: {
        size_t a = (size_t)1 << rng_range(r, 4, 16);
        p = t_aligned_alloc(a, s);
        CHECK(p != NULL);
        CHECK((uintptr_t)p % a == 0);
        break;
    }
    default: p = t_malloc(s); break;
    }
    CHECKF(p != NULL, "allocation of %zu failed", s);
    uint64_t seed = block_seed(p, s);
    pattern_fill(p, s, seed);
    return (qitem_t){p, s, seed};
}

static void consume(qitem_t it, int realloc_it)
{
    CHECK_PATTERN(it.p, it.size, it.seed);
    if (realloc_it) {
        size_t ns = it.size / 2 + 1;
        unsigned char *q = t_realloc(it.p, ns);
        CHECK(q != NULL);
        /* the first ns bytes moved with the block: compare with the old address' pattern */
        for (size_t i = 0; i < ns && i < 64; i++)
            CHECK(q[i] == pattern_byte((uintptr_t)it.p + i, it.seed));
        it.p = q;
    }
    t_free(it.p);
}

typedef struct {
    queue_t *q;
    int n;
    uint64_t seed;
} prod_arg_t;

static void *producer(void *arg)
{
    prod_arg_t *a = arg;
    rng_t r;
    rng_seed(&r, a->seed);
    for (int i = 0; i < a->n; i++) q_push(a->q, make_block(&r, pick_size(&r)));
    q_producer_done(a->q);
    return NULL;
}

static void *consumer(void *arg)
{
    queue_t *q = arg;
    qitem_t it;
    unsigned n = 0;
    while (q_pop(q, &it)) consume(it, ++n % 3 == 0);
    return NULL;
}

static void pairs(void)
{
    enum { P = 4 };
    queue_t q[P];
    prod_arg_t pa[P];
    pthread_t tp[P], tc[P];
    for (int i = 0; i < P; i++) {
        q_init(&q[i], 256, 1);
        pa[i] = (prod_arg_t){&q[i], 40000 / SCALE, (uint64_t)i + 1};
        CHECK(pthread_create(&tc[i], NULL, consumer, &q[i]) == 0);
        CHECK(pthread_create(&tp[i], NULL, producer, &pa[i]) == 0);
    }
    for (int i = 0; i < P; i++) {
        CHECK(pthread_join(tp[i], NULL) == 0);
        CHECK(pthread_join(tc[i], NULL) == 0);
        q_destroy(&q[i]);
    }
}

static void fan_in(void)
{
    enum { C = 6 };
    queue_t q;
    q_init(&q, 4096, 1);
    pthread_t tp, tc[C];
    prod_arg_t pa = {&q, 80000 / SCALE, 99};
    for (int i = 0; i < C; i++) CHECK(pthread_create(&tc[i], NULL, consumer, &q) == 0);
    CHECK(pthread_create(&tp, NULL, producer, &pa) == 0);
    CHECK(pthread_join(tp, NULL) == 0);
    for (int i = 0; i < C; i++) CHECK(pthread_join(tc[i], NULL) == 0);
    q_destroy(&q);
}

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    qitem_t *batch;
    int n;
    int state; /* 0 idle, 1 batch ready for the worker, 2 done, 3 quit */
} pingpong_t;

static void *pp_worker(void *arg)
{
    pingpong_t *pp = arg;
    for (;;) {
        pthread_mutex_lock(&pp->mu);
        while (pp->state != 1 && pp->state != 3) pthread_cond_wait(&pp->cv, &pp->mu);
        if (pp->state == 3) {
            pthread_mutex_unlock(&pp->mu);
            return NULL;
        }
        pthread_mutex_unlock(&pp->mu);
        for (int i = 0; i < pp->n; i++) consume(pp->batch[i], 0);
        pthread_mutex_lock(&pp->mu);
        pp->state = 2;
        pthread_cond_broadcast(&pp->cv);
        pthread_mutex_unlock(&pp->mu);
    }
}

static void ping_pong(void)
{
    pingpong_t pp;
    pthread_mutex_init(&pp.mu, NULL);
    pthread_cond_init(&pp.cv, NULL);
    enum { N = 10000 };
    pp.batch = raw_alloc(N * sizeof(qitem_t));
    pp.n = N / SCALE;
    pp.state = 0;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, pp_worker, &pp) == 0);
    rng_t r;
    rng_seed(&r, 1234);
    /* long-lived blocks of main */
    enum { L = 500 };
    qitem_t keep[L];
    for (int i = 0; i < L; i++) keep[i] = make_block(&r, pick_size(&r) % 4096 + 1);
    size_t *sizes = raw_alloc(N * sizeof(size_t));
    for (int i = 0; i < pp.n; i++) sizes[i] = pick_size(&r);
    for (int round = 0; round < 30; round++) {
        for (int i = 0; i < pp.n; i++) pp.batch[i] = make_block(&r, sizes[i]);
        pthread_mutex_lock(&pp.mu);
        pp.state = 1;
        pthread_cond_broadcast(&pp.cv);
        while (pp.state != 2) pthread_cond_wait(&pp.cv, &pp.mu);
        pp.state = 0;
        pthread_mutex_unlock(&pp.mu);
        for (int i = 0; i < L; i++) CHECK_PATTERN(keep[i].p, keep[i].size, keep[i].seed);
    }
    pthread_mutex_lock(&pp.mu);
    pp.state = 3;
    pthread_cond_broadcast(&pp.cv);
    pthread_mutex_unlock(&pp.mu);
    CHECK(pthread_join(t, NULL) == 0);
    for (int i = 0; i < L; i++) consume(keep[i], i % 2);
    raw_free(pp.batch, N * sizeof(qitem_t));
    raw_free(sizes, N * sizeof(size_t));
}

/* the owner allocates and exits; a second thread frees half, a third the rest */
typedef struct {
    qitem_t items[20000];
    int n;
} owned_t;

static void *owner_alloc(void *arg)
{
    owned_t *o = arg;
    rng_t r;
    rng_seed(&r, 77);
    for (int i = 0; i < o->n; i++) o->items[i] = make_block(&r, pick_size(&r));
    return NULL;
}
static void *free_even(void *arg)
{
    owned_t *o = arg;
    for (int i = 0; i < o->n; i += 2) consume(o->items[i], 0);
    return NULL;
}
static void *free_odd(void *arg)
{
    owned_t *o = arg;
    for (int i = 1; i < o->n; i += 2) consume(o->items[i], i % 3 == 0);
    return NULL;
}

static void owner_exits(void)
{
    owned_t *o = raw_alloc(sizeof *o);
    o->n = 20000 / SCALE;
    for (int round = 0; round < 5; round++) {
        pthread_t t;
        CHECK(pthread_create(&t, NULL, owner_alloc, o) == 0);
        CHECK(pthread_join(t, NULL) == 0);
        CHECK(pthread_create(&t, NULL, free_even, o) == 0);
        CHECK(pthread_join(t, NULL) == 0);
        CHECK(pthread_create(&t, NULL, free_odd, o) == 0);
        CHECK(pthread_join(t, NULL) == 0);
    }
    raw_free(o, sizeof *o);
}

int main(void)
{
    t_init();
    pairs();
    fan_in();
    ping_pong();
    owner_exits();
    printf("cross_thread (%s): ok\n", T_VARIANT);
    return 0;
}
