/* pool — object pools (ward_pool_*), one CTest case per argument.
 *
 *  objects    object sizes 1, 8, 24, 100, 4096 and 1 MiB at alignments 0
 *             (16), 1, 8, 64 and 4096: objects are aligned, distinct,
 *             writable over obj_size bytes without touching each other
 *             (address-derived patterns checked after all are written);
 *             ward_pool_object_size, ward_pool_live and ward_pool_reserved
 *             (>= live objects' bytes) agree; a 0-byte object size works;
 *  alignment  every power-of-two alignment 1..512 KiB (all accepted by
 *             ward_pool_new) gives objects aligned to it, for object sizes
 *             1, 24 and 100, which ward_pool_free accepts;
 *  reuse      a freed object is the next one handed out (LIFO); freeing all
 *             and allocating as many again gives back the same set of
 *             addresses and takes no new chunk (reserved unchanged);
 *  live       ward_pool_live follows a random sequence of 200000 allocs and
 *             frees exactly (against a model), contents of live objects kept;
 *  many       1 M objects of 24 bytes: all distinct and written; ward's
 *             committed memory grows by at least 24 MiB and, after
 *             ward_pool_destroy and ward_trim, falls back to within 16 MiB
 *             of where it started; chunks grow (fewer than 100 chunks);
 *  limits     obj_size 1 MiB + 1, SIZE_MAX, PTRDIFF_MAX give NULL + ENOMEM;
 *             a non-power-of-two alignment gives NULL + EINVAL; an
 *             alignment above 512 KiB gives NULL + ENOMEM; objects of 1 B,
 *             the alignment and 1 MiB at alignments 64..512 KiB are
 *             aligned, freed and reused; ward_pool_destroy(NULL) is
 *             ignored; obj_size exactly 1 MiB works.
 */
#include "api.h"

#include <stdint.h>

static size_t committed(void)
{
    ward_stats_t st;
    ward_stats_get(&st);
    return st.committed;
}

static int ptr_cmp(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
    return x < y ? -1 : x > y;
}

static void check_distinct(void **v, size_t n, size_t obj_size)
{
    qsort(v, n, sizeof *v, ptr_cmp);
    size_t span = obj_size ? obj_size : 1;
    for (size_t i = 1; i < n; i++)
        CHECKF((uintptr_t)v[i - 1] + span <= (uintptr_t)v[i], "pool objects %p and %p (%zu bytes) overlap", v[i - 1],
               v[i], obj_size);
}

/* ---- objects ---------------------------------------------------------------- */

static void objects(size_t size, size_t align)
{
    size_t n = size >= MiB ? 40 : size >= 4096 ? 2000 : 10000;
    void **v = raw_alloc(n * sizeof *v);
    ward_pool_t *p = ward_pool_new(size, align);
    CHECKF(p != NULL, "ward_pool_new(%zu, %zu) returned NULL", size, align);
    CHECK(ward_pool_object_size(p) == size);
    CHECK(ward_pool_live(p) == 0);
    size_t want = align ? align : 16;
    for (size_t i = 0; i < n; i++) {
        unsigned char *o = ward_pool_alloc(p);
        CHECKF(o != NULL, "ward_pool_alloc (size %zu, align %zu) returned NULL at object %zu", size, align, i);
        CHECKF((uintptr_t)o % want == 0, "pool object %p (size %zu) not %zu-aligned", (void *)o, size, want);
        pattern_fill(o, size, block_seed(o, size));
        v[i] = o;
        CHECK(ward_pool_live(p) == i + 1);
    }
    CHECKF(ward_pool_reserved(p) >= n * size, "reserved %zu for %zu objects of %zu bytes", ward_pool_reserved(p), n,
           size);
    for (size_t i = 0; i < n; i++) CHECK_PATTERN(v[i], size, block_seed(v[i], size));
    check_distinct(v, n, size);
    for (size_t i = 0; i < n; i += 2) ward_pool_free(p, v[i]);
    CHECK(ward_pool_live(p) == n / 2);
    for (size_t i = 1; i < n; i += 2) CHECK_PATTERN(v[i], size, block_seed(v[i], size));
    ward_pool_destroy(p);
    raw_free(v, n * sizeof *v);
}

static void test_objects(void)
{
    static const size_t sizes[] = {1, 8, 24, 100, 4096, MiB};
    static const size_t aligns[] = {0, 1, 8, 64, 4096};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (size_t j = 0; j < sizeof aligns / sizeof aligns[0]; j++) objects(sizes[i], aligns[j]);
    objects(0, 0);
}

/* ---- alignment -------------------------------------------------------------- */

static void test_alignment(void)
{
    static const size_t sizes[] = {1, 24, 100};
    int bad = 0;
    for (size_t si = 0; si < 3; si++) {
        for (size_t align = 1; align <= MiB / 2; align *= 2) {
            ward_pool_t *p = ward_pool_new(sizes[si], align);
            CHECKF(p != NULL, "ward_pool_new(%zu, %zu) returned NULL", sizes[si], align);
            int misaligned = 0;
            unsigned char *objs[20];
            for (int i = 0; i < 20; i++) {
                unsigned char *o = ward_pool_alloc(p);
                CHECK(o != NULL);
                memset(o, 1, sizes[si]);
                if ((uintptr_t)o % align != 0) misaligned++;
                objs[i] = o;
            }
            for (int i = 0; i < 20; i += 2) ward_pool_free(p, objs[i]); /* the pool's own objects: accepted */
            CHECK(ward_pool_live(p) == 10);
            if (misaligned) {
                fprintf(stderr, "ward_pool_new(%zu, %zu): %d of 20 objects misaligned\n", sizes[si], align,
                        misaligned);
                bad++;
            }
            ward_pool_destroy(p);
        }
    }
    CHECKF(bad == 0, "%d pools gave misaligned objects", bad);
}

/* ---- reuse ------------------------------------------------------------------ */

static void test_reuse(void)
{
    enum { N = 5000 };
    void **v = raw_alloc(N * sizeof *v);
    void **w = raw_alloc(N * sizeof *w);
    ward_pool_t *p = ward_pool_new(48, 0);
    CHECK(p != NULL);
    void *a = ward_pool_alloc(p), *b = ward_pool_alloc(p), *c = ward_pool_alloc(p);
    CHECK(a && b && c && a != b && b != c && a != c);
    ward_pool_free(p, b);
    CHECK(ward_pool_alloc(p) == b);
    ward_pool_free(p, a);
    ward_pool_free(p, c);
    CHECK(ward_pool_alloc(p) == c);
    CHECK(ward_pool_alloc(p) == a);
    for (int i = 0; i < N; i++) {
        v[i] = ward_pool_alloc(p);
        CHECK(v[i] != NULL);
    }
    size_t r = ward_pool_reserved(p);
    for (int i = 0; i < N; i++) ward_pool_free(p, v[(i * 7919) % N]); /* any order */
    CHECK(ward_pool_live(p) == 3);
    for (int i = 0; i < N; i++) {
        w[i] = ward_pool_alloc(p);
        CHECK(w[i] != NULL);
        memset(w[i], 0xEE, 48);
    }
    CHECKF(ward_pool_reserved(p) == r, "reserved grew from %zu to %zu re-allocating freed objects", r,
           ward_pool_reserved(p));
    qsort(v, N, sizeof *v, ptr_cmp);
    qsort(w, N, sizeof *w, ptr_cmp);
    for (int i = 0; i < N; i++) CHECKF(v[i] == w[i], "object %d: %p after free/alloc, %p before", i, w[i], v[i]);
    ward_pool_destroy(p);
    raw_free(v, N * sizeof *v);
    raw_free(w, N * sizeof *w);
}

/* ---- live ------------------------------------------------------------------- */

static void test_live(void)
{
    enum { CAP = 4096 };
    void **v = raw_alloc(CAP * sizeof *v);
    size_t n = 0;
    ward_pool_t *p = ward_pool_new(40, 8);
    CHECK(p != NULL);
    rng_t r;
    rng_seed(&r, 3);
    for (int step = 0; step < 200000; step++) {
        if (n < CAP && (n == 0 || rng_next(&r) % 100 < 52)) {
            unsigned char *o = ward_pool_alloc(p);
            CHECK(o != NULL);
            pattern_fill(o, 40, block_seed(o, 40));
            v[n++] = o;
        } else {
            size_t k = rng_range(&r, 0, n - 1);
            CHECK_PATTERN(v[k], 40, block_seed(v[k], 40));
            ward_pool_free(p, v[k]);
            v[k] = v[--n];
        }
        CHECKF(ward_pool_live(p) == n, "step %d: live %zu, expected %zu", step, ward_pool_live(p), n);
    }
    for (size_t i = 0; i < n; i++) CHECK_PATTERN(v[i], 40, block_seed(v[i], 40));
    ward_pool_destroy(p);
    raw_free(v, CAP * sizeof *v);
}

/* ---- many ------------------------------------------------------------------- */

static void test_many(void)
{
    enum { N = 1000000 };
    void **v = raw_alloc(N * sizeof *v);
    ward_trim();
    size_t c0 = committed();
    ward_pool_t *p = ward_pool_new(24, 0);
    CHECK(p != NULL);
    size_t chunks = 0, r = 0;
    for (int i = 0; i < N; i++) {
        uint64_t *o = ward_pool_alloc(p);
        CHECK(o != NULL);
        o[0] = (uint64_t)i;
        o[1] = ~(uint64_t)i;
        o[2] = (uint64_t)(uintptr_t)o;
        v[i] = o;
        if (ward_pool_reserved(p) != r) {
            r = ward_pool_reserved(p);
            chunks++;
        }
    }
    CHECK(ward_pool_live(p) == N);
    for (int i = 0; i < N; i++) {
        uint64_t *o = v[i];
        CHECKF(o[0] == (uint64_t)i && o[1] == ~(uint64_t)i && o[2] == (uint64_t)(uintptr_t)o,
               "object %d at %p overwritten", i, (void *)o);
    }
    check_distinct(v, N, 24);
    size_t c1 = committed();
    printf("many: %zu chunks, %zu MiB reserved; committed %zu -> %zu MiB\n", chunks, r / MiB, c0 / MiB, c1 / MiB);
    CHECKF(chunks < 100, "%zu chunks for 1M objects of 24 bytes: chunks do not grow", chunks);
    CHECKF(c1 >= c0 + 24 * MiB, "committed grew by %zu MiB only for 1M pool objects", (c1 - c0) / MiB);
    ward_pool_destroy(p);
    ward_trim();
    size_t c2 = committed();
    printf("many: committed %zu MiB after destroy and trim\n", c2 / MiB);
    CHECKF(c2 <= c0 + 16 * MiB, "committed %zu MiB after destroying a pool of 1M objects, %zu MiB before", c2 / MiB,
           c0 / MiB);
    /* and again: the same memory serves a new pool */
    p = ward_pool_new(24, 0);
    CHECK(p != NULL);
    for (int i = 0; i < N; i++) CHECK(ward_pool_alloc(p) != NULL);
    ward_pool_destroy(p);
    raw_free(v, N * sizeof *v);
}

/* ---- limits ------------------------------------------------------------------ */

#define EXPECT_NULL_ERRNO(call, err)                                                                   \
    do {                                                                                               \
        errno = 0;                                                                                     \
        void *r_ = (void *)(call);                                                                     \
        int e_ = errno;                                                                                \
        CHECKF(r_ == NULL, "%s returned %p, expected NULL", #call, r_);                                 \
        CHECKF(e_ == (err), "%s: errno %d (%s), expected %s", #call, e_, strerror(e_), #err);          \
    } while (0)

static void test_limits(void)
{
    EXPECT_NULL_ERRNO(ward_pool_new(opaque_size(MiB + 1), 0), ENOMEM);
    EXPECT_NULL_ERRNO(ward_pool_new(opaque_size(2 * MiB), 16), ENOMEM);
    EXPECT_NULL_ERRNO(ward_pool_new(opaque_size(SIZE_MAX), 0), ENOMEM);
    EXPECT_NULL_ERRNO(ward_pool_new(opaque_size((size_t)PTRDIFF_MAX), 0), ENOMEM);
    EXPECT_NULL_ERRNO(ward_pool_new(opaque_size((size_t)PTRDIFF_MAX + 1), 8), ENOMEM);
    static const size_t bad_align[] = {3, 5, 6, 12, 24, 48, 100, 4095, 4097, SIZE_MAX};
    for (size_t i = 0; i < sizeof bad_align / sizeof bad_align[0]; i++)
        EXPECT_NULL_ERRNO(ward_pool_new(24, opaque_size(bad_align[i])), EINVAL);
    errno = 0;
    CHECK(ward_pool_new(24, opaque_size(2 * MiB)) == NULL);
    CHECK(errno == ENOMEM || errno == EINVAL);
    /* Alignments up to 512 KiB, with objects up to 1 MiB: their chunks stay
     * inside segments, where ward_pool_free finds them (a 1 MiB alignment
     * used to give a pool whose own objects ward_pool_free refused). */
    EXPECT_NULL_ERRNO(ward_pool_new(opaque_size(MiB), opaque_size(MiB)), ENOMEM);
    EXPECT_NULL_ERRNO(ward_pool_new(16, opaque_size(MiB)), ENOMEM);
    for (size_t align = 64 << 10; align <= 512 << 10; align *= 2) {
        size_t sizes[] = {1, align, MiB};
        for (int k = 0; k < 3; k++) {
            ward_pool_t *ap = ward_pool_new(sizes[k], align);
            CHECKF(ap != NULL, "pool of %zu-byte objects aligned to %zu", sizes[k], align);
            unsigned char *objs[4];
            for (int i = 0; i < 4; i++) {
                objs[i] = ward_pool_alloc(ap);
                CHECK(objs[i] != NULL);
                CHECKF((uintptr_t)objs[i] % align == 0, "object %p not aligned to %zu", (void *)objs[i], align);
                memset(objs[i], i, sizes[k]);
            }
            for (int i = 0; i < 4; i++) ward_pool_free(ap, objs[i]);
            CHECK(ward_pool_live(ap) == 0);
            CHECK(ward_pool_alloc(ap) != NULL);
            ward_pool_destroy(ap);
        }
    }
    ward_pool_destroy(NULL);

    ward_pool_t *p = ward_pool_new(MiB, 0);
    CHECK(p != NULL);
    unsigned char *o[3];
    for (int i = 0; i < 3; i++) {
        o[i] = ward_pool_alloc(p);
        CHECK(o[i] != NULL);
        memset(o[i], i + 1, MiB);
    }
    for (int i = 0; i < 3; i++)
        for (size_t k = 0; k < MiB; k += 4093) CHECK(o[i][k] == i + 1);
    ward_pool_free(p, o[1]);
    CHECK(ward_pool_live(p) == 2);
    ward_pool_destroy(p);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } cases[] = {
        {"objects", test_objects}, {"alignment", test_alignment}, {"reuse", test_reuse},
        {"live", test_live},       {"many", test_many},           {"limits", test_limits},
    };
    t_init();
    int ran = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name) != 0) continue;
        cases[i].fn();
        printf("pool %s (%s): ok\n", cases[i].name, T_VARIANT);
        ran++;
    }
    CHECKF(ran > 0, "no case named %s", argv[1]);
    return 0;
}
