/* thread_churn — thousands of short-lived threads; memory must not strand.
 *
 * 500 rounds (50 under TSan) of 8 concurrent threads. Each thread allocates
 * ~300 blocks of mixed sizes (mostly small, some 4..256 KiB, one of 1 MiB),
 * touches them, frees half itself, leaves a quarter for main to free right
 * after the join and a quarter in a ring that main frees 10 rounds later
 * (pages of dead threads holding live blocks for a while). Patterns are
 * checked before every free.
 *
 * After a warm-up of 30 rounds, ward's committed memory (ward_stats_get) and,
 * outside sanitizers, the resident size (/proc/self/statm) are recorded; at
 * the end neither may have grown by more than 256 MiB. A thread's pages that
 * were not handed on at exit would strand about 1-2 MiB per thread, several
 * GiB over the run.
 */
#include "api.h"

#include <pthread.h>

#ifdef WARD_TEST_TSAN
#define ROUNDS 50
#define WARM 10
#else
#define ROUNDS 500
#define WARM 30
#endif
#define T 8
#define NB 300
#define DELAY 10 /* rounds a leftover block lives */

typedef struct {
    void *p;
    size_t size;
} blk_t;

typedef struct {
    uint64_t seed;
    blk_t to_main[NB / 4 + 1];
    int n_main;
    blk_t leftover[NB / 4 + 1];
    int n_left;
} work_t;

static work_t work[DELAY + 1][T];

static void check_free(blk_t b)
{
    CHECK_PATTERN(b.p, b.size, block_seed(b.p, b.size));
    t_free(b.p);
}

static void *thread_main(void *arg)
{
    work_t *w = arg;
    rng_t r;
    rng_seed(&r, w->seed);
    blk_t mine[NB];
    for (int i = 0; i < NB; i++) {
        size_t s;
        if (i == 0) s = 1 * MiB;
        else if (i % 20 == 0) s = rng_logsize(&r, 4 * KiB, 256 * KiB);
        else s = rng_logsize(&r, 1, 1024);
        unsigned char *p = t_malloc(s);
        CHECKF(p != NULL, "malloc(%zu) failed in thread", s);
        pattern_fill(p, s, block_seed(p, s));
        mine[i] = (blk_t){p, s};
    }
    w->n_main = w->n_left = 0;
    for (int i = 0; i < NB; i++) {
        switch (i % 4) {
        case 0:
        case 1: check_free(mine[i]); break;
        case 2: w->to_main[w->n_main++] = mine[i]; break;
        default: w->leftover[w->n_left++] = mine[i]; break;
        }
    }
    return NULL;
}

static size_t committed(void)
{
    ward_stats_t st;
    ward_stats_get(&st);
    return st.committed;
}

int main(void)
{
    t_init();
    size_t c0 = 0, r0 = 0;
    for (int round = 0; round < ROUNDS; round++) {
        int slot = round % (DELAY + 1);
        /* free the leftovers of DELAY rounds ago (same slot) */
        if (round > DELAY)
            for (int t = 0; t < T; t++)
                for (int i = 0; i < work[slot][t].n_left; i++) check_free(work[slot][t].leftover[i]);
        pthread_t th[T];
        for (int t = 0; t < T; t++) {
            work[slot][t].seed = (uint64_t)round * T + (uint64_t)t;
            int rc = pthread_create(&th[t], NULL, thread_main, &work[slot][t]);
            CHECKF(rc == 0, "pthread_create: %s", strerror(rc));
        }
        for (int t = 0; t < T; t++) CHECK(pthread_join(th[t], NULL) == 0);
        for (int t = 0; t < T; t++)
            for (int i = 0; i < work[slot][t].n_main; i++) check_free(work[slot][t].to_main[i]);
        if (round == WARM) {
            c0 = committed();
            r0 = rss_bytes();
        }
    }
    size_t c1 = committed(), r1 = rss_bytes();
    printf("%d threads: committed %zu -> %zu MiB, rss %zu -> %zu MiB\n", ROUNDS * T, c0 / MiB, c1 / MiB, r0 / MiB,
           r1 / MiB);
#ifndef WARD_TEST_SHIM
    CHECKF(c1 <= c0 + 256 * MiB, "committed memory grew from %zu to %zu MiB over %d short-lived threads", c0 / MiB,
           c1 / MiB, (ROUNDS - WARM) * T);
#endif
#ifndef WARD_TEST_SANITIZER
    CHECKF(r1 <= r0 + 256 * MiB, "resident size grew from %zu to %zu MiB over %d short-lived threads", r0 / MiB,
           r1 / MiB, (ROUNDS - WARM) * T);
#endif
    for (int s = 0; s <= DELAY; s++)
        for (int t = 0; t < T; t++) /* the leftovers of the last DELAY + 1 rounds */
            for (int i = 0; i < work[s][t].n_left; i++) check_free(work[s][t].leftover[i]);
    printf("thread_churn (%s): ok\n", T_VARIANT);
    return 0;
}
