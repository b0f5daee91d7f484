/* Regression: blocks of exited threads freed by a thread that had never
 * allocated stayed in abandoned segments for ever; even ward_trim() gave
 * none of that memory back. Freeing into an abandoned segment now adopts it,
 * and ward_trim adopts what is left. */
#include <pthread.h>

#include "api.h"

enum { THREADS = 4, N = 50000 };
static void *blocks[THREADS][N];

static void *worker(void *arg) {
    void **mine = arg;
    for (int i = 0; i < N; i++) {
        mine[i] = ward_malloc(100);
        CHECK(mine[i] != NULL);
        memset(mine[i], 1, 100);
    }
    return NULL;
}

static void *freer(void *arg) {
    (void)arg;
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < N; i++) ward_free(blocks[t][i]);
    CHECK(ward_trim() == 1 || ward_trim() == 0);
    return NULL;
}

int main(void) {
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) CHECK(pthread_create(&t[i], NULL, worker, blocks[i]) == 0);
    for (int i = 0; i < THREADS; i++) CHECK(pthread_join(t[i], NULL) == 0);
    ward_stats_t before, after;
    ward_stats_get(&before);
    CHECKF(before.committed >= (size_t)THREADS * N * 100, "committed %zu before freeing", before.committed);
    /* A fresh thread that never allocated frees everything. */
    pthread_t f;
    CHECK(pthread_create(&f, NULL, freer, NULL) == 0);
    CHECK(pthread_join(f, NULL) == 0);
    ward_trim();
    ward_stats_get(&after);
    CHECKF(after.committed < before.committed / 4, "committed %zu -> %zu: freed blocks of exited threads kept",
           before.committed, after.committed);
    CHECKF(after.segments <= 2, "%zu segments left after everything was freed", after.segments);
    return 0;
}
