/* realloc — contents survive growing and shrinking across every size range.
 *
 *  - a block grown step by step from 1 byte to 64 MiB keeps its contents at
 *    every step (checked on the whole old size), then shrunk back to 1 byte;
 *  - random realloc sequences over sizes 1..8 MiB on many live blocks at once
 *    (patterns checked, no overlap with the other live blocks);
 *  - realloc to the same size, to size +-1, realloc of aligned blocks;
 *  - realloc(NULL, n) behaves as malloc(n) (non-NULL, aligned, writable);
 *  - realloc(p, 0) frees p and returns NULL (glibc's behaviour);
 *  - reallocarray keeps contents the same way.
 * Failed reallocs (old block intact) are tested in bad_input.
 */
#include "api.h"

static unsigned char *check_realloc(unsigned char *p, size_t old_size, size_t new_size)
{
    unsigned char *q = t_realloc(p, new_size);
    CHECKF(q != NULL, "realloc(%p, %zu) from %zu returned NULL", (void *)p, new_size, old_size);
    CHECKF(new_size < 16 || (uintptr_t)q % 16 == 0, "realloc(.., %zu) = %p not 16-aligned", new_size, (void *)q);
    CHECKF(t_usable_size(q) >= new_size, "usable_size %zu < %zu after realloc", t_usable_size(q), new_size);
    return q;
}

/* Contents are filled with idx_fill (position-derived: realloc may move). */
static void check_idx(const unsigned char *p, size_t n, uint64_t seed, const char *what, size_t a, size_t b)
{
    size_t bad = idx_find_bad(p, n, seed);
    if (bad != SIZE_MAX) FAIL("%s %zu -> %zu: contents lost at offset %zu (0x%02x)", what, a, b, bad, p[bad]);
}

int main(void)
{
    t_init();

    /* step by step up to 64 MiB and back */
    {
        size_t steps[512], n = 0;
        for (size_t s = 1; s <= 64 * MiB; s = s < 64 ? s + 7 : s + s / 3 + 1) steps[n++] = s;
        steps[n++] = 64 * MiB;
        uint64_t seed = 1;
        unsigned char *p = t_malloc(steps[0]);
        CHECK(p != NULL);
        idx_fill(p, 0, steps[0], seed);
        for (size_t i = 1; i < n; i++) {
            p = check_realloc(p, steps[i - 1], steps[i]);
            check_idx(p, steps[i - 1], seed, "grow", steps[i - 1], steps[i]);
            idx_fill(p, steps[i - 1], steps[i], seed);
        }
        for (size_t i = n - 1; i > 0; i--) {
            p = check_realloc(p, steps[i], steps[i - 1]);
            check_idx(p, steps[i - 1], seed, "shrink", steps[i], steps[i - 1]);
        }
        t_free(p);
    }

    /* random sequences on many live blocks */
    {
        enum { N = 512 };
        unsigned char *p[N];
        size_t sz[N];
        uint64_t seed[N];
        rng_t r;
        rng_seed(&r, 99);
        for (int i = 0; i < N; i++) {
            sz[i] = rng_logsize(&r, 1, 4096);
            seed[i] = rng_next(&r);
            p[i] = t_malloc(sz[i]);
            CHECK(p[i] != NULL);
            idx_fill(p[i], 0, sz[i], seed[i]);
        }
        for (int it = 0; it < 20000; it++) {
            int i = (int)rng_range(&r, 0, N - 1);
            size_t ns;
            switch (rng_range(&r, 0, 9)) {
            case 0: ns = rng_logsize(&r, 1, 8 * MiB); break;          /* any range */
            case 1: ns = sz[i] + 1; break;                            /* by one */
            case 2: ns = sz[i] > 1 ? sz[i] - 1 : 1; break;
            case 3: ns = sz[i]; break;                                /* same size */
            case 4: ns = sz[i] * 2 + 1; break;                        /* double */
            case 5: ns = sz[i] / 2 + 1; break;                        /* halve */
            default: ns = rng_logsize(&r, 1, 2048); break;            /* mostly small */
            }
            if (ns > 8 * MiB) ns = 8 * MiB;
            unsigned char *q = check_realloc(p[i], sz[i], ns);
            check_idx(q, sz[i] < ns ? sz[i] : ns, seed[i], "random realloc", sz[i], ns);
            idx_fill(q, sz[i] < ns ? sz[i] : ns, ns, seed[i]);
            p[i] = q;
            sz[i] = ns;
            if (it % 4096 == 0)
                for (int j = 0; j < N; j++) check_idx(p[j], sz[j], seed[j], "live block after reallocs", sz[j], sz[j]);
        }
        for (int j = 0; j < N; j++) {
            check_idx(p[j], sz[j], seed[j], "live block at end", sz[j], sz[j]);
            t_free(p[j]);
        }
    }

    /* the whole usable size is kept, not only the requested size */
    for (size_t s = 1; s < 100000; s = s * 3 + 1) {
        unsigned char *p = t_malloc(s);
        CHECK(p != NULL);
        size_t u = t_usable_size(p);
        idx_fill(p, 0, u, 5);
        p = t_realloc(p, u + 100);
        CHECK(p != NULL);
        check_idx(p, u, 5, "realloc beyond usable size", u, u + 100);
        t_free(p);
    }

    /* realloc of aligned blocks keeps contents */
    for (size_t a = 32; a <= 1 * MiB; a *= 4) {
        unsigned char *p = t_aligned_alloc(a, 100);
        CHECK(p != NULL);
        idx_fill(p, 0, 100, a);
        p = t_realloc(p, 3 * a + 5);
        CHECK(p != NULL);
        check_idx(p, 100, a, "realloc of aligned block", 100, 3 * a + 5);
        idx_fill(p, 100, 3 * a + 5, a);
        p = t_realloc(p, 50);
        CHECK(p != NULL);
        check_idx(p, 50, a, "shrink of aligned block", 3 * a + 5, 50);
        t_free(p);
    }

    /* realloc(NULL, n) is malloc(n) */
    {
        size_t ns[] = {0, 1, 16, 100, 5000, 300000, 3 * MiB, 40 * MiB};
        for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
            unsigned char *p = t_realloc(opaque_ptr(NULL), ns[i]);
            CHECKF(p != NULL, "realloc(NULL, %zu) returned NULL", ns[i]);
            CHECKF(ns[i] < 16 || (uintptr_t)p % 16 == 0, "realloc(NULL, %zu) not aligned", ns[i]);
            CHECK(t_usable_size(p) >= ns[i]);
            memset(p, 0x5A, ns[i]);
            t_free(p);
        }
    }

    /* realloc(p, 0) frees p and returns NULL */
    {
        size_t ns[] = {1, 16, 100, 5000, 300000, 3 * MiB, 40 * MiB};
        for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
            for (int rep = 0; rep < 1000; rep++) {
                unsigned char *p = t_malloc(ns[i]);
                CHECK(p != NULL);
                p[0] = 1;
                void *q = t_realloc(p, opaque_size(0));
                CHECKF(q == NULL, "realloc(p, 0) for a block of %zu returned %p, not NULL", ns[i], q);
                if (ns[i] >= 1 * MiB && rep >= 20) break;
            }
        }
    }

    /* reallocarray */
    {
        unsigned char *p = t_reallocarray(opaque_ptr(NULL), 10, 10);
        CHECK(p != NULL);
        idx_fill(p, 0, 100, 11);
        p = t_reallocarray(p, 1000, 1000);
        CHECK(p != NULL);
        CHECK(t_usable_size(p) >= 1000000);
        check_idx(p, 100, 11, "reallocarray grow", 100, 1000000);
        idx_fill(p, 100, 1000000, 11);
        p = t_reallocarray(p, 3, 7);
        CHECK(p != NULL);
        check_idx(p, 21, 11, "reallocarray shrink", 1000000, 21);
        t_free(p);
    }

    printf("realloc (%s): ok\n", T_VARIANT);
    return 0;
}
