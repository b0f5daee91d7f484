/* 4. cache-thrash and cache-scratch — false sharing, after Hoard's
 * benchmarks of the same names. Each thread repeatedly allocates a small
 * object, writes every byte of it many times, and frees it.
 *   thrash:  each thread allocates its own objects (active false sharing:
 *            an allocator that carves objects for different threads from
 *            the same cache line makes the threads fight over it);
 *   scratch: the main thread first allocates one object per thread, all in a
 *            row, and each thread frees the one it was handed before it
 *            starts (passive false sharing: an allocator that gives the freed
 *            block back to the freeing thread puts the threads on one line).
 *
 * usage: cache [scale] thrash|scratch [threads]   (default 2 threads)
 * Check: every byte must hold the number of increments made to it. */
#include "common.h"
#include <pthread.h>

#define OBJ_SIZE 8

static size_t iterations, repetitions;

typedef struct { int id; char *handed; uint64_t checked; char pad[64]; } cthread_t;

static void *worker(void *arg) {
  cthread_t *t = arg;
  if (t->handed) {
    if (t->handed[0] != (char)t->id) bench_fail("handed object corrupted");
    free(t->handed);
  }
  for (size_t i = 0; i < iterations; i++) {
    volatile char *obj = xmalloc(OBJ_SIZE);
    for (int k = 0; k < OBJ_SIZE; k++) obj[k] = 0;
    for (size_t j = 0; j < repetitions; j++)
      for (int k = 0; k < OBJ_SIZE; k++) obj[k] = (char)(obj[k] + 1);
    for (int k = 0; k < OBJ_SIZE; k++)
      if (obj[k] != (char)repetitions) bench_fail("byte %d holds %d", k, obj[k]);
    t->checked++;
    free((void *)obj);
  }
  return NULL;
}

int main(int argc, char **argv) {
  double scale = bench_scale(argc, argv, "cache");
  const char *mode = argc > 2 ? argv[2] : "thrash";
  int scratch = strcmp(mode, "scratch") == 0;
  BENCH_CHECK(scratch || strcmp(mode, "thrash") == 0, "mode must be thrash or scratch");
  bench_name = scratch ? "cache-scratch" : "cache-thrash";
  int n = (int)bench_arg(argc, argv, 3, 2);
  BENCH_CHECK(n >= 1 && n <= 256, "bad thread count");
  iterations = scaled(8000, scale, 20);
  repetitions = 40000;
  cthread_t *t = calloc((size_t)n, sizeof *t);
  pthread_t *tid = calloc((size_t)n, sizeof *tid);
  BENCH_CHECK(t && tid, "no memory");
  for (int i = 0; i < n; i++) {
    t[i].id = i;
    if (scratch) {
      t[i].handed = xmalloc(OBJ_SIZE);
      t[i].handed[0] = (char)i;
    }
  }
  for (int i = 0; i < n; i++)
    BENCH_CHECK(pthread_create(&tid[i], NULL, worker, &t[i]) == 0, "pthread_create failed");
  uint64_t total = 0;
  for (int i = 0; i < n; i++) {
    pthread_join(tid[i], NULL);
    total += t[i].checked;
  }
  BENCH_CHECK(total == iterations * (size_t)n, "wrong object count");
  free(t);
  free(tid);
  printf("%s: %d threads, %llu objects checked\n", bench_name, n, (unsigned long long)total);
  return 0;
}
