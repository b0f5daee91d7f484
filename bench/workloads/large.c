/* 6. large — large blocks, 64 KiB to 32 MiB (log-uniform), allocated,
 * touched (one write per 4 KiB page, as a program filling a buffer would
 * fault every page in) and freed, with a window of 8 live at a time. What it
 * measures is mostly page faults and system calls: how well the allocator
 * keeps large blocks for reuse instead of mapping and unmapping them, and
 * what that costs in memory.
 *
 * usage: large [scale]
 * Check: every touched page carries a tag, all checked before the free. */
#include "common.h"

#define LIVE 8
#define PAGE 4096

typedef struct { unsigned char *p; size_t size; uint64_t tag; } lblock_t;

static void touch(lblock_t *b) {
  for (size_t off = 0; off < b->size; off += PAGE) memcpy(b->p + off, &b->tag, 1);
  stamp(b->p, b->size, b->tag);
}

static void verify(const lblock_t *b) {
  if (!stamped(b->p, b->size, b->tag)) bench_fail("block of %zu bytes corrupted", b->size);
  for (size_t off = PAGE; off + 8 < b->size; off += PAGE)
    if (b->p[off] != (unsigned char)b->tag) bench_fail("page at %zu of %zu bytes corrupted", off, b->size);
}

int main(int argc, char **argv) {
  double scale = bench_scale(argc, argv, "large");
  size_t ops = scaled(3000, scale, 40);
  rng_t r = {77};
  lblock_t live[LIVE];
  memset(live, 0, sizeof live);
  size_t bytes = 0;
  for (size_t i = 0; i < ops + LIVE; i++) {
    lblock_t *b = &live[rng_below(&r, LIVE)];
    if (b->p) {
      verify(b);
      free(b->p);
      b->p = NULL;
    }
    if (i >= ops) continue;
    /* log-uniform in [64 KiB, 32 MiB]: 2^(16 + u*9) */
    double u = (double)rng_below(&r, 1u << 20) / (double)(1u << 20);
    size_t sz = (size_t)(65536.0 * __builtin_exp2(u * 9.0));
    sz += rng_below(&r, 4096); /* not always a round number */
    b->size = sz;
    b->tag = mix64(i) | 1;
    b->p = xmalloc(sz);
    touch(b);
    bytes += sz;
  }
  for (int i = 0; i < LIVE; i++)
    if (live[i].p) { verify(&live[i]); free(live[i].p); }
  printf("large: %zu blocks, %zu MiB touched and checked\n", ops, bytes >> 20);
  return 0;
}
