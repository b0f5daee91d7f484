/* Shared helpers for the explicit-lifetime workloads (bench/lifetimes).
 *
 * Every workload is compiled once per contender with one of these defined:
 *   USE_WARD_ARENA   ward_arena_*            (libward-prefixed)
 *   USE_WARD_POOL    ward_pool_*             (libward-prefixed)
 *   USE_TALLOC       talloc                  (libtalloc, over glibc malloc)
 *   USE_APR          APR pools               (libapr-1, its own allocator)
 *   USE_OBSTACK      glibc obstack           (chunks from glibc malloc)
 *   USE_MALLOC       plain malloc/free       (whatever malloc is loaded:
 *                                             glibc, or ward / mimalloc
 *                                             through LD_PRELOAD)
 * and prints one line "<workload> <variant> ok checksum=<hex> ..." on
 * success. Any check that fails prints "FAILED: ..." and exits 1.
 */
#ifndef LIFETIMES_COMMON_H
#define LIFETIMES_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(cond, ...)                                         \
    do {                                                         \
        if (!(cond)) {                                           \
            fprintf(stderr, "FAILED: %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                        \
            fputc('\n', stderr);                                 \
            exit(1);                                             \
        }                                                        \
    } while (0)

/* xorshift64*: the same stream for every contender. */
typedef struct {
    uint64_t s;
} rng_t;

static inline void rng_seed(rng_t *r, uint64_t seed) {
    r->s = seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    if (r->s == 0) r->s = 1;
}

static inline uint64_t rng_next(rng_t *r) {
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* Uniform in [0, n) for n < 2^32, without a division. */
static inline uint32_t rng_below(rng_t *r, uint32_t n) {
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static inline uint64_t mix64(uint64_t x) { /* splitmix64 finaliser */
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x;
}

static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* argv[i] as a positive integer, or dflt when absent. */
static inline unsigned long long arg_u64(int argc, char **argv, int i, unsigned long long dflt) {
    if (argc <= i) return dflt;
    char *end = NULL;
    unsigned long long v = strtoull(argv[i], &end, 10);
    CHECK(end != argv[i] && *end == 0 && v > 0, "bad argument '%s'", argv[i]);
    return v;
}

/* The process's peak resident set (VmHWM) in KiB, or 0. Read here rather
 * than from the parent's rusage, whose ru_maxrss also counts the pages of
 * the parent process that forked the child (a Python runner: ~17 MiB). */
static inline unsigned long long peak_rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) return 0;
    char line[256];
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmHWM:", 6) == 0) kb = strtoull(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

#endif
