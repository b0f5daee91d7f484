/* 7. thread-churn — short-lived threads: each allocates a few hundred blocks,
 * frees some of its own, leaves the rest in a shared pool and exits. The
 * pool is emptied by later threads and by the main thread, so many blocks
 * are freed after the thread that allocated them is gone (an allocator has
 * to hand an exiting thread's memory over, and take frees into it).
 * Modeled on thread-pool-less servers and on mimalloc-bench's "alloc-test"
 * thread churn.
 *
 * usage: thread-churn [scale]
 * Check: tags on every block, checked at free; counts and sums agree. */
#include "common.h"
#include <pthread.h>

#define PER_THREAD 600
#define AT_ONCE 4 /* threads alive at a time */
#define POOL 20000

typedef struct { void *p; uint32_t size; uint64_t tag; } pblock_t;

static pblock_t pool[POOL];
static size_t pool_len;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t sum_alloc, sum_free, n_alloc, n_free;

static void check_free(pblock_t *b, uint64_t *sum, uint64_t *n) {
  if (!stamped(b->p, b->size, b->tag)) bench_fail("block %p (%u bytes) corrupted", b->p, b->size);
  *sum += b->tag;
  ++*n;
  free(b->p);
}

static void *worker(void *arg) {
  uint64_t seed = (uint64_t)(uintptr_t)arg;
  rng_t r = {seed};
  pblock_t mine[PER_THREAD];
  uint64_t sa = 0, sf = 0, na = 0, nf = 0;
  for (int i = 0; i < PER_THREAD; i++) {
    uint32_t n = (uint32_t)(rng_below(&r, 8) ? 16 + rng_below(&r, 241) : 257 + rng_below(&r, 3840));
    mine[i].size = n;
    mine[i].tag = mix64(seed * PER_THREAD + (uint64_t)i);
    mine[i].p = xmalloc(n);
    stamp(mine[i].p, n, mine[i].tag);
    sa += mine[i].tag;
    na++;
  }
  /* free a third of our own */
  for (int i = 0; i < PER_THREAD; i += 3) check_free(&mine[i], &sf, &nf);
  pthread_mutex_lock(&pool_lock);
  /* free some older threads' blocks from the pool */
  for (int k = 0; k < PER_THREAD / 2 && pool_len > POOL / 2; k++) {
    size_t j = rng_below(&r, pool_len);
    check_free(&pool[j], &sf, &nf);
    pool[j] = pool[--pool_len];
  }
  /* and leave the rest of ours behind */
  for (int i = 0; i < PER_THREAD; i++) {
    if (i % 3 == 0) continue;
    if (pool_len == POOL) { check_free(&mine[i], &sf, &nf); continue; }
    pool[pool_len++] = mine[i];
  }
  sum_alloc += sa; sum_free += sf; n_alloc += na; n_free += nf;
  pthread_mutex_unlock(&pool_lock);
  return NULL;
}

int main(int argc, char **argv) {
  double scale = bench_scale(argc, argv, "thread-churn");
  size_t nthreads = scaled(6000, scale, 100);
  rng_t r = {5};
  size_t started = 0;
  while (started < nthreads) {
    pthread_t tid[AT_ONCE];
    int k = 0;
    for (; k < AT_ONCE && started < nthreads; k++, started++)
      BENCH_CHECK(pthread_create(&tid[k], NULL, worker, (void *)(uintptr_t)(started + 1)) == 0,
                  "pthread_create failed");
    for (int i = 0; i < k; i++) pthread_join(tid[i], NULL);
    /* the main thread frees a few of the dead threads' blocks too */
    pthread_mutex_lock(&pool_lock);
    for (int i = 0; i < 200 && pool_len > 0; i++) {
      size_t j = rng_below(&r, pool_len);
      check_free(&pool[j], &sum_free, &n_free);
      pool[j] = pool[--pool_len];
    }
    pthread_mutex_unlock(&pool_lock);
  }
  while (pool_len > 0) check_free(&pool[--pool_len], &sum_free, &n_free);
  BENCH_CHECK(n_alloc == nthreads * PER_THREAD && n_alloc == n_free && sum_alloc == sum_free,
              "allocated %llu blocks, freed %llu (or sums differ)",
              (unsigned long long)n_alloc, (unsigned long long)n_free);
  printf("thread-churn: %zu threads, %llu blocks checked\n", nthreads, (unsigned long long)n_alloc);
  return 0;
}
