/* 9. tight — a tight malloc/free loop: the fast path alone.
 *
 * usage: tight [scale] [size]        timed row: malloc(size) (default 32),
 *                                    write, free, repeated.
 *        tight --iters N [--mixed]   exactly N malloc+free pairs, for the
 *                                    runner's callgrind counts. --mixed:
 *                                    sizes cycle through 256 random sizes
 *                                    of 8..1024 bytes and 64 blocks stay
 *                                    live (a ring), so frees are not of the
 *                                    block just allocated.
 * Check: each block keeps what was written into it until it is freed. */
#include "common.h"

#define RING 64

__attribute__((noinline)) static uint64_t run_one(size_t iters, size_t size) {
  uint64_t sum = 0;
  for (size_t i = 0; i < iters; i++) {
    unsigned char *p = xmalloc(size);
    p[0] = (unsigned char)i;
    escape(p);
    sum += p[0];
    free(p);
  }
  return sum;
}

__attribute__((noinline)) static uint64_t run_mixed(size_t iters) {
  size_t sizes[256];
  rng_t r = {1234};
  for (int i = 0; i < 256; i++) sizes[i] = 8 + rng_below(&r, 1017);
  unsigned char *ring[RING];
  for (int i = 0; i < RING; i++) {
    ring[i] = xmalloc(sizes[i]);
    ring[i][0] = (unsigned char)i;
  }
  uint64_t sum = 0;
  for (size_t i = 0; i < iters; i++) {
    unsigned char **slot = &ring[i % RING];
    sum += **slot;
    free(*slot);
    *slot = xmalloc(sizes[i % 256]);
    **slot = (unsigned char)(i + RING);
  }
  for (int i = 0; i < RING; i++) {
    sum += ring[i][0];
    free(ring[i]);
  }
  return sum;
}

static uint64_t expected(size_t n) { /* sum of (unsigned char)k for k < n */
  return (uint64_t)(n / 256) * (255 * 256 / 2) + (uint64_t)(n % 256) * (n % 256 - (n % 256 ? 1 : 0)) / 2;
}

int main(int argc, char **argv) {
  bench_name = "tight";
  if (argc > 2 && strcmp(argv[1], "--iters") == 0) {
    char *end;
    size_t iters = strtoull(argv[2], &end, 10);
    BENCH_CHECK(*end == 0, "bad count");
    if (argc > 3 && strcmp(argv[3], "--mixed") == 0) {
      uint64_t s = run_mixed(iters);
      BENCH_CHECK(s == expected(iters + RING), "mixed checksum wrong");
    } else {
      uint64_t s = run_one(iters, 32);
      BENCH_CHECK(s == expected(iters), "checksum wrong");
    }
    return 0;
  }
  double scale = bench_scale(argc, argv, "tight");
  size_t size = (size_t)bench_arg(argc, argv, 2, 32);
  BENCH_CHECK(size >= 1, "bad size");
  size_t iters = scaled(250e6, scale, 100000);
  uint64_t s = run_one(iters, size);
  BENCH_CHECK(s == expected(iters), "checksum wrong");
  printf("tight: %zu malloc+free pairs of %zu bytes checked\n", iters, size);
  return 0;
}
