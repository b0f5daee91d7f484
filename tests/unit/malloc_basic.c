/* malloc_basic — malloc/free/usable_size over every size range.
 *
 *  - every block of 16 bytes or more is 16-byte aligned (smaller blocks are
 *    aligned for any object that fits: 8 for 8..15, 4 for 4..7, ...), for every
 *    size 1..4096 and a geometric sweep (2^k - 1, 2^k, 2^k + 1, 3 * 2^(k-1))
 *    up to 8 MiB, plus random sizes;
 *  - usable_size(p) >= size and the whole usable size is writable and keeps
 *    what is written (filled with an address pattern, checked after every other
 *    block is filled: live blocks never overlap);
 *  - malloc(0) returns distinct, freeable pointers;
 *  - free(NULL) does nothing; usable_size(NULL) == 0.
 */
#include "api.h"

typedef struct {
    unsigned char *p;
    size_t size, usable;
} blk_t;

static size_t min_align_for(size_t size)
{
    if (size >= 16) return 16;
    if (size >= 8) return 8;
    if (size >= 4) return 4;
    if (size >= 2) return 2;
    return 1;
}

static int cmp_blk(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const blk_t *)a)->p, y = (uintptr_t)((const blk_t *)b)->p;
    return x < y ? -1 : x > y;
}

/* Allocates every size in sizes[], fills each whole usable size with its
 * pattern, then checks all patterns and that no two blocks overlap. */
static void alloc_fill_check(const size_t *sizes, size_t n)
{
    blk_t *b = raw_alloc(n * sizeof *b);
    for (size_t i = 0; i < n; i++) {
        size_t s = sizes[i];
        unsigned char *p = t_malloc(s);
        CHECKF(p != NULL, "malloc(%zu) returned NULL", s);
        CHECKF(((uintptr_t)p % min_align_for(s)) == 0, "malloc(%zu) = %p is not %zu-byte aligned", s,
               (void *)p, min_align_for(s));
        size_t u = t_usable_size(p);
        CHECKF(u >= s, "usable_size(malloc(%zu)) = %zu", s, u);
        pattern_fill(p, u, block_seed(p, s));
        b[i] = (blk_t){p, s, u};
    }
    for (size_t i = 0; i < n; i++) {
        CHECK_PATTERN(b[i].p, b[i].usable, block_seed(b[i].p, b[i].size));
        CHECKF(t_usable_size(b[i].p) == b[i].usable, "usable_size of %p changed from %zu to %zu",
               (void *)b[i].p, b[i].usable, t_usable_size(b[i].p));
    }
    qsort(b, n, sizeof *b, cmp_blk);
    for (size_t i = 1; i < n; i++)
        CHECKF(b[i - 1].p + b[i - 1].usable <= b[i].p,
               "blocks overlap: %p (+%zu usable) and %p", (void *)b[i - 1].p, b[i - 1].usable,
               (void *)b[i].p);
    for (size_t i = 0; i < n; i++) t_free(b[i].p);
    raw_free(b, n * sizeof *b);
}

int main(void)
{
    t_init();

    /* every size 1..4096, twice each so that two blocks of a class are live */
    {
        size_t n = 2 * 4096;
        size_t *sizes = raw_alloc(n * sizeof *sizes);
        for (size_t i = 0; i < n; i++) sizes[i] = 1 + (i % 4096);
        alloc_fill_check(sizes, n);
        raw_free(sizes, n * sizeof *sizes);
    }

    /* geometric sweep up to 8 MiB */
    {
        size_t sizes[256], n = 0;
        for (size_t s = 2; s <= 8 * MiB; s *= 2) {
            sizes[n++] = s - 1;
            sizes[n++] = s;
            sizes[n++] = s + 1;
            sizes[n++] = s + s / 2;
        }
        alloc_fill_check(sizes, n);
        /* and once more: the same sizes from reused memory */
        alloc_fill_check(sizes, n);
    }

    /* random sizes, mostly small */
    {
        rng_t r;
        rng_seed(&r, 42);
        size_t n = 20000;
        size_t *sizes = raw_alloc(n * sizeof *sizes);
        for (size_t i = 0; i < n; i++)
            sizes[i] = (i % 100 == 0) ? rng_logsize(&r, 1, 4 * MiB + 4096) : rng_logsize(&r, 1, 2048);
        alloc_fill_check(sizes, n);
        alloc_fill_check(sizes, n);
        raw_free(sizes, n * sizeof *sizes);
    }

    /* malloc(0): unique (also among other live small blocks) and freeable */
    {
        enum { N = 1000 };
        blk_t z[2 * N];
        for (int i = 0; i < N; i++) {
            unsigned char *p = t_malloc(opaque_size(0));
            CHECKF(p != NULL, "malloc(0) returned NULL (#%d)", i);
            z[i] = (blk_t){p, 0, 0};
            unsigned char *q = t_malloc(1 + (size_t)i % 16);
            CHECK(q != NULL);
            z[N + i] = (blk_t){q, 1, 1};
        }
        qsort(z, 2 * N, sizeof z[0], cmp_blk);
        for (int i = 1; i < 2 * N; i++) CHECKF(z[i - 1].p != z[i].p, "pointer %p returned twice", (void *)z[i].p);
        for (int i = 0; i < 2 * N; i++) t_free(z[i].p);
        /* and again, now from reused memory */
        for (int i = 0; i < N; i++) {
            z[i].p = t_malloc(opaque_size(0));
            CHECK(z[i].p != NULL);
        }
        qsort(z, N, sizeof z[0], cmp_blk);
        for (int i = 1; i < N; i++) CHECKF(z[i - 1].p != z[i].p, "malloc(0) returned %p twice", (void *)z[i].p);
        for (int i = 0; i < N; i++) t_free(z[i].p);
    }

    /* free(NULL), usable_size(NULL) */
    t_free(NULL);
    CHECK(t_usable_size(NULL) == 0);

    printf("malloc_basic (%s): ok\n", T_VARIANT);
    return 0;
}
