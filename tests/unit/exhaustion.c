/* exhaustion — real exhaustion under RLIMIT_AS (ulimit -v) gives NULL/ENOMEM.
 * Normal build only (a sanitizer runtime reserves terabytes of shadow).
 *
 * One case per run (argv[1]); the case runs in a forked child whose address
 * space is limited to its current VmSize plus a headroom, so that a crash is
 * reported by name:
 *
 *   small, medium, large, huge, tiny_headroom, mixed
 *       allocate blocks (1000 B / 20 KiB / 300 KiB / 64 MiB / 256 B with only
 *       16 MiB headroom / random 1 B..8 MiB) until malloc returns NULL: every
 *       NULL comes with errno ENOMEM and nothing crashes; further attempts of
 *       all sizes fail cleanly or succeed; every block obtained is intact
 *       (address pattern over the whole block); after freeing every other
 *       block, allocation of the same size works again (a quarter of the
 *       count), and after freeing everything, so do all sizes up to 1 MiB.
 *   calloc
 *       calloc until NULL: each block zero, each failure ENOMEM.
 *   realloc
 *       a block grown by half again each step until realloc fails: the old
 *       block is intact and still usable after each failure; many small
 *       blocks (1000 B) each grown to 20000 B, some failing: likewise.
 *   aligned
 *       aligned_alloc / posix_memalign of 64 KiB alignment until failure:
 *       NULL + ENOMEM / ENOMEM, *out untouched.
 */
#include "api.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

typedef struct {
    unsigned char *p;
    size_t size;
} blk_t;

#define MAXB (4 * 1024 * 1024)

static size_t as_limit; /* bytes of address space the child may have */

static void limit_as(size_t headroom)
{
    size_t vm = vmsize_bytes();
    as_limit = vm + headroom;
    struct rlimit rl = {vm + headroom, vm + headroom};
    CHECKF(setrlimit(RLIMIT_AS, &rl) == 0, "setrlimit: %s", strerror(errno));
    fprintf(stderr, "address space limited to %zu MiB (VmSize %zu MiB + %zu MiB)\n", (vm + headroom) / MiB, vm / MiB,
           headroom / MiB);
}

static size_t size_for(const char *c, rng_t *r)
{
    if (strcmp(c, "small") == 0) return 1000;
    if (strcmp(c, "medium") == 0) return 20 * KiB;
    if (strcmp(c, "large") == 0) return 300 * KiB;
    if (strcmp(c, "huge") == 0) return 64 * MiB;
    if (strcmp(c, "tiny_headroom") == 0) return 256;
    return rng_logsize(r, 1, 8 * MiB);
}

static void fill_until_null(const char *c, size_t headroom)
{
    blk_t *b = raw_alloc(MAXB * sizeof *b);
    rng_t r;
    rng_seed(&r, 4);
    /* warm up the allocator (and stdio) before the limit */
    void *w = t_malloc(100);
    CHECK(w != NULL);
    t_free(w);
    limit_as(headroom);
    size_t n = 0, bytes = 0;
    for (;;) {
        CHECKF(n < MAXB, "%zu blocks (%zu MiB) and no failure: the limit does not bite?", n, bytes / MiB);
        size_t s = size_for(c, &r);
        errno = 0;
        unsigned char *p = t_malloc(s);
        if (!p) {
            CHECKF(errno == ENOMEM, "malloc(%zu) returned NULL with errno %d (%s), not ENOMEM", s, errno,
                   strerror(errno));
            fprintf(stderr, "malloc(%zu) failed after %zu blocks, %zu MiB\n", s, n, bytes / MiB);
            break;
        }
        pattern_fill(p, s, block_seed(p, s));
        b[n++] = (blk_t){p, s};
        bytes += s;
    }
    /* (an allocator may have reserved address space before the limit was set:
     * the blocks can exceed the headroom, not the whole limit) */
    CHECKF(bytes <= as_limit, "obtained %zu MiB under an address-space limit of %zu MiB", bytes / MiB,
           as_limit / MiB);
    /* more attempts, all sizes: a clean failure or a success */
    for (size_t s = 1; s <= 256 * MiB; s = s * 2 + 1) {
        errno = 0;
        void *p = t_malloc(s);
        if (p) {
            memset(p, 1, s < 4096 ? s : 4096);
            t_free(p);
        } else {
            CHECKF(errno == ENOMEM, "malloc(%zu) at the limit: NULL with errno %d, not ENOMEM", s, errno);
        }
        errno = 0;
        p = t_calloc(1, s);
        if (p) t_free(p);
        else CHECKF(errno == ENOMEM, "calloc(1, %zu) at the limit: NULL with errno %d, not ENOMEM", s, errno);
    }
    for (size_t i = 0; i < n; i++) CHECK_PATTERN(b[i].p, b[i].size, block_seed(b[i].p, b[i].size));
    if (n >= 4) {
        /* free every other block: the same size must work again */
        size_t freed = 0;
        for (size_t i = 0; i < n; i += 2) {
            t_free(b[i].p);
            b[i].p = NULL;
            freed++;
        }
        size_t again = 0;
        for (size_t i = 0; i < freed / 2; i++) {
            size_t s = b[2 * i].size; /* the size of a block just freed */
            errno = 0;
            unsigned char *p = t_malloc(s);
            CHECKF(p != NULL,
                   "malloc(%zu) failed (errno %d) after %zu of %zu blocks of this size were freed, %zu of them "
                   "allocated again: freed memory is not reused under the limit",
                   s, errno, freed, n, again);
            pattern_fill(p, s, block_seed(p, s));
            b[2 * i].p = p;
            b[2 * i].size = s;
            again++;
        }
        fprintf(stderr, "%zu blocks allocated again after freeing %zu\n", again, freed);
    }
    for (size_t i = 0; i < n; i++)
        if (b[i].p) {
            CHECK_PATTERN(b[i].p, b[i].size, block_seed(b[i].p, b[i].size));
            t_free(b[i].p);
        }
    for (size_t s = 1; s <= 1 * MiB; s = s * 2 + 1) {
        unsigned char *p = t_malloc(s);
        CHECKF(p != NULL, "malloc(%zu) failed after everything was freed under the limit (errno %d)", s, errno);
        memset(p, 2, s);
        t_free(p);
    }
}

static void calloc_until_null(void)
{
    blk_t *b = raw_alloc(MAXB * sizeof *b);
    limit_as(512 * MiB);
    size_t n = 0;
    for (;;) {
        CHECK(n < MAXB);
        size_t s = 100 * KiB + n % 1000;
        errno = 0;
        unsigned char *p = t_calloc(1, s);
        if (!p) {
            CHECKF(errno == ENOMEM, "calloc(1, %zu) failed with errno %d", s, errno);
            break;
        }
        CHECK_ZERO(p, s);
        memset(p, 0xAA, s);
        b[n++] = (blk_t){p, s};
    }
    fprintf(stderr, "calloc failed after %zu blocks\n", n);
    for (size_t i = 0; i < n; i += 2) t_free(b[i].p);
    for (size_t i = 0; i < n / 4; i++) {
        unsigned char *p = t_calloc(1, b[2 * i + 1].size);
        CHECKF(p != NULL, "calloc failed after half of the blocks were freed (errno %d)", errno);
        CHECK_ZERO(p, b[2 * i + 1].size);
        t_free(p);
    }
    for (size_t i = 1; i < n; i += 2) t_free(b[i].p);
}

static void realloc_until_null(void)
{
    limit_as(512 * MiB);
    size_t s = 1000;
    unsigned char *p = t_malloc(s);
    CHECK(p != NULL);
    idx_fill(p, 0, s, 1);
    int failures = 0;
    for (;;) {
        size_t ns = s + s / 2;
        errno = 0;
        unsigned char *q = t_realloc(p, ns);
        if (!q) {
            CHECKF(errno == ENOMEM, "realloc(%zu -> %zu) failed with errno %d", s, ns, errno);
            CHECK_IDX(p, s, 1); /* the old block is intact */
            if (++failures == 3) break;
            continue;
        }
        CHECK_IDX(q, s, 1);
        p = q;
        idx_fill(p, s, ns, 1);
        s = ns;
    }
    fprintf(stderr, "realloc failed at %zu MiB\n", s / MiB);
    /* the old block still works: shrink it, grow it a little */
    p = t_realloc(p, s / 4);
    CHECK(p != NULL);
    CHECK_IDX(p, s / 4, 1);
    t_free(p);

    /* many small blocks grown until failure */
    blk_t *b = raw_alloc(MAXB * sizeof *b);
    size_t n = 0;
    for (;;) {
        CHECK(n < MAXB);
        unsigned char *x = t_malloc(1000);
        if (!x) break;
        pattern_fill(x, 1000, block_seed(x, 1000));
        b[n++] = (blk_t){x, 1000};
    }
    size_t grown = 0;
    for (size_t i = 0; i < n; i++) {
        errno = 0;
        unsigned char *x = t_realloc(b[i].p, 20000);
        if (!x) {
            CHECKF(errno == ENOMEM, "realloc(1000 -> 20000) failed with errno %d", errno);
            CHECK_PATTERN(b[i].p, 1000, block_seed(b[i].p, 1000));
            continue;
        }
        for (size_t k = 0; k < 1000; k++)
            CHECKF(x[k] == pattern_byte((uintptr_t)b[i].p + k, block_seed(b[i].p, 1000)),
                   "realloc(1000 -> 20000) under the limit lost byte %zu", k);
        t_free(x);
        b[i].p = NULL;
        grown++;
    }
    for (size_t i = 0; i < n; i++)
        if (b[i].p) t_free(b[i].p);
    fprintf(stderr, "%zu of %zu small blocks grown\n", grown, n);
}

static void aligned_until_null(void)
{
    blk_t *b = raw_alloc(MAXB * sizeof *b);
    limit_as(512 * MiB);
    size_t n = 0;
    int done_aa = 0, done_pm = 0;
    while (!done_aa || !done_pm) {
        CHECK(n < MAXB);
        errno = 0;
        unsigned char *p = done_aa ? NULL : t_aligned_alloc(64 * KiB, 100 * KiB);
        if (!done_aa && !p) {
            CHECKF(errno == ENOMEM, "aligned_alloc failed with errno %d", errno);
            done_aa = 1;
        }
        if (p) {
            CHECK((uintptr_t)p % (64 * KiB) == 0);
            memset(p, 1, 100 * KiB);
            b[n++] = (blk_t){p, 100 * KiB};
        }
        void *out = (void *)(uintptr_t)0x5e57;
        int rc = done_pm ? -1 : t_posix_memalign(&out, 64 * KiB, 100 * KiB);
        if (rc == 0) {
            CHECK((uintptr_t)out % (64 * KiB) == 0);
            memset(out, 1, 100 * KiB);
            b[n++] = (blk_t){out, 100 * KiB};
        } else if (rc > 0) {
            CHECKF(rc == ENOMEM, "posix_memalign failed with %d", rc);
            CHECKF(out == (void *)(uintptr_t)0x5e57, "posix_memalign failed but wrote *out");
            done_pm = 1;
        }
    }
    for (size_t i = 0; i < n; i++) t_free(b[i].p);
    fprintf(stderr, "%zu aligned blocks before failure\n", n);
}

int main(int argc, char **argv)
{
    CHECKF(argc == 2, "usage: %s CASE", argv[0]);
    t_init();
    const char *c = argv[1];
    printf("exhaustion %s (%s)\n", c, T_VARIANT);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        if (strcmp(c, "calloc") == 0) calloc_until_null();
        else if (strcmp(c, "realloc") == 0) realloc_until_null();
        else if (strcmp(c, "aligned") == 0) aligned_until_null();
        else if (strcmp(c, "tiny_headroom") == 0) fill_until_null(c, 16 * MiB);
        else if (strcmp(c, "huge") == 0) fill_until_null(c, 1 * GiB);
        else if (strcmp(c, "small") == 0 || strcmp(c, "medium") == 0 || strcmp(c, "large") == 0 ||
                 strcmp(c, "mixed") == 0)
            fill_until_null(c, 512 * MiB);
        else FAIL("unknown case %s", c);
        _exit(0);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    if (WIFSIGNALED(st))
        FAIL("case %s: the child was killed by signal %d (%s) under RLIMIT_AS", c, WTERMSIG(st),
             strsignal(WTERMSIG(st)));
    CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "case %s: the child failed (status %d)", c, WEXITSTATUS(st));
    printf("exhaustion %s (%s): ok\n", c, T_VARIANT);
    return 0;
}
