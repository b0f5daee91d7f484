/* calloc — memory from calloc is zero, fresh or reused.
 *
 * For small, medium, large and huge sizes (up to 64 MiB), with the product
 * split several ways between n and size:
 *  - fresh calloc blocks are zero;
 *  - dirty reuse: blocks of the same sizes are malloc'd, filled with 0xAA over
 *    their whole usable size and freed; calloc of the same sizes must then give
 *    zero memory (whatever the allocator kept or cached);
 *  - immediate reuse: malloc, dirty, free, calloc of the same size in a loop
 *    (the LIFO case where the calloc block is the block just freed);
 *  - calloc(0, n) and calloc(n, 0) return unique freeable pointers;
 *  - calloc(1, 1 GiB) leaves the fresh mapping untouched (not resident).
 * Overflow of n * size is tested in bad_input.
 */
#include "api.h"

static const size_t sizes[] = {
    /* small */ 1, 7, 8, 15, 16, 17, 24, 32, 48, 64, 100, 128, 200, 256, 500, 512, 1000, 1024, 2000,
    /* medium */ 4096, 4097, 8000, 16384, 30000, 65536, 100000, 131072, 262144, 400000, 524288,
    /* large */ 1000000, 1048576, 2097152, 3000000, 4194304, 8388608, 16777216,
    /* huge */ 33554432, 50000000, 67108864,
};
#define NSIZES (sizeof sizes / sizeof sizes[0])


static void *do_calloc(size_t total, int split)
{
    /* split the product between the two arguments in different ways */
    size_t n = 1, s = total;
    if (split == 1) { n = total; s = 1; }
    if (split == 2 && total % 8 == 0) { n = total / 8; s = 8; }
    if (split == 3 && total % 4096 == 0) { n = 4096; s = total / 4096; }
    void *p = t_calloc(opaque_size(n), opaque_size(s));
    CHECKF(p != NULL, "calloc(%zu, %zu) returned NULL", n, s);
    CHECKF(total < 16 || (uintptr_t)p % 16 == 0, "calloc(%zu, %zu) = %p not 16-aligned", n, s, p);
    CHECKF(t_usable_size(p) >= total, "usable_size(calloc(%zu, %zu)) = %zu", n, s, t_usable_size(p));
    return p;
}

int main(void)
{
    t_init();
    enum { K = 8 }; /* blocks of each size live at once */
    void *blocks[NSIZES][K];

    /* fresh */
    for (size_t i = 0; i < NSIZES; i++) {
        size_t k = sizes[i] >= 16 * MiB ? 2 : K;
        for (size_t j = 0; j < k; j++) {
            blocks[i][j] = do_calloc(sizes[i], (int)(j % 4));
            CHECK_ZERO(blocks[i][j], sizes[i]);
        }
        for (size_t j = 0; j < k; j++) {
            memset(blocks[i][j], 0xAA, t_usable_size(blocks[i][j]));
            t_free(blocks[i][j]);
        }
    }

    /* dirty reuse: malloc all sizes, dirty them, free them, calloc them back */
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < NSIZES; i++) {
            size_t k = sizes[i] >= 16 * MiB ? 2 : K;
            for (size_t j = 0; j < k; j++) {
                blocks[i][j] = t_malloc(sizes[i]);
                CHECK(blocks[i][j] != NULL);
                memset(blocks[i][j], 0xAA, t_usable_size(blocks[i][j]));
            }
        }
        for (size_t i = 0; i < NSIZES; i++) {
            size_t k = sizes[i] >= 16 * MiB ? 2 : K;
            for (size_t j = 0; j < k; j++) t_free(blocks[i][j]);
        }
        for (size_t i = 0; i < NSIZES; i++) {
            size_t k = sizes[i] >= 16 * MiB ? 2 : K;
            for (size_t j = 0; j < k; j++) {
                blocks[i][j] = do_calloc(sizes[i], (int)((j + (size_t)round) % 4));
                CHECK_ZERO(blocks[i][j], sizes[i]);
                memset(blocks[i][j], 0xAA, t_usable_size(blocks[i][j]));
            }
        }
        for (size_t i = 0; i < NSIZES; i++) {
            size_t k = sizes[i] >= 16 * MiB ? 2 : K;
            for (size_t j = 0; j < k; j++) t_free(blocks[i][j]);
        }
    }

    /* immediate reuse, including sizes that differ a little from the freed one */
    for (size_t i = 0; i < NSIZES; i++) {
        for (int rep = 0; rep < 4; rep++) {
            unsigned char *p = t_malloc(sizes[i]);
            CHECK(p != NULL);
            memset(p, 0xAA, t_usable_size(p));
            t_free(p);
            size_t s = sizes[i] - (sizes[i] > 1 ? (size_t)rep % 2 : 0);
            void *q = do_calloc(s, rep);
            CHECK_ZERO(q, s);
            t_free(q);
        }
    }

    /* random mix of sizes with dirty frees in between */
    {
        rng_t r;
        rng_seed(&r, 7);
        enum { N = 4096 };
        void *live[N] = {0};
        for (int it = 0; it < 100000; it++) {
            size_t slot = rng_range(&r, 0, N - 1);
            if (live[slot]) {
                memset(live[slot], 0xAA, t_usable_size(live[slot]));
                t_free(live[slot]);
                live[slot] = NULL;
            }
            size_t s = (it % 500 == 0) ? rng_logsize(&r, 1, 4 * MiB) : rng_logsize(&r, 1, 8192);
            live[slot] = do_calloc(s, it % 4);
            CHECK_ZERO(live[slot], s);
        }
        for (int i = 0; i < N; i++) t_free(live[i]);
    }

    /* zero-sized */
    {
        void *a = t_calloc(opaque_size(0), opaque_size(16));
        void *b = t_calloc(opaque_size(16), opaque_size(0));
        void *c = t_calloc(opaque_size(0), opaque_size(0));
        CHECK(a != NULL && b != NULL && c != NULL);
        CHECK(a != b && b != c && a != c);
        t_free(a);
        t_free(b);
        t_free(c);
    }

    /* A calloc of 1 GiB (a fresh mapping, zero already) touches almost
     * none of it: the guard libraries wrote every byte. */
    {
        long before = (long)(rss_bytes() / 1024);
        size_t big = (size_t)1 << 30;
        unsigned char *p = t_calloc(opaque_size(1), opaque_size(big));
        CHECK(p != NULL);
        long after = (long)(rss_bytes() / 1024);
        CHECKF(after - before < 64 * 1024,
               "calloc(1, 1 GiB) made %ld KiB resident", after - before);
        CHECK(p[0] == 0 && p[big / 2] == 0 && p[big - 1] == 0);
        t_free(p);
    }

    printf("calloc (%s): ok\n", T_VARIANT);
    return 0;
}
