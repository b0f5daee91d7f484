/* check.h — the tiny harness every ward test uses.
 *
 * CHECK(cond) / CHECKF(cond, fmt, ...) print file:line and the failed
 * condition to stderr and end the process with status 1 (_exit, so a failure
 * inside a thread, a forked child or an atexit handler cannot hang in exit
 * processing).
 *
 * Helpers that the tests share: a deterministic PRNG, an address-derived fill
 * pattern (two live blocks that overlap corrupt each other's pattern), an
 * all-zero check, and readers for /proc/self/statm and /proc/self/maps that do
 * not allocate (open/read into a stack buffer), so that measuring memory does
 * not disturb the allocator under test. Bookkeeping arrays that must not come
 * from the allocator under test use raw_alloc() (mmap).
 */
#ifndef WARD_TEST_CHECK_H
#define WARD_TEST_CHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define CHECK_FAIL_EXIT() do { fflush(stdout); _exit(1); } while (0)

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            CHECK_FAIL_EXIT();                                               \
        }                                                                    \
    } while (0)

#define CHECKF(cond, ...)                                                    \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, \
                    #cond);                                                  \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
            CHECK_FAIL_EXIT();                                               \
        }                                                                    \
    } while (0)

#define FAIL(...) CHECKF(0, __VA_ARGS__)

#define CHECK_ERRNO(expected)                                                \
    do {                                                                     \
        int e_ = errno;                                                      \
        CHECKF(e_ == (expected), "errno is %d (%s), expected %d (%s)", e_,   \
               strerror(e_), (int)(expected), strerror(expected));           \
    } while (0)

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)
#define GiB ((size_t)1 << 30)

#define TEST_UNUSED __attribute__((unused))

/* Hide a value from the optimiser, so that e.g. malloc(SIZE_MAX) is really
 * called and not folded or warned about at compile time. */
static inline TEST_UNUSED size_t opaque_size(size_t x)
{
    __asm__ volatile("" : "+r"(x));
    return x;
}
static inline TEST_UNUSED void *opaque_ptr(void *p)
{
    __asm__ volatile("" : "+r"(p) : : "memory");
    return p;
}

/* ---- PRNG (xorshift64*) ------------------------------------------------ */

typedef struct { uint64_t s; } rng_t;

static inline TEST_UNUSED void rng_seed(rng_t *r, uint64_t seed)
{
    r->s = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
    if (r->s == 0) r->s = 1;
}
static inline TEST_UNUSED uint64_t rng_next(rng_t *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545F4914F6CDD1Dull;
}
/* uniform in [lo, hi] */
static inline TEST_UNUSED size_t rng_range(rng_t *r, size_t lo, size_t hi)
{
    return lo + (size_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}
/* log-uniform in [lo, hi]: as many sizes between 16 and 32 as between 1 MiB and 2 MiB */
static inline TEST_UNUSED size_t rng_logsize(rng_t *r, size_t lo, size_t hi)
{
    unsigned lb = 0, hb = 0;
    while (((size_t)1 << (lb + 1)) <= lo) lb++;
    while (((size_t)1 << hb) < hi) hb++;
    for (;;) {
        unsigned b = lb + (unsigned)(rng_next(r) % (hb - lb + 1));
        size_t base = (size_t)1 << b;
        size_t s = base + (size_t)(rng_next(r) % base);
        if (s >= lo && s <= hi) return s;
    }
}

/* ---- address-derived fill pattern ----------------------------------------
 * The 8-byte word at (8-aligned) address w holds mix(w ^ seed); a byte holds
 * its lane of that word. Because the value depends on the absolute address and
 * the seed (give each block its own seed, e.g. from its base address and size),
 * a block that overlaps another live block is caught when either is checked. */

static inline TEST_UNUSED uint64_t pattern_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x;
}

static inline TEST_UNUSED uint8_t pattern_byte(uintptr_t a, uint64_t seed)
{
    return (uint8_t)(pattern_mix((uint64_t)(a & ~(uintptr_t)7) ^ seed) >> ((a & 7) * 8));
}

static inline TEST_UNUSED uint64_t block_seed(const void *p, size_t size)
{
    return pattern_mix((uint64_t)(uintptr_t)p * 31 + size + 0x5EED);
}

static TEST_UNUSED void pattern_fill(void *p, size_t n, uint64_t seed)
{
    unsigned char *b = (unsigned char *)p;
    size_t i = 0;
    while (i < n && (((uintptr_t)(b + i)) & 7) != 0) {
        b[i] = pattern_byte((uintptr_t)(b + i), seed);
        i++;
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t v = pattern_mix((uint64_t)(uintptr_t)(b + i) ^ seed);
        memcpy(b + i, &v, 8);
    }
    for (; i < n; i++) b[i] = pattern_byte((uintptr_t)(b + i), seed);
}

/* Returns the offset of the first wrong byte, or SIZE_MAX if all are right. */
static TEST_UNUSED size_t pattern_find_bad(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *b = (const unsigned char *)p;
    size_t i = 0;
    while (i < n && (((uintptr_t)(b + i)) & 7) != 0) {
        if (b[i] != pattern_byte((uintptr_t)(b + i), seed)) return i;
        i++;
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, b + i, 8);
        if (v != pattern_mix((uint64_t)(uintptr_t)(b + i) ^ seed)) {
            for (size_t j = i; j < i + 8; j++)
                if (b[j] != pattern_byte((uintptr_t)(b + j), seed)) return j;
        }
    }
    for (; i < n; i++)
        if (b[i] != pattern_byte((uintptr_t)(b + i), seed)) return i;
    return SIZE_MAX;
}

#define CHECK_PATTERN(p, n, seed)                                                   \
    do {                                                                            \
        const void *cp_p_ = (p);                                                    \
        size_t cp_n_ = (n);                                                         \
        size_t cp_bad_ = pattern_find_bad(cp_p_, cp_n_, (seed));                    \
        CHECKF(cp_bad_ == SIZE_MAX,                                                 \
               "block %p of %zu bytes corrupted at offset %zu (byte 0x%02x)",       \
               cp_p_, cp_n_, cp_bad_,                                               \
               cp_bad_ == SIZE_MAX ? 0u : ((const unsigned char *)cp_p_)[cp_bad_]); \
    } while (0)

/* ---- position-derived pattern --------------------------------------------
 * Byte i holds lane i % 8 of mix(seed + i / 8), wherever the block is: for
 * contents that must survive realloc moving the block. */

static TEST_UNUSED void idx_fill(void *p, size_t from, size_t to, uint64_t seed)
{
    unsigned char *b = (unsigned char *)p;
    uint64_t w = pattern_mix(seed + from / 8);
    for (size_t i = from; i < to; i++) {
        if (i % 8 == 0) w = pattern_mix(seed + i / 8);
        b[i] = (unsigned char)(w >> (8 * (i % 8)));
    }
}

/* Offset of the first wrong byte among the first n, or SIZE_MAX. */
static TEST_UNUSED size_t idx_find_bad(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *b = (const unsigned char *)p;
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 8 == 0 || i == 0) w = pattern_mix(seed + i / 8);
        if (b[i] != (unsigned char)(w >> (8 * (i % 8)))) return i;
    }
    return SIZE_MAX;
}

#define CHECK_IDX(p, n, seed)                                                               \
    do {                                                                                    \
        const void *ci_p_ = (p);                                                            \
        size_t ci_n_ = (n);                                                                 \
        size_t ci_bad_ = idx_find_bad(ci_p_, ci_n_, (seed));                                \
        CHECKF(ci_bad_ == SIZE_MAX, "block %p: contents of its first %zu bytes lost at offset %zu", \
               ci_p_, ci_n_, ci_bad_);                                                      \
    } while (0)

/* Offset of the first non-zero byte, or SIZE_MAX. */
static TEST_UNUSED size_t find_nonzero(const void *p, size_t n)
{
    const unsigned char *b = (const unsigned char *)p;
    size_t i = 0;
    while (i < n && ((uintptr_t)(b + i) & 7) != 0) {
        if (b[i]) return i;
        i++;
    }
    for (; i + 64 <= n; i += 64) {
        const uint64_t *w = (const uint64_t *)(const void *)(b + i);
        if (w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]) break;
    }
    for (; i < n; i++)
        if (b[i]) return i;
    return SIZE_MAX;
}

#define CHECK_ZERO(p, n)                                                           \
    do {                                                                           \
        const void *cz_p_ = (p);                                                   \
        size_t cz_n_ = (n);                                                        \
        size_t cz_bad_ = find_nonzero(cz_p_, cz_n_);                               \
        CHECKF(cz_bad_ == SIZE_MAX,                                                \
               "block %p of %zu bytes should be zero, byte at offset %zu is 0x%02x", \
               cz_p_, cz_n_, cz_bad_,                                              \
               cz_bad_ == SIZE_MAX ? 0u : ((const unsigned char *)cz_p_)[cz_bad_]); \
    } while (0)

/* ---- memory that does not come from the allocator under test ------------ */

static TEST_UNUSED void *raw_alloc(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECKF(p != MAP_FAILED, "mmap of %zu bytes failed: %s", n, strerror(errno));
    return p;
}
static TEST_UNUSED void raw_free(void *p, size_t n) { munmap(p, n); }

/* ---- /proc readers (no malloc) ----------------------------------------- */

static TEST_UNUSED size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

/* Reads a small /proc file into buf; returns the length. */
static TEST_UNUSED size_t read_small_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    CHECKF(fd >= 0, "open %s: %s", path, strerror(errno));
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fd, buf + len, cap - 1 - len);
        if (r < 0 && errno == EINTR) continue;
        CHECKF(r >= 0, "read %s: %s", path, strerror(errno));
        if (r == 0) break;
        len += (size_t)r;
        if (len == cap - 1) break;
    }
    close(fd);
    buf[len] = 0;
    return len;
}

/* VmSize and resident set of this process, in bytes, from /proc/self/statm. */
static TEST_UNUSED void statm(size_t *vmsize, size_t *rss)
{
    char buf[256];
    int e = errno;
    read_small_file("/proc/self/statm", buf, sizeof buf);
    unsigned long long vs = 0, rs = 0;
    CHECK(sscanf(buf, "%llu %llu", &vs, &rs) == 2);
    if (vmsize) *vmsize = (size_t)vs * page_size();
    if (rss) *rss = (size_t)rs * page_size();
    errno = e;
}
static TEST_UNUSED size_t rss_bytes(void)
{
    size_t r;
    statm(NULL, &r);
    return r;
}
static TEST_UNUSED size_t vmsize_bytes(void)
{
    size_t v;
    statm(&v, NULL);
    return v;
}

/* Calls fn(lo, hi, line, arg) for every line of /proc/self/maps; returns the
 * number of lines. */
static TEST_UNUSED size_t maps_walk(void (*fn)(uintptr_t lo, uintptr_t hi, const char *line, void *arg),
                                    void *arg)
{
    int e = errno;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    CHECKF(fd >= 0, "open /proc/self/maps: %s", strerror(errno));
    char buf[16384];
    char line[1024];
    size_t ll = 0, lines = 0;
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        CHECK(r >= 0);
        if (r == 0) break;
        for (ssize_t i = 0; i < r; i++) {
            if (buf[i] == '\n') {
                line[ll] = 0;
                lines++;
                if (fn) {
                    unsigned long long lo = 0, hi = 0;
                    if (sscanf(line, "%llx-%llx", &lo, &hi) == 2) fn((uintptr_t)lo, (uintptr_t)hi, line, arg);
                }
                ll = 0;
            } else if (ll + 1 < sizeof line) {
                line[ll++] = buf[i];
            }
        }
    }
    close(fd);
    errno = e;
    return lines;
}
static TEST_UNUSED size_t maps_count(void) { return maps_walk(NULL, NULL); }

/* "MemAvailable" from /proc/meminfo, in bytes (0 if unknown). */
static TEST_UNUSED size_t mem_available(void)
{
    char buf[8192];
    read_small_file("/proc/meminfo", buf, sizeof buf);
    const char *s = strstr(buf, "MemAvailable:");
    if (!s) return 0;
    unsigned long long kb = 0;
    if (sscanf(s, "MemAvailable: %llu kB", &kb) != 1) return 0;
    return (size_t)kb * 1024;
}

/* ---- misc ---------------------------------------------------------------- */

static TEST_UNUSED double now_sec(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static TEST_UNUSED long env_long(const char *name, long dflt)
{
    const char *s = getenv(name);
    if (!s || !*s) return dflt;
    char *end;
    long v = strtol(s, &end, 10);
    return *end ? dflt : v;
}

static TEST_UNUSED int is_pow2(size_t x) { return x && !(x & (x - 1)); }

#define TEST_SKIP_CODE 77

#endif /* WARD_TEST_CHECK_H */
