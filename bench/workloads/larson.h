/* Shared body of larson.c (malloc/free) and larson_sized.cpp (C++ new and
 * sized delete). Written in the common subset of C11 and C++17.
 *
 * Larson & Krishnan's server benchmark: every thread owns an array of slots
 * and replaces random slots (free the old block, allocate a new one of random
 * size). Where the original hands a thread's array to a freshly created
 * thread, here the arrays rotate between the running threads every round
 * (behind a barrier): each block is allocated by one thread and, most of the
 * time, freed by another. The total work is fixed, so the run time for 1, 2
 * and 16 threads can be compared directly (scaling); so can the memory, as the
 * number of live blocks is fixed too (1000, shared out among the threads).
 *
 * usage: larson [scale] [threads]
 * Check: tags on every block, checked at free; tag sums must agree. */
#include "common.h"
#include <pthread.h>

#ifndef LARSON_NAME
#define LARSON_NAME "larson"
#endif

#define TOTAL_SLOTS 1000 /* live blocks, shared out among the threads (about 0.5 MB: fits
                             one core's L2, so 1 thread is not penalized by cache misses) */
#define ROUNDS 40         /* array hand-overs */
#define MIN_SIZE 8
#define MAX_SIZE 1000

typedef struct { void *p; size_t size; uint64_t tag; } lslot_t;

typedef struct {
  int id;
  uint64_t sum_alloc, sum_free;
  char pad[64];
} lthread_t;

static int nthreads;
static size_t ops_per_round, slots;
static lslot_t **arrays;
static pthread_barrier_t barrier;

static void larson_fill(lslot_t *s, rng_t *r, uint64_t *serial, lthread_t *t) {
  s->size = MIN_SIZE + (size_t)rng_below(r, MAX_SIZE - MIN_SIZE + 1);
  s->tag = mix64(((uint64_t)t->id << 48) ^ ++*serial);
  s->p = LARSON_ALLOC(s->size);
  stamp(s->p, s->size, s->tag);
  t->sum_alloc += s->tag;
}

static void larson_drop(lslot_t *s, lthread_t *t) {
  if (!stamped(s->p, s->size, s->tag))
    bench_fail("block %p (%zu bytes) corrupted", s->p, s->size);
  t->sum_free += s->tag;
  LARSON_FREE(s->p, s->size);
  s->p = NULL;
}

static void *larson_thread(void *arg) {
  lthread_t *t = (lthread_t *)arg;
  rng_t r = {(uint64_t)t->id * 7919 + 1};
  uint64_t serial = 0;
  lslot_t *mine = arrays[t->id];
  for (size_t i = 0; i < slots; i++) larson_fill(&mine[i], &r, &serial, t);
  for (int round = 0; round < ROUNDS; round++) {
    pthread_barrier_wait(&barrier);
    lslot_t *a = arrays[(t->id + round) % nthreads];
    for (size_t i = 0; i < ops_per_round; i++) {
      lslot_t *s = &a[rng_below(&r, slots)];
      larson_drop(s, t);
      larson_fill(s, &r, &serial, t);
    }
  }
  pthread_barrier_wait(&barrier);
  /* Free what is left in the array last worked on by the next thread. */
  lslot_t *a = arrays[(t->id + ROUNDS) % nthreads];
  for (size_t i = 0; i < slots; i++) larson_drop(&a[i], t);
  return NULL;
}

int main(int argc, char **argv) {
  double scale = bench_scale(argc, argv, LARSON_NAME);
  nthreads = (int)bench_arg(argc, argv, 2, 2);
  BENCH_CHECK(nthreads >= 1 && nthreads <= 1024, "bad thread count");
  size_t total = scaled(150e6, scale, 100000);
  slots = TOTAL_SLOTS / (size_t)nthreads + 1;
  ops_per_round = total / ((size_t)nthreads * ROUNDS) + 1;

  arrays = (lslot_t **)calloc((size_t)nthreads, sizeof *arrays);
  lthread_t *th = (lthread_t *)calloc((size_t)nthreads, sizeof *th);
  pthread_t *tid = (pthread_t *)calloc((size_t)nthreads, sizeof *tid);
  BENCH_CHECK(arrays && th && tid, "no memory");
  for (int i = 0; i < nthreads; i++) {
    arrays[i] = (lslot_t *)calloc(slots, sizeof(lslot_t));
    BENCH_CHECK(arrays[i], "no memory");
    th[i].id = i;
  }
  pthread_barrier_init(&barrier, NULL, (unsigned)nthreads);
  for (int i = 0; i < nthreads; i++)
    BENCH_CHECK(pthread_create(&tid[i], NULL, larson_thread, &th[i]) == 0,
                "pthread_create failed");
  uint64_t sa = 0, sf = 0;
  for (int i = 0; i < nthreads; i++) {
    pthread_join(tid[i], NULL);
    sa += th[i].sum_alloc;
    sf += th[i].sum_free;
  }
  BENCH_CHECK(sa == sf, "tag sums differ (allocated %llx, freed %llx)",
              (unsigned long long)sa, (unsigned long long)sf);
  for (int i = 0; i < nthreads; i++) free(arrays[i]);
  free(arrays);
  free(th);
  free(tid);
  pthread_barrier_destroy(&barrier);
  printf("%s: %d threads, %zu replacements checked\n", LARSON_NAME, nthreads,
         ops_per_round * ROUNDS * (size_t)nthreads);
  return 0;
}
