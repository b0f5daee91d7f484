/* purge — freed memory goes back to the OS (resident size as the kernel sees it).
 * Normal build only (RSS under a sanitizer measures the sanitizer).
 *
 * One case per run (argv[1]); each re-executes itself with the purge delay it
 * needs in WARD_PURGE_DELAY_MS (100 ms, or 1000 s for "trim").
 *
 *   small / medium     ~1 GiB of blocks of 16..1024 B / 4..128 KiB, allocated
 *                      in 64 batches and touched; 90% of the batches (chosen at
 *                      random) are freed; then a little malloc/free activity
 *                      (every 10 ms) for at most 3 s: /proc/self/statm's
 *                      resident size must fall by 2/3 of what was freed.
 *   small_all          the same, everything freed.
 *   large              ~1 GiB of 256 KiB..16 MiB blocks, 90% of the blocks
 *                      freed at random; same expectation.
 *   huge               a freed 512 MiB block (malloc, calloc, aligned_alloc;
 *                      twice each) or 1 GiB block is returned at once: the
 *                      resident size falls by 7/8 of it right after free,
 *                      with no activity.
 *   trim               with a purge delay of 1000 s, after freeing ~512 MiB
 *                      of small and medium blocks, malloc_trim(0) / ward_trim()
 *                      returns 1 and the resident size falls by 2/3 of it at
 *                      once.
 * In every case the blocks still live keep their contents (a purge of live
 * memory would zero them).
 * Pages marked with MADV_FREE stay in the resident size until memory
 * pressure: they do not count as returned, by design of this test.
 */
#include "api.h"

typedef struct {
    unsigned char *p;
    size_t size;
} blk_t;

static void shuffle(int *v, int n, rng_t *r)
{
    for (int i = n - 1; i > 0; i--) {
        int k = (int)rng_range(r, 0, (size_t)i);
        int t = v[i];
        v[i] = v[k];
        v[k] = t;
    }
}

/* a little allocator activity: what a running program does */
static void activity(rng_t *r)
{
    void *p[64];
    for (int i = 0; i < 64; i++) {
        p[i] = t_malloc(rng_logsize(r, 1, i % 8 == 0 ? 64 * KiB : 512));
        CHECK(p[i] != NULL);
        *(volatile char *)p[i] = 1;
    }
    for (int i = 0; i < 64; i++) t_free(p[i]);
}

/* Polls RSS while doing activity for at most `seconds`; returns the lowest RSS. */
static size_t wait_for_rss_below(size_t target, double seconds, rng_t *r, double *took)
{
    double t0 = now_sec();
    size_t low = rss_bytes();
    while (low > target && now_sec() - t0 < seconds) {
        activity(r);
        usleep(10000);
        size_t x = rss_bytes();
        if (x < low) low = x;
    }
    *took = now_sec() - t0;
    return low;
}

static void batches(size_t lo, size_t hi, int free_all)
{
    rng_t r;
    rng_seed(&r, 1);
    const size_t total = 1 * GiB;
    enum { B = 64 };
    size_t maxn = total / lo + B;
    blk_t *b = raw_alloc(maxn * sizeof *b);
    size_t start[B + 1];
    size_t n = 0, bytes = 0;
    for (int k = 0; k < B; k++) {
        start[k] = n;
        size_t goal = total / B * (size_t)(k + 1);
        while (bytes < goal) {
            size_t s = rng_logsize(&r, lo, hi);
            unsigned char *p = t_malloc(s);
            CHECKF(p != NULL, "malloc(%zu) failed after %zu MiB", s, bytes / MiB);
            pattern_fill(p, s, block_seed(p, s));
            b[n++] = (blk_t){p, s};
            bytes += s;
        }
    }
    start[B] = n;
    size_t rss_full = rss_bytes();

    int order[B];
    for (int k = 0; k < B; k++) order[k] = k;
    shuffle(order, B, &r);
    int nfree = free_all ? B : B * 9 / 10;
    size_t freed = 0;
    char *is_freed = raw_alloc(B);
    for (int i = 0; i < nfree; i++) {
        int k = order[i];
        is_freed[k] = 1;
        for (size_t j = start[k]; j < start[k + 1]; j++) {
            freed += b[j].size;
            t_free(b[j].p);
        }
    }
    size_t rss_freed = rss_bytes();
    size_t target = rss_full - freed * 2 / 3;
    double took;
    size_t low = wait_for_rss_below(target, 3.0, &r, &took);
    printf("%zu blocks of %zu..%zu B, %zu MiB: rss %zu MiB full, %zu MiB right after freeing %zu MiB, "
           "%zu MiB after %.2f s (target %zu MiB)\n",
           n, lo, hi, bytes / MiB, rss_full / MiB, rss_freed / MiB, freed / MiB, low / MiB, took, target / MiB);
    CHECKF(low <= target,
           "resident size fell only from %zu to %zu MiB within 3 s of activity after %zu MiB were freed "
           "(expected at most %zu MiB)",
           rss_full / MiB, low / MiB, freed / MiB, target / MiB);
    /* the live blocks are intact */
    for (int k = 0; k < B; k++) {
        if (is_freed[k]) continue;
        for (size_t j = start[k]; j < start[k + 1]; j++) {
            CHECK_PATTERN(b[j].p, b[j].size, block_seed(b[j].p, b[j].size));
            t_free(b[j].p);
        }
    }
    raw_free(is_freed, B);
    raw_free(b, maxn * sizeof *b);
}

static void large_random(void)
{
    rng_t r;
    rng_seed(&r, 2);
    enum { MAXN = 4096 };
    blk_t *b = raw_alloc(MAXN * sizeof *b);
    size_t n = 0, bytes = 0;
    while (bytes < 1 * GiB) {
        size_t s = rng_logsize(&r, 256 * KiB, 16 * MiB);
        unsigned char *p = t_malloc(s);
        CHECKF(p != NULL, "malloc(%zu) failed", s);
        pattern_fill(p, s, block_seed(p, s));
        b[n++] = (blk_t){p, s};
        bytes += s;
    }
    size_t rss_full = rss_bytes();
    size_t freed = 0;
    for (size_t i = 0; i < n; i++) {
        if (rng_range(&r, 0, 9) == 0) continue; /* ~10% stay */
        freed += b[i].size;
        t_free(b[i].p);
        b[i].p = NULL;
    }
    size_t rss_freed = rss_bytes();
    size_t target = rss_full - freed * 2 / 3;
    double took;
    size_t low = wait_for_rss_below(target, 3.0, &r, &took);
    printf("%zu large blocks, %zu MiB: rss %zu MiB full, %zu MiB right after freeing %zu MiB, %zu MiB after %.2f s "
           "(target %zu MiB)\n",
           n, bytes / MiB, rss_full / MiB, rss_freed / MiB, freed / MiB, low / MiB, took, target / MiB);
    CHECKF(low <= target,
           "resident size fell only from %zu to %zu MiB within 3 s of activity after %zu MiB of large blocks were "
           "freed (expected at most %zu MiB)",
           rss_full / MiB, low / MiB, freed / MiB, target / MiB);
    for (size_t i = 0; i < n; i++)
        if (b[i].p) {
            CHECK_PATTERN(b[i].p, b[i].size, block_seed(b[i].p, b[i].size));
            t_free(b[i].p);
        }
    raw_free(b, MAXN * sizeof *b);
}

typedef struct {
    uintptr_t lo, hi;
    int found;
} range_t;
static void find_range(uintptr_t lo, uintptr_t hi, const char *line, void *arg)
{
    (void)line;
    range_t *r = arg;
    if (lo < r->hi && hi > r->lo) r->found = 1;
}

static void huge(void)
{
    const size_t sizes[] = {512 * MiB, 1 * GiB};
    for (int rep = 0; rep < 2; rep++) {
        for (size_t i = 0; i < 2; i++) {
            for (int how = 0; how < 3; how++) {
                if (i == 1 && (rep > 0 || how > 0)) continue; /* 1 GiB: once, with malloc */
                size_t s = sizes[i];
                unsigned char *p = how == 0 ? t_malloc(s) : how == 1 ? t_calloc(1, s) : t_aligned_alloc(1 * MiB, s);
                CHECKF(p != NULL, "allocation of %zu MiB failed", s / MiB);
                memset(p, 0x5A, s);
                size_t vm1, rss1, vm2, rss2;
                statm(&vm1, &rss1);
                t_free(p);
                statm(&vm2, &rss2);
                range_t rg = {(uintptr_t)p, (uintptr_t)p + s, 0};
                maps_walk(find_range, &rg);
                printf("%s of %zu MiB freed: rss %zu -> %zu MiB, VmSize %zu -> %zu MiB, range %s mapped\n",
                       how == 0 ? "malloc" : how == 1 ? "calloc" : "aligned_alloc", s / MiB, rss1 / MiB, rss2 / MiB,
                       vm1 / MiB, vm2 / MiB, rg.found ? "still" : "no longer");
                CHECKF(rss2 + s / 8 * 7 <= rss1,
                       "a freed block of %zu MiB was not returned at once: resident size %zu -> %zu MiB", s / MiB,
                       rss1 / MiB, rss2 / MiB);
            }
        }
    }
}

static void trim(void)
{
    rng_t r;
    rng_seed(&r, 3);
    enum { N = 64 * 1024 };
    blk_t *b = raw_alloc(N * sizeof *b);
    size_t bytes = 0;
    for (int i = 0; i < N; i++) {
        size_t s = i % 2 ? rng_logsize(&r, 16, 1024) : rng_logsize(&r, 4 * KiB, 28 * KiB);
        b[i].p = t_malloc(s);
        CHECK(b[i].p != NULL);
        b[i].size = s;
        memset(b[i].p, 0x33, s);
        bytes += s;
    }
    /* one block kept live, to check it survives the trim */
    unsigned char *keep = t_malloc(100000);
    CHECK(keep != NULL);
    pattern_fill(keep, 100000, 99);
    size_t rss_full = rss_bytes();
    for (int i = 0; i < N; i++) t_free(b[i].p);
    usleep(200000);
    size_t rss_freed = rss_bytes();
    int rc = t_trim();
    size_t rss_trim = rss_bytes();
    printf("%zu MiB freed: rss %zu MiB full, %zu MiB 200 ms after the frees, %zu MiB after trim (returned %d)\n",
           bytes / MiB, rss_full / MiB, rss_freed / MiB, rss_trim / MiB, rc);
    CHECKF(rc == 1, "trim returned %d after %zu MiB were freed", rc, bytes / MiB);
    CHECKF(rss_trim + bytes * 2 / 3 <= rss_full, "after trim the resident size fell only from %zu to %zu MiB",
           rss_full / MiB, rss_trim / MiB);
    CHECK_PATTERN(keep, 100000, 99);
    t_free(keep);
    raw_free(b, N * sizeof *b);
}

int main(int argc, char **argv)
{
    CHECKF(argc == 2, "usage: %s small|medium|small_all|large|huge|trim", argv[0]);
    const char *c = argv[1];
    const char *want = strcmp(c, "trim") == 0 ? "1000000" : "100";
    const char *have = getenv("WARD_PURGE_DELAY_MS");
    if (!have || strcmp(have, want) != 0) {
        setenv("WARD_PURGE_DELAY_MS", want, 1);
        execv("/proc/self/exe", argv);
        FAIL("execv: %s", strerror(errno));
    }
    t_init();
    if (mem_available() < 3 * GiB) {
        printf("skipped: less than 3 GiB of memory available\n");
        return TEST_SKIP_CODE;
    }
    if (strcmp(c, "small") == 0) batches(16, 1024, 0);
    else if (strcmp(c, "medium") == 0) batches(4 * KiB, 128 * KiB, 0);
    else if (strcmp(c, "small_all") == 0) batches(16, 1024, 1);
    else if (strcmp(c, "large") == 0) large_random();
    else if (strcmp(c, "huge") == 0) huge();
    else if (strcmp(c, "trim") == 0) trim();
    else FAIL("unknown case %s", c);
    printf("purge %s (%s): ok\n", c, T_VARIANT);
    return 0;
}
