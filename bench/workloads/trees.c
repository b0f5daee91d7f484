/* 8. trees — linked structures with millions of nodes: the binary-trees
 * benchmark (build and tear down complete binary trees of many depths while
 * one long-lived tree stays up; nodes of 16 bytes), then a chained hash map
 * whose nodes and string keys are separate allocations (insert, look up,
 * delete half at random, insert again, tear down).
 *
 * usage: trees [scale]
 * Check: node counts of every tree; hash map sizes, look-ups and the sum of
 * the values seen. */
#include "common.h"
#include <math.h>

typedef struct tnode { struct tnode *l, *r; } tnode_t;

static tnode_t *build(int depth) {
  tnode_t *n = xmalloc(sizeof *n);
  if (depth > 0) {
    n->l = build(depth - 1);
    n->r = build(depth - 1);
  } else {
    n->l = n->r = NULL;
  }
  return n;
}
static long count(const tnode_t *n) { return n->l ? 1 + count(n->l) + count(n->r) : 1; }
static void destroy(tnode_t *n) {
  if (n->l) { destroy(n->l); destroy(n->r); }
  free(n);
}

typedef struct hnode { struct hnode *next; char *key; uint64_t hash, value; } hnode_t;

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ull;
  return h;
}

typedef struct { hnode_t **b; size_t nb, len; } map_t;

static void map_put(map_t *m, uint64_t k, uint64_t value) {
  char buf[32];
  int len = snprintf(buf, sizeof buf, "key:%llu", (unsigned long long)k);
  hnode_t *n = xmalloc(sizeof *n);
  n->key = xmalloc((size_t)len + 1);
  memcpy(n->key, buf, (size_t)len + 1);
  n->hash = hash_str(buf);
  n->value = value;
  hnode_t **slot = &m->b[n->hash & (m->nb - 1)];
  n->next = *slot;
  *slot = n;
  m->len++;
}
static hnode_t **map_find(map_t *m, uint64_t k) {
  char buf[32];
  snprintf(buf, sizeof buf, "key:%llu", (unsigned long long)k);
  uint64_t h = hash_str(buf);
  for (hnode_t **p = &m->b[h & (m->nb - 1)]; *p; p = &(*p)->next)
    if ((*p)->hash == h && strcmp((*p)->key, buf) == 0) return p;
  return NULL;
}
static void map_del(map_t *m, hnode_t **p) {
  hnode_t *n = *p;
  *p = n->next;
  free(n->key);
  free(n);
  m->len--;
}

int main(int argc, char **argv) {
  double scale = bench_scale(argc, argv, "trees");
  /* binary trees */
  int maxd = 17 + (int)lround(log2(scale));
  if (maxd < 8) maxd = 8;
  tnode_t *stretch = build(maxd + 1);
  BENCH_CHECK(count(stretch) == (2L << (maxd + 1)) - 1, "stretch tree count wrong");
  destroy(stretch);
  tnode_t *longlived = build(maxd);
  long total = 0;
  for (int d = 4; d <= maxd; d += 2) {
    long iters = 1L << (maxd - d + 4);
    for (long i = 0; i < iters; i++) {
      tnode_t *t = build(d);
      long c = count(t);
      BENCH_CHECK(c == (2L << d) - 1, "tree of depth %d has %ld nodes", d, c);
      total += c;
      destroy(t);
    }
  }
  BENCH_CHECK(count(longlived) == (2L << maxd) - 1, "long-lived tree count wrong");
  destroy(longlived);

  /* hash map */
  size_t n = scaled(1.5e6, scale, 10000);
  map_t m = {NULL, 1, 0};
  while (m.nb < n) m.nb <<= 1;
  m.b = calloc(m.nb, sizeof *m.b);
  BENCH_CHECK(m.b, "no memory");
  for (size_t i = 0; i < n; i++) map_put(&m, i * 2654435761u, i);
  uint64_t vsum = 0;
  for (size_t i = 0; i < n; i++) {
    hnode_t **p = map_find(&m, i * 2654435761u);
    BENCH_CHECK(p && (*p)->value == i, "key %zu missing or wrong", i);
    vsum += (*p)->value;
  }
  BENCH_CHECK(vsum == (uint64_t)n * (n - 1) / 2, "value sum wrong");
  rng_t r = {99};
  size_t deleted = 0;
  for (size_t i = 0; i < n; i++) {
    size_t k = rng_below(&r, n);
    hnode_t **p = map_find(&m, k * 2654435761u);
    if (p) { map_del(&m, p); deleted++; }
  }
  BENCH_CHECK(m.len == n - deleted, "map size wrong after deletes");
  for (size_t i = 0; i < n; i++)
    if (!map_find(&m, i * 2654435761u)) map_put(&m, i * 2654435761u, i);
  BENCH_CHECK(m.len == n, "map size wrong after re-inserts");
  vsum = 0;
  for (size_t i = 0; i < m.nb; i++)
    while (m.b[i]) { vsum += m.b[i]->value; map_del(&m, &m.b[i]); }
  BENCH_CHECK(vsum == (uint64_t)n * (n - 1) / 2 && m.len == 0, "value sum wrong at teardown");
  free(m.b);
  printf("trees: depth %d, %ld tree nodes, %zu map entries checked\n", maxd, total, n);
  return 0;
}
