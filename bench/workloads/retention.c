/* 10. retention — fragmentation and giving memory back: allocate 1 GiB in
 * small blocks (16..1024 bytes, sizes interleaved), free 90 % of them at
 * random, pause, and report the resident size. A program that has shrunk
 * should not keep its peak: what an allocator can return depends on how it
 * groups blocks (a page is only free if all its blocks are) and on whether
 * and when it purges.
 *
 * The pause: 1 s idle, then a little allocation activity (allocators that
 * purge only from inside malloc/free get their chance), then 0.5 s idle.
 * The resident size from /proc/self/statm is printed as
 * "RESULT retained_kib=N" and becomes its own column in the runner's table.
 *
 * usage: retention [scale]
 * Check: every block's tag at free, and the survivors once more at the end. */
#include "common.h"
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct { void *p; uint64_t tag; uint32_t size; } rblock_t;

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long size = 0, res = 0;
  if (!f) return -1;
  if (fscanf(f, "%ld %ld", &size, &res) != 2) res = -1;
  fclose(f);
  return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

static void pause_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {}
}

int main(int argc, char **argv) {
  double scale = bench_scale(argc, argv, "retention");
  size_t target = (size_t)((double)(1ull << 30) * scale);
  size_t cap = target / 256 + 1024; /* blocks average 520 bytes */
  rng_t r = {1};
  /* The bookkeeping lives in its own mapping, outside the allocator, and is
   * unmapped before the measurement. */
  size_t map_len = cap * sizeof(rblock_t);
  rblock_t *b = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  BENCH_CHECK(b != MAP_FAILED, "no memory for bookkeeping");
  size_t n = 0, bytes = 0;
  while (bytes < target && n < cap) {
    uint32_t sz = (uint32_t)(16 + 16 * rng_below(&r, 64)); /* 16..1024 */
    b[n].size = sz;
    b[n].tag = mix64(n) | 1;
    b[n].p = xmalloc(sz);
    stamp(b[n].p, sz, b[n].tag);
    bytes += sz;
    n++;
  }
  long peak = rss_kib();
  /* free 90 % at random: shuffle indices implicitly by a random keep test */
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    if (rng_below(&r, 10) == 0) {
      b[kept++] = b[i];
      continue;
    }
    if (!stamped(b[i].p, b[i].size, b[i].tag)) bench_fail("block %zu corrupted", i);
    free(b[i].p);
  }
  /* release the bookkeeping of the freed blocks */
  size_t keep_len = (kept * sizeof *b + 4095) & ~(size_t)4095;
  if (keep_len < map_len) munmap((char *)b + keep_len, map_len - keep_len);
  rblock_t *keep = b;

  pause_ms(1000);
  for (int i = 0; i < 1000; i++) {
    void *p = xmalloc(64 + (size_t)(i % 16) * 16);
    escape(p);
    free(p);
  }
  pause_ms(500);
  long retained = rss_kib();

  for (size_t i = 0; i < kept; i++) {
    if (!stamped(keep[i].p, keep[i].size, keep[i].tag)) bench_fail("survivor %zu corrupted", i);
    free(keep[i].p);
  }
  munmap(keep, keep_len < map_len ? keep_len : map_len);
  BENCH_CHECK(peak > 0 && retained > 0, "cannot read /proc/self/statm");
  printf("retention: %zu MiB in %zu blocks, kept %zu; resident at peak %ld MiB, after %ld MiB\n",
         bytes >> 20, n, kept, peak >> 10, retained >> 10);
  printf("RESULT retained_kib=%ld\n", retained);
  return 0;
}
