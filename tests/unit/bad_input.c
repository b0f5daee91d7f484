/* bad_input — requests that cannot be served get a defined answer.
 *
 *  - malloc / calloc / realloc(NULL, .) / aligned_alloc / memalign /
 *    posix_memalign / reallocarray of sizes that cannot fit (SIZE_MAX and the
 *    sizes just below it, where rounding up overflows; PTRDIFF_MAX, PTRDIFF_MAX+1;
 *    sizes beyond any address space) return NULL (or ENOMEM) with errno ENOMEM;
 *  - calloc and reallocarray with n * size overflowing (including products
 *    that wrap to 0 or to a small number) return NULL with errno ENOMEM;
 *  - a failed realloc / reallocarray leaves the old block intact (contents,
 *    usable size, still reallocatable and freeable), for small to huge blocks;
 *  - posix_memalign with an alignment that is not a power-of-two multiple of
 *    sizeof(void *) (0, 1, 2, 3, 4, 12, 24, 48, 100, ...) returns EINVAL and
 *    does not write *out;
 *  - aligned_alloc with a non-power-of-two alignment returns NULL with errno
 *    EINVAL; memalign, as glibc's, serves it (rounded up to a power of two,
 *    0..16 as malloc) unless it exceeds the largest power of two (EINVAL);
 *  - a power-of-two alignment too large to serve returns NULL / an error and
 *    *out untouched;
 *  - free(NULL), free_sized(NULL, n), free_aligned_sized(NULL, a, n) do nothing.
 * After all of this the allocator still works (a final round of allocations).
 */
#include "api.h"

#include <stdint.h>

static const size_t too_big[] = {
    SIZE_MAX,
    SIZE_MAX - 1,
    SIZE_MAX - 7,
    SIZE_MAX - 15,
    SIZE_MAX - 16,
    SIZE_MAX - 63,
    SIZE_MAX - 4095,
    SIZE_MAX - 4096,
    SIZE_MAX - 65535,
    SIZE_MAX - ((size_t)2 << 20) + 1,
    SIZE_MAX - ((size_t)64 << 20),
    SIZE_MAX - ((size_t)1 << 30),
    (size_t)PTRDIFF_MAX + 1,
    (size_t)PTRDIFF_MAX,
    (size_t)PTRDIFF_MAX - 4095,
    (size_t)1 << 62,
    (size_t)1 << 60,
    (size_t)1 << 57, /* beyond a 57-bit (5-level paging) address space */
};
#define NTOO_BIG (sizeof too_big / sizeof too_big[0])

#define EXPECT_ENOMEM(call, desc_fmt, ...)                                             \
    do {                                                                               \
        errno = 0;                                                                     \
        void *r_ = (call);                                                             \
        int e_ = errno;                                                                \
        CHECKF(r_ == NULL, desc_fmt " returned %p, expected NULL", __VA_ARGS__, r_);   \
        CHECKF(e_ == ENOMEM, desc_fmt ": errno %d (%s), expected ENOMEM", __VA_ARGS__, \
               e_, strerror(e_));                                                      \
    } while (0)

#define EXPECT_EINVAL(call, desc_fmt, ...)                                             \
    do {                                                                               \
        errno = 0;                                                                     \
        void *r_ = (call);                                                             \
        int e_ = errno;                                                                \
        CHECKF(r_ == NULL, desc_fmt " returned %p, expected NULL", __VA_ARGS__, r_);   \
        CHECKF(e_ == EINVAL, desc_fmt ": errno %d (%s), expected EINVAL", __VA_ARGS__, \
               e_, strerror(e_));                                                      \
    } while (0)

static void fill_idx(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(i * 131u + seed);
}
static void check_idx(const unsigned char *p, size_t n, unsigned seed, const char *what)
{
    for (size_t i = 0; i < n; i++)
        CHECKF(p[i] == (unsigned char)(i * 131u + seed), "%s: old block changed at offset %zu", what, i);
}

int main(void)
{
    t_init();
    void *const sentinel = (void *)(uintptr_t)0x5e57;

    /* ---- sizes that cannot be served -------------------------------- */
    for (size_t i = 0; i < NTOO_BIG; i++) {
        size_t s = opaque_size(too_big[i]);
        EXPECT_ENOMEM(t_malloc(s), "malloc(%zu)", s);
        EXPECT_ENOMEM(t_calloc(1, s), "calloc(1, %zu)", s);
        EXPECT_ENOMEM(t_calloc(s, 1), "calloc(%zu, 1)", s);
        EXPECT_ENOMEM(t_realloc(NULL, s), "realloc(NULL, %zu)", s);
        EXPECT_ENOMEM(t_reallocarray(NULL, 1, s), "reallocarray(NULL, 1, %zu)", s);
        size_t aligns[] = {sizeof(void *), 16, 64, 4096, 65536, 2 * MiB, 1 * GiB};
        for (size_t a = 0; a < sizeof aligns / sizeof aligns[0]; a++) {
            size_t al = opaque_size(aligns[a]);
            EXPECT_ENOMEM(t_aligned_alloc(al, s), "aligned_alloc(%zu, %zu)", al, s);
            EXPECT_ENOMEM(t_memalign(al, s), "memalign(%zu, %zu)", al, s);
            void *out = sentinel;
            errno = 0;
            int rc = t_posix_memalign(&out, al, s);
            CHECKF(rc == ENOMEM, "posix_memalign(%zu, %zu) returned %d, expected ENOMEM", al, s, rc);
            /* errno too, as glibc sets it (its tst-malloc-thread-fail checks) */
            CHECKF(errno == ENOMEM, "posix_memalign(%zu, %zu) failed with errno %d, expected ENOMEM", al, s, errno);
            CHECKF(out == sentinel, "posix_memalign(%zu, %zu) failed but wrote *out = %p", al, s, out);
        }
#ifdef WARD_TEST_STD
        EXPECT_ENOMEM(valloc(s), "valloc(%zu)", s);
        EXPECT_ENOMEM(pvalloc(s), "pvalloc(%zu)", s);
#endif
    }

    /* ---- n * size overflow -------------------------------------------- */
    {
        const size_t pairs[][2] = {
            {SIZE_MAX, 2},
            {2, SIZE_MAX},
            {SIZE_MAX, SIZE_MAX},
            {(size_t)1 << 32, (size_t)1 << 32},       /* wraps to exactly 0 */
            {((size_t)1 << 32) + 1, (size_t)1 << 32}, /* wraps to 2^32 */
            {(size_t)1 << 33, (size_t)1 << 31},       /* wraps to 0 */
            {SIZE_MAX / 16 + 1, 16},                  /* wraps to 0 */
            {16, SIZE_MAX / 16 + 1},
            {3, SIZE_MAX / 3 + 1},                    /* wraps to 2 */
            {SIZE_MAX / 3 + 1, 3},
            {(size_t)PTRDIFF_MAX, 3},
            {65537, SIZE_MAX / 65536},                /* wraps to a large value */
        };
        for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
            size_t n = opaque_size(pairs[i][0]), s = opaque_size(pairs[i][1]);
            EXPECT_ENOMEM(t_calloc(n, s), "calloc(%zu, %zu)", n, s);
            EXPECT_ENOMEM(t_reallocarray(NULL, n, s), "reallocarray(NULL, %zu, %zu)", n, s);
            unsigned char *p = t_malloc(100);
            CHECK(p != NULL);
            fill_idx(p, 100, 9);
            EXPECT_ENOMEM(t_reallocarray(p, n, s), "reallocarray(p, %zu, %zu)", n, s);
            check_idx(p, 100, 9, "after failed reallocarray");
            t_free(p);
        }
    }

    /* ---- failed realloc leaves the old block intact --------------------- */
    {
        const size_t olds[] = {1, 16, 100, 4000, 100000, 1 * MiB, 4 * MiB + 5, 64 * MiB};
        for (size_t i = 0; i < sizeof olds / sizeof olds[0]; i++) {
            size_t os = olds[i];
            unsigned char *p = t_malloc(os);
            CHECK(p != NULL);
            fill_idx(p, os, (unsigned)i);
            size_t u = t_usable_size(p);
            for (size_t j = 0; j < NTOO_BIG; j++) {
                size_t s = opaque_size(too_big[j]);
                EXPECT_ENOMEM(t_realloc(p, s), "realloc(block of %zu, %zu)", os, s);
                CHECKF(t_usable_size(p) == u, "usable size of %zu-byte block changed after failed realloc", os);
                if (j % 4 == 0) check_idx(p, os, (unsigned)i, "after failed realloc");
            }
            check_idx(p, os, (unsigned)i, "after failed reallocs");
            /* the block is still a normal block: grow it, then free it */
            p = t_realloc(p, os * 2);
            CHECK(p != NULL);
            check_idx(p, os, (unsigned)i, "realloc after failed realloc");
            t_free(p);
        }
    }

    /* ---- bad alignments ----------------------------------------------- */
    {
        /* not a power of two times sizeof(void *) */
        const size_t bad_pm[] = {0, 1, 2, 3, sizeof(void *) / 2, sizeof(void *) + 4, 12, 24, 48, 100,
                                 1000, 4097, ((size_t)1 << 20) + 8, 3 * sizeof(void *), SIZE_MAX,
                                 SIZE_MAX / 2, ((size_t)1 << 63) + 8};
        for (size_t i = 0; i < sizeof bad_pm / sizeof bad_pm[0]; i++) {
            size_t a = opaque_size(bad_pm[i]);
            if (is_pow2(a) && a % sizeof(void *) == 0) continue; /* (not on this platform) */
            size_t sizes[] = {0, 1, 100, 10000, 5 * MiB};
            for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
                void *out = sentinel;
                errno = 0;
                int rc = t_posix_memalign(&out, a, sizes[k]);
                CHECKF(rc == EINVAL, "posix_memalign(align %zu, %zu) returned %d, expected EINVAL", a, sizes[k], rc);
                CHECKF(out == sentinel, "posix_memalign(align %zu) failed but wrote *out = %p", a, out);
            }
        }
        /* not a power of two at all */
        const size_t bad_al[] = {0, 3, 5, 6, 7, 12, 24, 48, 100, 1000, 4097, 4095, ((size_t)1 << 20) + 8,
                                 SIZE_MAX, SIZE_MAX / 2, ((size_t)1 << 63) + 1};
        for (size_t i = 0; i < sizeof bad_al / sizeof bad_al[0]; i++) {
            size_t a = opaque_size(bad_al[i]);
            size_t sizes[] = {1, 100, 10000, 5 * MiB};
            for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
                EXPECT_EINVAL(t_aligned_alloc(a, sizes[k]), "aligned_alloc(%zu, %zu)", a, sizes[k]);
                /* memalign, as glibc's: up to 16 malloc, else rounded up
                 * to a power of two; beyond the largest one EINVAL */
                if (a > ((size_t)1 << 63)) {
                    EXPECT_EINVAL(t_memalign(a, sizes[k]), "memalign(%zu, %zu)", a, sizes[k]);
                    continue;
                }
                size_t want = 16;
                while (want < a) want *= 2;
                errno = 0;
                void *m = t_memalign(a, sizes[k]);
                if (want > ((size_t)1 << 40)) {
                    CHECKF(m == NULL && (errno == ENOMEM || errno == EINVAL), "memalign(%zu, %zu) = %p, errno %d: expected ENOMEM", a,
                           sizes[k], m, errno);
                    continue;
                }
                CHECKF(m != NULL && (uintptr_t)m % want == 0, "memalign(%zu, %zu) = %p: expected a block aligned to %zu",
                       a, sizes[k], m, want);
                memset(m, 0x5a, sizes[k]);
                t_free(m);
            }
        }
        /* valid power of two, but too large to serve: NULL and an error */
        const size_t huge_al[] = {(size_t)1 << 62, (size_t)1 << 63, (size_t)1 << 57};
        for (size_t i = 0; i < sizeof huge_al / sizeof huge_al[0]; i++) {
            size_t a = opaque_size(huge_al[i]);
            errno = 0;
            void *p = t_aligned_alloc(a, 16);
            CHECKF(p == NULL && (errno == ENOMEM || errno == EINVAL),
                   "aligned_alloc(%zu, 16) = %p, errno %d: expected NULL with ENOMEM or EINVAL", a, p, errno);
            errno = 0;
            p = t_memalign(a, 16);
            CHECKF(p == NULL && (errno == ENOMEM || errno == EINVAL),
                   "memalign(%zu, 16) = %p, errno %d: expected NULL with ENOMEM or EINVAL", a, p, errno);
            void *out = sentinel;
            int rc = t_posix_memalign(&out, a, 16);
            CHECKF(rc == ENOMEM || rc == EINVAL, "posix_memalign(%zu, 16) returned %d", a, rc);
            CHECKF(out == sentinel, "posix_memalign(%zu, 16) failed but wrote *out", a);
        }
    }

    /* ---- NULL frees ----------------------------------------------------- */
    errno = 4321;
    t_free(opaque_ptr(NULL));
    t_free_sized(opaque_ptr(NULL), 0);
    t_free_sized(opaque_ptr(NULL), 100);
    t_free_aligned_sized(opaque_ptr(NULL), 64, 128);
    CHECK_ERRNO(4321);

    /* ---- still works ----------------------------------------------------- */
    for (size_t s = 1; s <= 64 * MiB; s = s * 2 + 3) {
        unsigned char *p = t_malloc(s);
        CHECK(p != NULL);
        fill_idx(p, s < 4096 ? s : 4096, 1);
        unsigned char *q = t_calloc(1, s);
        CHECK(q != NULL);
        CHECK_ZERO(q, s < 4096 ? s : 4096);
        check_idx(p, s < 4096 ? s : 4096, 1, "final round");
        t_free(p);
        t_free(q);
    }

    printf("bad_input (%s): ok\n", T_VARIANT);
    return 0;
}
