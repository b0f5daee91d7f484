/* 5. realloc — growth by appending: strings that grow a few bytes at a time
 * with realloc on every append (the naive string builder), and vectors that
 * double their capacity (the careful one), many of each live at once, each
 * dropped and restarted when it reaches its random final length
 * (64 B – 128 KiB for strings, up to 1 MiB for vectors).
 *
 * usage: realloc [scale]
 * Check: when a string or vector is dropped its whole content is compared
 * with what was appended. */
#include "common.h"

#define NSTR 512
#define NVEC 64

typedef struct { char *p; size_t len, target; uint32_t seed; } str_t;
typedef struct { uint32_t *p; size_t len, cap, target; uint32_t seed; } vec_t;

static size_t pick_target(rng_t *r, int shift_max) {
  /* log-uniform between 64 and 2^shift_max */
  int sh = 6 + (int)rng_below(r, (uint64_t)(shift_max - 6));
  return ((size_t)1 << sh) + rng_below(r, (size_t)1 << sh);
}

static inline char str_byte(uint32_t seed, size_t i) { return (char)(seed + i * 131 + (i >> 8)); }

static uint64_t checked;

static void str_check_reset(str_t *s, rng_t *r) {
  for (size_t i = 0; i < s->len; i++)
    if (s->p[i] != str_byte(s->seed, i)) bench_fail("string byte %zu of %zu wrong", i, s->len);
  checked += s->len;
  free(s->p);
  s->p = NULL;
  s->len = 0;
  s->target = pick_target(r, 17);
  s->seed = (uint32_t)rng_next(r);
}

static void vec_check_reset(vec_t *v, rng_t *r) {
  for (size_t i = 0; i < v->len; i++)
    if (v->p[i] != (uint32_t)(v->seed ^ i)) bench_fail("vector element %zu of %zu wrong", i, v->len);
  checked += v->len;
  free(v->p);
  v->p = NULL;
  v->len = v->cap = 0;
  v->target = pick_target(r, 18);
  v->seed = (uint32_t)rng_next(r);
}

int main(int argc, char **argv) {
  double scale = bench_scale(argc, argv, "realloc");
  size_t ops = scaled(12e6, scale, 20000);
  rng_t r = {2024};
  str_t *strs = calloc(NSTR, sizeof *strs);
  vec_t *vecs = calloc(NVEC, sizeof *vecs);
  BENCH_CHECK(strs && vecs, "no memory");
  for (int i = 0; i < NSTR; i++) str_check_reset(&strs[i], &r);
  for (int i = 0; i < NVEC; i++) vec_check_reset(&vecs[i], &r);

  for (size_t op = 0; op < ops; op++) {
    if (op % 8 != 7) {
      str_t *s = &strs[rng_below(&r, NSTR)];
      size_t add = 1 + rng_below(&r, 24);
      char *np = realloc(s->p, s->len + add + 1);
      if (!np) bench_fail("realloc to %zu failed", s->len + add + 1);
      s->p = np;
      for (size_t i = 0; i < add; i++) s->p[s->len + i] = str_byte(s->seed, s->len + i);
      s->len += add;
      s->p[s->len] = 0;
      if (s->len >= s->target) str_check_reset(s, &r);
    } else {
      vec_t *v = &vecs[rng_below(&r, NVEC)];
      size_t add = 1 + rng_below(&r, 256);
      for (size_t i = 0; i < add; i++) {
        if (v->len == v->cap) {
          size_t cap = v->cap ? v->cap * 2 : 4;
          uint32_t *np = realloc(v->p, cap * sizeof *np);
          if (!np) bench_fail("realloc to %zu failed", cap * sizeof *np);
          v->p = np;
          v->cap = cap;
        }
        v->p[v->len] = (uint32_t)(v->seed ^ v->len);
        v->len++;
      }
      if (v->len >= v->target) vec_check_reset(v, &r);
    }
  }
  for (int i = 0; i < NSTR; i++) str_check_reset(&strs[i], &r);
  for (int i = 0; i < NVEC; i++) vec_check_reset(&vecs[i], &r);
  for (int i = 0; i < NSTR; i++) free(strs[i].p);
  for (int i = 0; i < NVEC; i++) free(vecs[i].p);
  free(strs);
  free(vecs);
  printf("realloc: %llu bytes/elements checked\n", (unsigned long long)checked);
  return 0;
}
