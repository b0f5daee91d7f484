/* 1. churn — single-threaded churn of small objects of random sizes with a
 * window of live objects, the way a compiler or an interpreter allocates:
 * most objects die young (a short FIFO "nursery"), some live long (a large
 * window replaced at random), sizes skewed small with a long tail.
 * Modeled on the "cfrac"/"espresso"-style single-thread traces.
 *
 * usage: churn [scale]
 * Check: every block carries a tag checked at free; the sums of tags
 * allocated and freed must agree at the end. */
#include "common.h"

#define NURSERY 256      /* young objects: freed 256 allocations later */
#define WINDOW 200000    /* long-lived objects, replaced at random */

typedef struct { void *p; uint32_t size; uint64_t tag; } slot_t;

static size_t pick_size(rng_t *r) {
  uint64_t k = rng_below(r, 100);
  if (k < 60) return 8 + rng_below(r, 57);       /* 8..64 */
  if (k < 90) return 65 + rng_below(r, 192);     /* 65..256 */
  if (k < 99) return 257 + rng_below(r, 1792);   /* 257..2048 */
  return 2049 + rng_below(r, 14336);             /* 2K..16K */
}

static uint64_t tag_sum_alloc, tag_sum_free;

static void fill_slot(slot_t *s, rng_t *r, uint64_t *serial) {
  s->size = (uint32_t)pick_size(r);
  s->tag = mix64(++*serial);
  s->p = xmalloc(s->size);
  stamp(s->p, s->size, s->tag);
  tag_sum_alloc += s->tag;
}

static void drop_slot(slot_t *s) {
  if (!s->p) return;
  if (!stamped(s->p, s->size, s->tag))
    bench_fail("block %p (%u bytes) corrupted", s->p, s->size);
  tag_sum_free += s->tag;
  free(s->p);
  s->p = NULL;
}

int main(int argc, char **argv) {
  double scale = bench_scale(argc, argv, "churn");
  size_t ops = scaled(20e6, scale, 100000);
  size_t window = scaled(WINDOW, scale > 1 ? 1 : scale, 1000);
  rng_t r = {42};
  uint64_t serial = 0;

  slot_t *win = calloc(window, sizeof *win);
  slot_t nursery[NURSERY];
  memset(nursery, 0, sizeof nursery);
  BENCH_CHECK(win, "no memory for the window");
  for (size_t i = 0; i < window; i++) fill_slot(&win[i], &r, &serial);

  for (size_t i = 0; i < ops; i++) {
    if (rng_below(&r, 8) == 0) { /* 1 in 8 survives the nursery */
      slot_t *s = &win[rng_below(&r, window)];
      drop_slot(s);
      fill_slot(s, &r, &serial);
    } else {
      slot_t *s = &nursery[i % NURSERY];
      drop_slot(s);
      fill_slot(s, &r, &serial);
    }
  }
  for (size_t i = 0; i < NURSERY; i++) drop_slot(&nursery[i]);
  for (size_t i = 0; i < window; i++) drop_slot(&win[i]);
  free(win);
  BENCH_CHECK(tag_sum_alloc == tag_sum_free, "tag sums differ");
  printf("churn: %zu allocations checked\n", (size_t)serial);
  return 0;
}
