/* Shared helpers for ward's benchmark workloads (C11 and C++17).
 *
 * Every workload takes the scale as its first argument (1.0 = full size, the
 * runner's --quick passes something like 0.1), runs for a fixed amount of
 * work, checks its own result and exits non-zero (after printing "FAIL ...")
 * when anything is wrong. Nothing here measures time: the runner does.
 *
 * Lines "RESULT key=value" on stdout are extra figures the runner picks up
 * (the retention workload's resident size). */
#ifndef WARD_BENCH_COMMON_H
#define WARD_BENCH_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *bench_name = "workload";

static void bench_fail(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
static void bench_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "FAIL %s: ", bench_name);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  fflush(stderr);
  exit(1);
}

#define BENCH_CHECK(cond, ...)                                                 \
  do {                                                                         \
    if (!(cond)) bench_fail(__VA_ARGS__);                                      \
  } while (0)

/* malloc that fails the workload on NULL (out of memory is a failure too). */
static inline void *xmalloc(size_t n) {
  void *p = malloc(n);
  if (!p) bench_fail("malloc(%zu) returned NULL", n);
  return p;
}

/* Scale: argv[1], a positive number; 1.0 when absent. */
static inline double bench_scale(int argc, char **argv, const char *name) {
  bench_name = name;
  if (argc < 2) return 1.0;
  char *end = NULL;
  double s = strtod(argv[1], &end);
  if (!end || *end || !(s > 0.0) || s > 100.0)
    bench_fail("bad scale '%s' (want a number in (0, 100])", argv[1]);
  return s;
}

/* n * scale, at least lo. */
static inline size_t scaled(double n, double scale, size_t lo) {
  double v = n * scale;
  return v < (double)lo ? lo : (size_t)v;
}

/* Optional integer argument argv[i] (default dflt). */
static inline long bench_arg(int argc, char **argv, int i, long dflt) {
  if (argc <= i) return dflt;
  char *end = NULL;
  long v = strtol(argv[i], &end, 10);
  if (!end || *end) bench_fail("bad argument '%s'", argv[i]);
  return v;
}

/* splitmix64: small, fast, good enough, deterministic per seed. */
typedef struct { uint64_t s; } rng_t;
static inline uint64_t rng_next(rng_t *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
/* Uniform in [0, n). */
static inline uint64_t rng_below(rng_t *r, uint64_t n) {
  return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}
static inline uint64_t mix64(uint64_t x) {
  rng_t r = {x};
  return rng_next(&r);
}

/* Stamp a block: a 64-bit tag in the first 8 bytes (or as many as fit) and a
 * tag-derived byte at the end; bench_verify checks both. This catches blocks
 * handed out twice, overlapping blocks and stray writes without making the
 * workload about memset. */
static inline void stamp(void *p, size_t n, uint64_t tag) {
  unsigned char *b = (unsigned char *)p;
  if (n >= 8)
    memcpy(b, &tag, 8);
  else
    memcpy(b, &tag, n);
  if (n > 8) b[n - 1] = (unsigned char)(tag >> 56 ^ 0x5a);
}
static inline int stamped(const void *p, size_t n, uint64_t tag) {
  const unsigned char *b = (const unsigned char *)p;
  if (n >= 8) {
    uint64_t t;
    memcpy(&t, b, 8);
    if (t != tag) return 0;
  } else if (memcmp(b, &tag, n) != 0) {
    return 0;
  }
  return n <= 8 || b[n - 1] == (unsigned char)(tag >> 56 ^ 0x5a);
}

/* Keep the compiler from proving a block unused (gcc removes malloc+free
 * pairs whose result never escapes). */
static inline void escape(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

#endif
