/* aligned — aligned_alloc, posix_memalign, memalign (and valloc, pvalloc).
 *
 *  - every power of two from sizeof(void*) up to 1 GiB, with sizes 1, 100,
 *    align - 1, align, align + 1 and 3/2 align, through each of the three
 *    functions: the result is aligned, usable_size >= size, and the block's
 *    ends (first and last 64 bytes of the usable size) can be written and read
 *    back;
 *  - alignments below sizeof(void*) (1, 2, 4) for aligned_alloc/memalign;
 *  - for alignments up to 64 KiB, many aligned blocks of random sizes live at
 *    once: filled with an address pattern, checked, and never overlapping;
 *  - aligned blocks freed with free, free_aligned_sized and realloc;
 *  - valloc and pvalloc (standard names only): page-aligned, and pvalloc
 *    rounds the size up to a whole page.
 * Bad alignments are tested in bad_input.
 */
#include "api.h"

enum { F_ALIGNED_ALLOC, F_POSIX_MEMALIGN, F_MEMALIGN, F_COUNT };
static const char *const fname[] = {"aligned_alloc", "posix_memalign", "memalign"};

static unsigned char *alloc_aligned(int f, size_t align, size_t size)
{
    void *p = NULL;
    switch (f) {
    case F_ALIGNED_ALLOC: p = t_aligned_alloc(opaque_size(align), opaque_size(size)); break;
    case F_MEMALIGN: p = t_memalign(opaque_size(align), opaque_size(size)); break;
    default: {
        int rc = t_posix_memalign(&p, opaque_size(align), opaque_size(size));
        CHECKF(rc == 0, "posix_memalign(%zu, %zu) returned %d", align, size, rc);
        break;
    }
    }
    CHECKF(p != NULL, "%s(%zu, %zu) returned NULL (errno %d)", fname[f], align, size, errno);
    CHECKF((uintptr_t)p % align == 0, "%s(%zu, %zu) = %p is misaligned", fname[f], align, size, p);
    CHECKF(t_usable_size(p) >= size, "usable_size(%s(%zu, %zu)) = %zu", fname[f], align, size, t_usable_size(p));
    return p;
}

/* Writes and reads back the first and last 64 bytes of the requested size and
 * of the usable size. */
static void write_ends(unsigned char *p, size_t size)
{
    size_t u = t_usable_size(p);
    uint64_t seed = block_seed(p, size);
    size_t ends[2] = {size, u};
    for (int k = 0; k < 2; k++) {
        size_t n = ends[k];
        size_t head = n < 64 ? n : 64;
        pattern_fill(p, head, seed);
        pattern_fill(p + n - head, head, seed);
        CHECK_PATTERN(p, head, seed);
        CHECK_PATTERN(p + n - head, head, seed);
    }
}

typedef struct {
    unsigned char *p;
    size_t size, usable;
} blk_t;

static int cmp_blk(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const blk_t *)a)->p, y = (uintptr_t)((const blk_t *)b)->p;
    return x < y ? -1 : x > y;
}

int main(void)
{
    t_init();

    /* every power of two up to 1 GiB, through each function */
    for (int f = 0; f < F_COUNT; f++) {
        for (size_t align = sizeof(void *); align <= 1 * GiB; align *= 2) {
            size_t sizes[] = {1, 100, align - 1, align, align + 1, align + align / 2};
            for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
                if (sizes[i] == 0) continue;
                unsigned char *p = alloc_aligned(f, align, sizes[i]);
                write_ends(p, sizes[i]);
                if (i % 2 == 0) t_free(p);
                else t_free_aligned_sized(p, align, sizes[i]);
            }
        }
    }

    /* small alignments, allowed for aligned_alloc and memalign */
    for (size_t align = 1; align < sizeof(void *); align *= 2) {
        for (size_t size = 1; size < 100; size += 7) {
            unsigned char *p = alloc_aligned(F_ALIGNED_ALLOC, align, size);
            write_ends(p, size);
            t_free(p);
            p = alloc_aligned(F_MEMALIGN, align, size);
            write_ends(p, size);
            t_free(p);
        }
    }

    /* many aligned blocks live at once */
    {
        rng_t r;
        rng_seed(&r, 3);
        enum { N = 64 };
        blk_t b[N];
        for (size_t align = 16; align <= 64 * KiB; align *= 2) {
            for (int f = 0; f < F_COUNT; f++) {
                for (int i = 0; i < N; i++) {
                    size_t s = rng_range(&r, 1, 4 * align);
                    if (i % 8 == 0) s = rng_range(&r, 1, 64);
                    b[i].p = alloc_aligned(f, align, s);
                    b[i].size = s;
                    b[i].usable = t_usable_size(b[i].p);
                    pattern_fill(b[i].p, b[i].usable, block_seed(b[i].p, s));
                    /* plain blocks in between, so aligned and unaligned blocks share pages */
                    void *x = t_malloc(rng_range(&r, 1, 256));
                    CHECK(x != NULL);
                    t_free(x);
                }
                for (int i = 0; i < N; i++) CHECK_PATTERN(b[i].p, b[i].usable, block_seed(b[i].p, b[i].size));
                qsort(b, N, sizeof b[0], cmp_blk);
                for (int i = 1; i < N; i++)
                    CHECKF(b[i - 1].p + b[i - 1].usable <= b[i].p, "aligned blocks overlap: %p+%zu and %p",
                           (void *)b[i - 1].p, b[i - 1].usable, (void *)b[i].p);
                for (int i = 0; i < N; i++) {
                    if (i % 3 == 0) t_free_aligned_sized(b[i].p, align, b[i].size);
                    else t_free(b[i].p);
                }
            }
        }
    }

#ifdef WARD_TEST_STD
    /* valloc / pvalloc */
    {
        size_t pg = page_size();
        size_t sizes[] = {1, 100, 4095, 4096, 4097, 65536, 100000, 1 * MiB + 1, 40 * MiB + 3};
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            size_t s = sizes[i];
            unsigned char *p = valloc(opaque_size(s));
            CHECKF(p != NULL, "valloc(%zu) returned NULL", s);
            CHECKF((uintptr_t)p % pg == 0, "valloc(%zu) = %p not page-aligned", s, (void *)p);
            CHECK(malloc_usable_size(p) >= s);
            write_ends(p, s);
            free(p);

            p = pvalloc(opaque_size(s));
            CHECKF(p != NULL, "pvalloc(%zu) returned NULL", s);
            CHECKF((uintptr_t)p % pg == 0, "pvalloc(%zu) = %p not page-aligned", s, (void *)p);
            size_t rounded = (s + pg - 1) / pg * pg;
            CHECKF(malloc_usable_size(p) >= rounded, "pvalloc(%zu): usable size %zu < %zu (size rounded to a page)",
                   s, malloc_usable_size(p), rounded);
            /* the whole rounded size is the caller's */
            pattern_fill(p, rounded, block_seed(p, rounded));
            CHECK_PATTERN(p, rounded, block_seed(p, rounded));
            free(p);
        }
        /* pvalloc(0): a page-aligned, freeable pointer */
        unsigned char *p = pvalloc(opaque_size(0));
        CHECK(p != NULL);
        CHECK((uintptr_t)p % pg == 0);
        free(p);
        /* valloc(0) is a unique freeable pointer */
        void *a = valloc(opaque_size(0)), *b = valloc(opaque_size(0));
        CHECK(a != NULL && b != NULL && a != b);
        free(a);
        free(b);
    }
#endif

    printf("aligned (%s): ok\n", T_VARIANT);
    return 0;
}
