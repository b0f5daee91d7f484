/* Regression: short-lived threads freeing random blocks of threads that had
 * already exited made each freeing thread adopt the blocks' segments; the
 * main thread, which only freed, collected segments that nobody ever swept,
 * and memory grew by a segment per thread (1.2 GB peak in bench
 * thread-churn). Abandoned segments are now swept instead. */
#include <pthread.h>

#include "api.h"

enum { POOL = 20000, PER_THREAD = 600, ROUNDS = 600, AT_ONCE = 4 };
static void *pool[POOL];
static int pool_len;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned next_random(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static void *worker(void *arg) {
    unsigned seed = (unsigned)(uintptr_t)arg;
    void *mine[PER_THREAD];
    for (int i = 0; i < PER_THREAD; i++) {
        mine[i] = ward_malloc(16 + (size_t)(next_random(&seed) % 240));
        CHECK(mine[i] != NULL);
        memset(mine[i], 7, 16);
    }
    for (int i = 0; i < PER_THREAD; i += 3) ward_free(mine[i]);
    pthread_mutex_lock(&lock);
    for (int k = 0; k < PER_THREAD / 2 && pool_len > POOL / 2; k++) {
        int j = (int)(next_random(&seed) % (unsigned)pool_len);
        ward_free(pool[j]);
        pool[j] = pool[--pool_len];
    }
    for (int i = 0; i < PER_THREAD; i++) {
        if (i % 3 == 0) continue;
        if (pool_len < POOL) pool[pool_len++] = mine[i];
        else ward_free(mine[i]);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(void) {
    unsigned seed = 1;
    ward_stats_t s;
    for (int round = 0; round < ROUNDS; round++) {
        pthread_t t[AT_ONCE];
        for (int k = 0; k < AT_ONCE; k++)
            CHECK(pthread_create(&t[k], NULL, worker, (void *)(uintptr_t)(round * AT_ONCE + k + 1)) == 0);
        for (int k = 0; k < AT_ONCE; k++) CHECK(pthread_join(t[k], NULL) == 0);
        pthread_mutex_lock(&lock);
        for (int i = 0; i < 200 && pool_len > 0; i++) {
            int j = (int)(next_random(&seed) % (unsigned)pool_len);
            ward_free(pool[j]);
            pool[j] = pool[--pool_len];
        }
        pthread_mutex_unlock(&lock);
    }
    ward_stats_get(&s);
    /* 20000 live blocks of <= 256 bytes need a few MiB. */
    CHECKF(s.segments <= 64 && s.committed < ((size_t)128 << 20),
           "after %d rounds of thread churn: %zu segments, %zu MiB committed", ROUNDS, s.segments,
           s.committed >> 20);
    while (pool_len > 0) ward_free(pool[--pool_len]);
    return 0;
}
