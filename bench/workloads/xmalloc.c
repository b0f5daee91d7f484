/* 3. xmalloc — producer–consumer, modeled on xmalloc-test: producer threads
 * only allocate (and fill in) blocks, consumer threads only free them. Blocks
 * travel in batches of 128 through a bounded queue, so every free is a free
 * of another thread's block and the allocator must get memory back to the
 * producers.
 *
 * usage: xmalloc [scale] [producers] [consumers]   (default 2 and 2)
 * Check: each block's tag is checked by its consumer; the tag sums of the
 * producers and the consumers must agree, and so must the counts. */
#include "common.h"
#include <pthread.h>

#define BATCH 128
#define QCAP 64 /* batches in flight at most */

typedef struct { void *p[BATCH]; uint32_t size[BATCH]; uint64_t tag[BATCH]; } batch_t;

static batch_t *queue[QCAP];
static size_t q_head, q_len;
static int producers_left;
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_nonempty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t q_nonfull = PTHREAD_COND_INITIALIZER;

static size_t batches_per_producer;

typedef struct { int id; uint64_t sum; uint64_t count; char pad[64]; } xthread_t;

static void push(batch_t *b) {
  pthread_mutex_lock(&q_lock);
  while (q_len == QCAP) pthread_cond_wait(&q_nonfull, &q_lock);
  queue[(q_head + q_len++) % QCAP] = b;
  pthread_cond_signal(&q_nonempty);
  pthread_mutex_unlock(&q_lock);
}

static batch_t *pop(void) {
  pthread_mutex_lock(&q_lock);
  while (q_len == 0 && producers_left > 0) pthread_cond_wait(&q_nonempty, &q_lock);
  batch_t *b = NULL;
  if (q_len) {
    b = queue[q_head];
    q_head = (q_head + 1) % QCAP;
    q_len--;
    pthread_cond_signal(&q_nonfull);
  }
  pthread_mutex_unlock(&q_lock);
  return b;
}

static void *producer(void *arg) {
  xthread_t *t = arg;
  rng_t r = {(uint64_t)t->id * 31337 + 7};
  for (size_t i = 0; i < batches_per_producer; i++) {
    batch_t *b = xmalloc(sizeof *b);
    for (int k = 0; k < BATCH; k++) {
      size_t n = rng_below(&r, 4) ? 16 + rng_below(&r, 113) : 129 + rng_below(&r, 896);
      uint64_t tag = mix64(((uint64_t)t->id << 40) ^ (i * BATCH + k));
      b->p[k] = xmalloc(n);
      b->size[k] = (uint32_t)n;
      b->tag[k] = tag;
      stamp(b->p[k], n, tag);
      t->sum += tag;
      t->count++;
    }
    push(b);
  }
  pthread_mutex_lock(&q_lock);
  producers_left--;
  pthread_cond_broadcast(&q_nonempty);
  pthread_mutex_unlock(&q_lock);
  return NULL;
}

static void *consumer(void *arg) {
  xthread_t *t = arg;
  batch_t *b;
  while ((b = pop()) != NULL) {
    for (int k = 0; k < BATCH; k++) {
      if (!stamped(b->p[k], b->size[k], b->tag[k]))
        bench_fail("block %p (%u bytes) corrupted", b->p[k], b->size[k]);
      t->sum += b->tag[k];
      t->count++;
      free(b->p[k]);
    }
    free(b);
  }
  return NULL;
}

int main(int argc, char **argv) {
  double scale = bench_scale(argc, argv, "xmalloc");
  int np = (int)bench_arg(argc, argv, 2, 2), nc = (int)bench_arg(argc, argv, 3, 2);
  BENCH_CHECK(np >= 1 && nc >= 1 && np <= 256 && nc <= 256, "bad thread counts");
  batches_per_producer = scaled(32e6 / BATCH, scale, 100) / (size_t)np;
  producers_left = np;
  xthread_t *t = calloc((size_t)(np + nc), sizeof *t);
  pthread_t *tid = calloc((size_t)(np + nc), sizeof *tid);
  BENCH_CHECK(t && tid, "no memory");
  for (int i = 0; i < np + nc; i++) {
    t[i].id = i;
    BENCH_CHECK(pthread_create(&tid[i], NULL, i < np ? producer : consumer, &t[i]) == 0,
                "pthread_create failed");
  }
  uint64_t ps = 0, cs = 0, pn = 0, cn = 0;
  for (int i = 0; i < np + nc; i++) {
    pthread_join(tid[i], NULL);
    if (i < np) { ps += t[i].sum; pn += t[i].count; }
    else { cs += t[i].sum; cn += t[i].count; }
  }
  BENCH_CHECK(pn == cn && ps == cs, "produced %llu blocks, consumed %llu (or sums differ)",
              (unsigned long long)pn, (unsigned long long)cn);
  BENCH_CHECK(pn == batches_per_producer * BATCH * (size_t)np, "wrong block count");
  free(t);
  free(tid);
  printf("xmalloc: %d producers, %d consumers, %llu blocks checked\n", np, nc,
         (unsigned long long)pn);
  return 0;
}
