/* sized_free — free_sized and free_aligned_sized really free.
 *
 *  - blocks of every size range (malloc, calloc, realloc'd) freed with
 *    free_sized(p, size as requested), and aligned_alloc blocks freed with
 *    free_aligned_sized(p, align, size), including sizes that are not a
 *    multiple of the alignment;
 *  - the memory is reused: 60 rounds that each allocate and touch ~48 MiB and
 *    release it through the sized frees must not make ward's committed memory
 *    (nor, outside sanitizers, the resident size) grow by more than 512 MiB —
 *    a sized free that did nothing would leak them all;
 *  - live neighbours keep their contents while their neighbours are freed.
 */
#include "api.h"

static size_t committed(void)
{
    ward_stats_t st;
    ward_stats_get(&st);
    return st.committed;
}

int main(void)
{
    t_init();
    rng_t r;
    rng_seed(&r, 17);

    enum { N = 3000 };
    void **p = raw_alloc(N * sizeof *p);
    size_t *sz = raw_alloc(N * sizeof *sz);
    size_t *al = raw_alloc(N * sizeof *al);

    /* a few live neighbours that must survive */
    enum { M = 200 };
    unsigned char *keep[M];
    for (int i = 0; i < M; i++) {
        keep[i] = t_malloc(1 + (size_t)i * 37);
        CHECK(keep[i] != NULL);
        pattern_fill(keep[i], 1 + (size_t)i * 37, block_seed(keep[i], 1));
    }

    size_t c0 = 0, r0 = 0;
    for (int round = 0; round < 60; round++) {
        size_t total = 0;
        for (int i = 0; i < N; i++) {
            unsigned k = (unsigned)rng_range(&r, 0, 99);
            size_t s = k < 85 ? rng_logsize(&r, 1, 2048) : k < 99 ? rng_logsize(&r, 2048, 128 * KiB)
                                                                 : rng_logsize(&r, 256 * KiB, 4 * MiB);
            al[i] = 0;
            switch (i % 5) {
            case 0: p[i] = t_calloc(1, s); break;
            case 1: {
                p[i] = t_malloc(s / 2 + 1);
                CHECK(p[i] != NULL);
                p[i] = t_realloc(p[i], s);
                break;
            }
            case 2:
                al[i] = (size_t)1 << rng_range(&r, 4, 13);
                p[i] = t_aligned_alloc(al[i], s);
                break;
            default: p[i] = t_malloc(s); break;
            }
            CHECKF(p[i] != NULL, "allocation of %zu failed", s);
            CHECK(al[i] == 0 || (uintptr_t)p[i] % al[i] == 0);
            sz[i] = s;
            memset(p[i], 0x3C, s);
            total += s;
        }
        if (round == 0) printf("one round allocates %zu MiB\n", total / MiB);
        for (int i = 0; i < N; i++) {
            if (al[i]) t_free_aligned_sized(p[i], al[i], sz[i]);
            else t_free_sized(p[i], sz[i]);
        }
        if (round == 4) {
            c0 = committed();
            r0 = rss_bytes();
        }
    }
    size_t c1 = committed(), r1 = rss_bytes();
    printf("committed %zu -> %zu MiB, rss %zu -> %zu MiB\n", c0 / MiB, c1 / MiB, r0 / MiB, r1 / MiB);
#ifndef WARD_TEST_SHIM
    CHECKF(c1 <= c0 + 512 * MiB, "committed memory grew from %zu to %zu MiB: sized frees do not free", c0 / MiB,
           c1 / MiB);
#endif
#ifndef WARD_TEST_SANITIZER
    CHECKF(r1 <= r0 + 512 * MiB, "resident size grew from %zu to %zu MiB: sized frees do not free", r0 / MiB,
           r1 / MiB);
#endif

    for (int i = 0; i < M; i++) {
        CHECK_PATTERN(keep[i], 1 + (size_t)i * 37, block_seed(keep[i], 1));
        t_free_sized(keep[i], 1 + (size_t)i * 37);
    }
    raw_free(p, N * sizeof *p);
    raw_free(sz, N * sizeof *sz);
    raw_free(al, N * sizeof *al);
    printf("sized_free (%s): ok\n", T_VARIANT);
    return 0;
}
