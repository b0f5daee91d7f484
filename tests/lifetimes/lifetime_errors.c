/* lifetime_errors — bad input to heaps, arenas and pools, checked through
 * ward's error report.
 *
 * Each misuse runs in a child process (this program re-executed with
 * `child NAME`, see child_run.c), twice:
 *  - with ward's default (abort): the child must die of SIGABRT, having
 *    written exactly one "ward: error: KIND of 0x..." line with the expected
 *    KIND, and nothing after the bad call may run;
 *  - with WARD_ON_ERROR=report in its environment (set before ward starts):
 *    the same single report, then the call returns NULL / 0 / -1 with errno
 *    EINVAL or does nothing, the child checks that the arena, pool or block
 *    involved is intact and still usable, and exits 0.
 *
 * Cases (CTest lifetime_errors.<case>):
 *  null_arena  every arena function given NULL (alloc, strdup, strndup,
 *              memdup, mark, rewind, defer, reset, used, reserved) and
 *              destroy/alloc given a non-arena (zeroed memory), alloc and
 *              destroy given a destroyed arena: "invalid arena";
 *  null_pool   every pool function given NULL (alloc, free, object_size,
 *              live, reserved), destroy given a non-pool, alloc (with
 *              objects on its free list) and destroy given a destroyed
 *              pool: "invalid pool";
 *  marks       a mark of another arena, of a destroyed arena, a zeroed mark:
 *              "invalid arena mark"; stale marks: an inner mark after an
 *              outer rewind, after that plus allocation past the mark's
 *              position, after a reset (also a mark at the very start), a
 *              mark in a chunk that an outer rewind released: "stale arena
 *              mark"; a rewind, reset or destroy from inside one of the
 *              arena's own cleanups: "invalid arena use";
 *  free_arena  free(), free_sized(), realloc() (to a bigger size, and to 0
 *              bytes, which frees) and ward_heap_realloc() of arena memory:
 *              in the first chunk, in a later chunk bigger than 2 MiB, a big
 *              block with its own chunk (500 KiB and 5 MiB): "invalid free" /
 *              "invalid realloc" ("invalid free" for realloc to 0); in
 *              report mode the arena's contents stay intact, it keeps
 *              allocating, and malloc never hands out arena memory;
 *  free_pool   free() and realloc() of pool objects (24 bytes and 1 MiB):
 *              "invalid free" / "invalid realloc"; in report mode the object
 *              is intact, still the pool's (ward_pool_free takes it back and
 *              it is the next one handed out) and malloc never returns it;
 *  pool_free   ward_pool_free of an object of another pool, of malloc blocks
 *              (small, medium, large, huge), of a heap block, of arena
 *              memory, and of a pointer inside one of the pool's own objects:
 *              "invalid pool free"; in report mode the pool's live count is
 *              unchanged, the block is intact and still freeable by its owner;
 *  args        in this process, no report allowed: non-power-of-two
 *              alignments give NULL + EINVAL; absurd sizes (SIZE_MAX,
 *              PTRDIFF_MAX, ...) and absurd alignments give NULL + ENOMEM;
 *              ward_arena_new(SIZE_MAX) gives NULL + ENOMEM; NULL strings and
 *              sources give NULL + EINVAL, a NULL cleanup -1 + EINVAL; the
 *              arena's figures are unchanged by failed calls; destroy(NULL)
 *              and ward_pool_free(p, NULL) do nothing; marks used correctly
 *              (same mark twice, outer after inner, a mark taken after a
 *              rewind) are not reported.
 */
#include "api.h"

#include <signal.h>
#include <stdint.h>

#include "child_run.c"

static int report_mode(void)
{
    const char *s = getenv("WARD_ON_ERROR");
    return s != NULL && strcmp(s, "report") == 0;
}

static _Alignas(64) unsigned char fake_handle[4096]; /* zeroed: neither an arena nor a pool */

/* An arena with some filled allocations, to check that it survives. */
typedef struct {
    ward_arena_t *a;
    unsigned char *p[64];
    size_t s[64];
    size_t used;
} filled_t;

static void fill_arena(filled_t *f, size_t chunk)
{
    f->a = ward_arena_new(chunk);
    CHECK(f->a != NULL);
    for (int i = 0; i < 64; i++) {
        f->s[i] = 1 + (size_t)i * 37;
        f->p[i] = ward_arena_alloc(f->a, f->s[i], 0);
        CHECK(f->p[i] != NULL);
        pattern_fill(f->p[i], f->s[i], block_seed(f->p[i], f->s[i]));
    }
    f->used = ward_arena_used(f->a);
}

static void check_arena(const filled_t *f)
{
    for (int i = 0; i < 64; i++) CHECK_PATTERN(f->p[i], f->s[i], block_seed(f->p[i], f->s[i]));
    CHECKF(ward_arena_used(f->a) == f->used, "arena used %zu, was %zu", ward_arena_used(f->a), f->used);
    unsigned char *q = ward_arena_alloc(f->a, 100, 0);
    CHECK(q != NULL);
    memset(q, 1, 100);
    for (int i = 0; i < 64; i++) CHECK_PATTERN(f->p[i], f->s[i], block_seed(f->p[i], f->s[i]));
}

/* malloc goes on working, and never hands out memory in [lo, hi). */
static void malloc_still_works(const void *lo, const void *hi)
{
    void *v[2000];
    for (int i = 0; i < 2000; i++) {
        size_t s = 1 + (size_t)(i * 13) % 4000;
        v[i] = t_malloc(s);
        CHECK(v[i] != NULL);
        CHECKF(!((uintptr_t)v[i] < (uintptr_t)hi && (uintptr_t)v[i] + s > (uintptr_t)lo),
               "malloc(%zu) returned %p, inside memory it does not own [%p, %p)", s, v[i], lo, hi);
        memset(v[i], 0x3C, s);
    }
    for (int i = 0; i < 2000; i++) t_free(v[i]);
}

#define EXPECT_FAIL_PTR(call, err)                                                                  \
    do {                                                                                            \
        errno = 0;                                                                                  \
        void *r_ = (void *)(call);                                                                  \
        int e_ = errno;                                                                             \
        CHECKF(r_ == NULL, "%s returned %p, expected NULL", #call, r_);                              \
        CHECKF(e_ == (err), "%s: errno %d (%s), expected %s", #call, e_, strerror(e_), #err);       \
    } while (0)

/* ======================================================================== */
/* null_arena                                                                 */

static void noop(void *arg) { (void)arg; }
static int called;
static void count_call(void *arg)
{
    (void)arg;
    called++;
}

static void n_arena_alloc(void)
{
    EXPECT_FAIL_PTR(ward_arena_alloc(opaque_ptr(NULL), 16, 0), EINVAL);
}
static void n_arena_alloc_big(void)
{
    EXPECT_FAIL_PTR(ward_arena_alloc(opaque_ptr(NULL), MiB, 64), EINVAL);
}
static void n_arena_alloc_zero(void)
{
    EXPECT_FAIL_PTR(ward_arena_alloc(opaque_ptr(NULL), 0, 0), EINVAL);
}
static void n_arena_strdup(void)
{
    EXPECT_FAIL_PTR(ward_arena_strdup(opaque_ptr(NULL), "text"), EINVAL);
}
static void n_arena_strndup(void)
{
    EXPECT_FAIL_PTR(ward_arena_strndup(opaque_ptr(NULL), "text", 2), EINVAL);
}
static void n_arena_memdup(void)
{
    static const char buf[8] = "1234567";
    EXPECT_FAIL_PTR(ward_arena_memdup(opaque_ptr(NULL), buf, 8), EINVAL);
}
static void n_arena_mark(void)
{
    ward_arena_mark_t m = ward_arena_mark(opaque_ptr(NULL));
    (void)m;
}
static void n_arena_rewind(void)
{
    filled_t f;
    fill_arena(&f, 0);
    ward_arena_mark_t m = ward_arena_mark(f.a);
    ward_arena_rewind(opaque_ptr(NULL), m);
    check_arena(&f);
    ward_arena_destroy(f.a);
}
static void n_arena_defer(void)
{
    errno = 0;
    CHECK(ward_arena_defer(opaque_ptr(NULL), count_call, NULL) == -1);
    CHECK_ERRNO(EINVAL);
    CHECK(called == 0);
}
static void n_arena_reset(void) { ward_arena_reset(opaque_ptr(NULL)); }
static void n_arena_used(void) { CHECK(ward_arena_used(opaque_ptr(NULL)) == 0); }
static void n_arena_reserved(void) { CHECK(ward_arena_reserved(opaque_ptr(NULL)) == 0); }
static void n_arena_destroy_fake(void) { ward_arena_destroy((ward_arena_t *)opaque_ptr(fake_handle)); }
static void n_arena_alloc_fake(void)
{
    EXPECT_FAIL_PTR(ward_arena_alloc((ward_arena_t *)opaque_ptr(fake_handle), 32, 0), EINVAL);
}
static void n_arena_mark_fake(void)
{
    ward_arena_mark_t m = ward_arena_mark((ward_arena_t *)opaque_ptr(fake_handle));
    (void)m;
}

/* ======================================================================== */
/* null_pool                                                                  */

static void n_pool_alloc(void) { EXPECT_FAIL_PTR(ward_pool_alloc(opaque_ptr(NULL)), EINVAL); }
static void n_pool_free(void)
{
    ward_pool_t *p = ward_pool_new(32, 0);
    CHECK(p != NULL);
    unsigned char *o = ward_pool_alloc(p);
    CHECK(o != NULL);
    pattern_fill(o, 32, 5);
    ward_pool_free(opaque_ptr(NULL), o);
    CHECK_PATTERN(o, 32, 5);
    CHECK(ward_pool_live(p) == 1);
    ward_pool_free(p, o);
    CHECK(ward_pool_live(p) == 0);
    ward_pool_destroy(p);
}
static void n_pool_object_size(void) { CHECK(ward_pool_object_size(opaque_ptr(NULL)) == 0); }
static void n_pool_live(void) { CHECK(ward_pool_live(opaque_ptr(NULL)) == 0); }
static void n_pool_reserved(void) { CHECK(ward_pool_reserved(opaque_ptr(NULL)) == 0); }
static void n_pool_destroy_fake(void) { ward_pool_destroy((ward_pool_t *)opaque_ptr(fake_handle)); }
static void n_pool_live_fake(void) { CHECK(ward_pool_live((ward_pool_t *)opaque_ptr(fake_handle)) == 0); }

/* Destroyed handles: kept dead for a while (not freed at once), so that a
 * call on one is reported; the arena's alloc goes through the header's
 * inline path first (it once bumped a stale cursor into a released chunk,
 * in hardened mode, or returned NULL unreported), the pool's alloc had a
 * free list (it once handed out an object of a released chunk). */
static void d_arena_alloc_destroyed(void)
{
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    CHECK(ward_arena_alloc(a, 100, 0) != NULL);
    ward_arena_destroy(a);
    EXPECT_FAIL_PTR(ward_arena_alloc((ward_arena_t *)opaque_ptr(a), 32, 0), EINVAL);
}
static void d_arena_destroy_twice(void)
{
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    ward_arena_destroy(a);
    ward_arena_destroy((ward_arena_t *)opaque_ptr(a));
}
static void d_pool_alloc_destroyed(void)
{
    ward_pool_t *p = ward_pool_new(120, 0);
    CHECK(p != NULL);
    void *o[3];
    for (int i = 0; i < 3; i++) CHECK((o[i] = ward_pool_alloc(p)) != NULL);
    ward_pool_free(p, o[1]);
    ward_pool_destroy(p);
    EXPECT_FAIL_PTR(ward_pool_alloc((ward_pool_t *)opaque_ptr(p)), EINVAL);
}
static void d_pool_destroy_twice(void)
{
    ward_pool_t *p = ward_pool_new(24, 0);
    CHECK(p != NULL);
    ward_pool_destroy(p);
    ward_pool_destroy((ward_pool_t *)opaque_ptr(p));
}

/* ======================================================================== */
/* marks                                                                      */

static void m_other_arena(void)
{
    filled_t f, g;
    fill_arena(&f, 0);
    fill_arena(&g, 0);
    ward_arena_mark_t mg = ward_arena_mark(g.a);
    CHECK(ward_arena_alloc(g.a, 1000, 0) != NULL);
    ward_arena_rewind(f.a, mg);
    check_arena(&f);
    ward_arena_rewind(g.a, mg); /* the mark still works for its own arena */
    check_arena(&g);
    ward_arena_destroy(f.a);
    ward_arena_destroy(g.a);
}
static void m_destroyed_arena(void)
{
    filled_t f;
    fill_arena(&f, 0);
    ward_arena_t *b = ward_arena_new(0);
    CHECK(b != NULL);
    CHECK(ward_arena_alloc(b, 10, 0) != NULL);
    ward_arena_mark_t mb = ward_arena_mark(b);
    ward_arena_destroy(b);
    ward_arena_rewind(f.a, mb);
    check_arena(&f);
    ward_arena_destroy(f.a);
}
static void m_zero_mark(void)
{
    filled_t f;
    fill_arena(&f, 0);
    ward_arena_mark_t z;
    memset(&z, 0, sizeof z);
    ward_arena_rewind(f.a, z);
    check_arena(&f);
    ward_arena_destroy(f.a);
}

/* m1 ... m2 ... ; rewind(m1); [then `after` bytes]; rewind(m2) */
static void stale_inner(size_t between, size_t after)
{
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    CHECK(ward_arena_alloc(a, 100, 0) != NULL);
    ward_arena_mark_t m1 = ward_arena_mark(a);
    CHECK(ward_arena_defer(a, count_call, NULL) == 0);
    for (size_t d = 0; d < between; d += 1000) CHECK(ward_arena_alloc(a, 1000, 0) != NULL);
    ward_arena_mark_t m2 = ward_arena_mark(a);
    CHECK(ward_arena_alloc(a, 5000, 0) != NULL);
    ward_arena_rewind(a, m1);
    CHECK(called == 1);
    unsigned char **kept = raw_alloc((after / 1000 + 1) * sizeof *kept);
    size_t nk = 0;
    for (size_t d = 0; d < after; d += 1000) {
        kept[nk] = ward_arena_alloc(a, 1000, 0);
        CHECK(kept[nk] != NULL);
        pattern_fill(kept[nk], 1000, block_seed(kept[nk], 1000));
        nk++;
    }
    size_t used = ward_arena_used(a);
    ward_arena_rewind(a, m2); /* stale */
    CHECK(called == 1);
    CHECKF(ward_arena_used(a) == used, "a stale rewind changed used from %zu to %zu", used, ward_arena_used(a));
    for (size_t i = 0; i < nk; i++) CHECK_PATTERN(kept[i], 1000, block_seed(kept[i], 1000));
    unsigned char *q = ward_arena_alloc(a, 64, 0);
    CHECK(q != NULL);
    for (size_t i = 0; i < nk; i++) CHECK(q + 64 <= kept[i] || q >= kept[i] + 1000);
    ward_arena_rewind(a, m1); /* the outer mark is still good */
    CHECK(ward_arena_used(a) == 100);
    ward_arena_destroy(a);
}
static void m_stale_inner(void) { stale_inner(3000, 0); }
static void m_stale_realloc(void) { stale_inner(3000, 20000); }
static void m_stale_chunk(void) { stale_inner(500 * KiB, 3 * MiB); }

static void m_stale_reset(void)
{
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    CHECK(ward_arena_alloc(a, 300, 0) != NULL);
    ward_arena_mark_t m = ward_arena_mark(a);
    CHECK(ward_arena_alloc(a, 300, 0) != NULL);
    ward_arena_reset(a);
    unsigned char *p = ward_arena_alloc(a, 2000, 0);
    CHECK(p != NULL);
    pattern_fill(p, 2000, 8);
    size_t used = ward_arena_used(a);
    ward_arena_rewind(a, m);
    CHECK(ward_arena_used(a) == used);
    CHECK_PATTERN(p, 2000, 8);
    ward_arena_destroy(a);
}
static void m_stale_reset_start(void)
{
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    ward_arena_mark_t m = ward_arena_mark(a); /* at the very start */
    CHECK(ward_arena_alloc(a, 300, 0) != NULL);
    ward_arena_reset(a);
    ward_arena_rewind(a, m);
    ward_arena_destroy(a);
}

static ward_arena_t *in_cleanup_arena;
static ward_arena_mark_t in_cleanup_mark;
static int in_cleanup_what;
static void misbehaving_cleanup(void *arg)
{
    (void)arg;
    if (in_cleanup_what == 0) ward_arena_rewind(in_cleanup_arena, in_cleanup_mark);
    else if (in_cleanup_what == 1) ward_arena_reset(in_cleanup_arena);
    else ward_arena_destroy(in_cleanup_arena);
    called++;
}
static void cleanup_misuse(int what)
{
    in_cleanup_what = what;
    ward_arena_t *a = in_cleanup_arena = ward_arena_new(0);
    CHECK(a != NULL);
    in_cleanup_mark = ward_arena_mark(a);
    CHECK(ward_arena_defer(a, count_call, NULL) == 0);
    ward_arena_mark_t m = ward_arena_mark(a);
    CHECK(ward_arena_defer(a, misbehaving_cleanup, NULL) == 0);
    ward_arena_rewind(a, m); /* runs the cleanup, which misbehaves */
    CHECK(called == 1);      /* only misbehaving_cleanup ran */
    CHECK(ward_arena_alloc(a, 10, 0) != NULL);
    ward_arena_destroy(a); /* runs count_call */
    CHECK(called == 2);
}
static void m_rewind_in_cleanup(void) { cleanup_misuse(0); }
static void m_reset_in_cleanup(void) { cleanup_misuse(1); }
static void m_destroy_in_cleanup(void) { cleanup_misuse(2); }

/* ======================================================================== */
/* free_arena                                                                 */

typedef enum { DO_FREE, DO_FREE_SIZED, DO_REALLOC, DO_REALLOC0, DO_HEAP_REALLOC } misuse_t;

static void misuse_block(misuse_t how, void *p, size_t size)
{
    errno = 0;
    switch (how) {
    case DO_FREE: t_free(p); break;
    case DO_FREE_SIZED: t_free_sized(p, size); break;
    case DO_REALLOC: {
        void *r = t_realloc(p, size * 2 + 200);
        CHECKF(r == NULL, "realloc of memory it does not own returned %p", r);
        CHECK_ERRNO(EINVAL);
        break;
    }
    case DO_REALLOC0: {
        void *r = t_realloc(p, opaque_size(0));
        CHECK(r == NULL);
        break;
    }
    case DO_HEAP_REALLOC: {
        ward_heap_t *h = ward_heap_new();
        CHECK(h != NULL);
        void *r = ward_heap_realloc(h, p, size + 100);
        CHECKF(r == NULL, "ward_heap_realloc of memory it does not own returned %p", r);
        CHECK_ERRNO(EINVAL);
        ward_heap_destroy(h);
        break;
    }
    }
}

/* where: 0 first chunk, 1 a later chunk > 2 MiB, 2 a 500 KiB big block, 3 a 5 MiB big block */
static void free_arena(misuse_t how, int where)
{
    filled_t f;
    fill_arena(&f, 0);
    size_t s = 256;
    if (where == 1) {
        for (size_t d = 0; d < 8 * MiB; d += 4000) CHECK(ward_arena_alloc(f.a, 4000, 0) != NULL);
        CHECK(ward_arena_reserved(f.a) > 8 * MiB);
    }
    if (where == 2) s = 500 * KiB;
    if (where == 3) s = 5 * MiB;
    unsigned char *p = ward_arena_alloc(f.a, s, 0);
    CHECK(p != NULL);
    pattern_fill(p, s, 21);
    f.used = ward_arena_used(f.a);
    misuse_block(how, p, s);
    CHECK_PATTERN(p, s, 21);
    check_arena(&f);
    f.used = ward_arena_used(f.a);
    malloc_still_works(p, p + s);
    CHECK_PATTERN(p, s, 21);
    check_arena(&f);
    ward_arena_destroy(f.a);
}
static void fa_free(void) { free_arena(DO_FREE, 0); }
static void fa_free_later_chunk(void) { free_arena(DO_FREE, 1); }
static void fa_free_big(void) { free_arena(DO_FREE, 2); }
static void fa_free_huge(void) { free_arena(DO_FREE, 3); }
static void fa_free_sized(void) { free_arena(DO_FREE_SIZED, 0); }
static void fa_realloc(void) { free_arena(DO_REALLOC, 0); }
static void fa_realloc_later_chunk(void) { free_arena(DO_REALLOC, 1); }
static void fa_realloc_huge(void) { free_arena(DO_REALLOC, 3); }
static void fa_realloc0(void) { free_arena(DO_REALLOC0, 0); }
static void fa_heap_realloc(void) { free_arena(DO_HEAP_REALLOC, 0); }

/* ======================================================================== */
/* free_pool                                                                  */

static void free_pool(misuse_t how, size_t obj)
{
    ward_pool_t *p = ward_pool_new(obj, 0);
    CHECK(p != NULL);
    unsigned char *o[4];
    for (int i = 0; i < 4; i++) {
        o[i] = ward_pool_alloc(p);
        CHECK(o[i] != NULL);
        pattern_fill(o[i], obj, block_seed(o[i], obj));
    }
    misuse_block(how, o[2], obj);
    for (int i = 0; i < 4; i++) CHECK_PATTERN(o[i], obj, block_seed(o[i], obj));
    CHECK(ward_pool_live(p) == 4);
    malloc_still_works(o[2], o[2] + obj);
    for (int i = 0; i < 4; i++) CHECK_PATTERN(o[i], obj, block_seed(o[i], obj));
    ward_pool_free(p, o[2]); /* still the pool's object */
    CHECK(ward_pool_live(p) == 3);
    CHECK(ward_pool_alloc(p) == o[2]);
    ward_pool_destroy(p);
}
static void fp_free(void) { free_pool(DO_FREE, 24); }
static void fp_free_big(void) { free_pool(DO_FREE, MiB); }
static void fp_realloc(void) { free_pool(DO_REALLOC, 24); }
static void fp_realloc_big(void) { free_pool(DO_REALLOC, MiB); }

/* ======================================================================== */
/* pool_free                                                                  */

static void pool_free_foreign(void *block, size_t size)
{
    ward_pool_t *p = ward_pool_new(64, 0);
    CHECK(p != NULL);
    unsigned char *mine = ward_pool_alloc(p);
    CHECK(mine != NULL);
    pattern_fill(mine, 64, 3);
    pattern_fill(block, size, 4);
    ward_pool_free(p, block);
    CHECK(ward_pool_live(p) == 1);
    CHECK_PATTERN(block, size, 4);
    CHECK_PATTERN(mine, 64, 3);
    for (int i = 0; i < 100; i++) {
        unsigned char *o = ward_pool_alloc(p);
        CHECKF(o != block, "the pool handed out %p, which was refused by ward_pool_free", (void *)o);
        memset(o, 0x77, 64);
    }
    CHECK_PATTERN(block, size, 4);
    ward_pool_destroy(p);
}
static void pf_other_pool(void)
{
    ward_pool_t *q = ward_pool_new(64, 0);
    CHECK(q != NULL);
    unsigned char *o = ward_pool_alloc(q);
    CHECK(o != NULL);
    pool_free_foreign(o, 64);
    CHECK(ward_pool_live(q) == 1);
    ward_pool_free(q, o);
    CHECK(ward_pool_live(q) == 0);
    ward_pool_destroy(q);
}
static void pf_malloc(size_t size)
{
    void *m = t_malloc(size);
    CHECK(m != NULL);
    pool_free_foreign(m, size);
    t_free(m);
}
static void pf_malloc_small(void) { pf_malloc(64); }
static void pf_malloc_medium(void) { pf_malloc(20000); }
static void pf_malloc_large(void) { pf_malloc(500 * KiB); }
static void pf_malloc_huge(void) { pf_malloc(10 * MiB); }
static void pf_heap_block(void)
{
    ward_heap_t *h = ward_heap_new();
    CHECK(h != NULL);
    void *b = ward_heap_malloc(h, 64);
    CHECK(b != NULL);
    pool_free_foreign(b, 64);
    ward_free(b);
    ward_heap_destroy(h);
}
static void pf_arena(void)
{
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    void *b = ward_arena_alloc(a, 64, 0);
    CHECK(b != NULL);
    pool_free_foreign(b, 64);
    ward_arena_destroy(a);
}
static void pf_interior(void)
{
    ward_pool_t *p = ward_pool_new(64, 0);
    CHECK(p != NULL);
    unsigned char *o = ward_pool_alloc(p);
    CHECK(o != NULL);
    pattern_fill(o, 64, 6);
    ward_pool_free(p, o + 16); /* not an object: inside one */
    CHECK(ward_pool_live(p) == 1);
    for (int i = 0; i < 10; i++) {
        unsigned char *q = ward_pool_alloc(p);
        CHECKF(q + 64 <= o || q >= o + 64, "the pool handed out %p, overlapping the live object %p", (void *)q,
               (void *)o);
    }
    CHECK_PATTERN(o, 64, 6);
    ward_pool_destroy(p);
}

/* ======================================================================== */
/* the table                                                                  */

typedef struct {
    const char *group;
    const char *name;
    void (*fn)(void);
    const char *expect; /* the report line starts with this */
} scenario_t;

#define S(g, n, e) {g, #n, n, e}
static const scenario_t scenarios[] = {
    S("null_arena", n_arena_alloc, "ward: error: invalid arena of "),
    S("null_arena", n_arena_alloc_big, "ward: error: invalid arena of "),
    S("null_arena", n_arena_alloc_zero, "ward: error: invalid arena of "),
    S("null_arena", n_arena_strdup, "ward: error: invalid arena of "),
    S("null_arena", n_arena_strndup, "ward: error: invalid arena of "),
    S("null_arena", n_arena_memdup, "ward: error: invalid arena of "),
    S("null_arena", n_arena_mark, "ward: error: invalid arena of "),
    S("null_arena", n_arena_rewind, "ward: error: invalid arena of "),
    S("null_arena", n_arena_defer, "ward: error: invalid arena of "),
    S("null_arena", n_arena_reset, "ward: error: invalid arena of "),
    S("null_arena", n_arena_used, "ward: error: invalid arena of "),
    S("null_arena", n_arena_reserved, "ward: error: invalid arena of "),
    S("null_arena", n_arena_destroy_fake, "ward: error: invalid arena of "),
    S("null_arena", n_arena_alloc_fake, "ward: error: invalid arena of "),
    S("null_arena", n_arena_mark_fake, "ward: error: invalid arena of "),
    S("null_pool", n_pool_alloc, "ward: error: invalid pool of "),
    S("null_pool", n_pool_free, "ward: error: invalid pool of "),
    S("null_pool", n_pool_object_size, "ward: error: invalid pool of "),
    S("null_pool", n_pool_live, "ward: error: invalid pool of "),
    S("null_pool", n_pool_reserved, "ward: error: invalid pool of "),
    S("null_pool", n_pool_destroy_fake, "ward: error: invalid pool of "),
    S("null_pool", n_pool_live_fake, "ward: error: invalid pool of "),
    S("null_arena", d_arena_alloc_destroyed, "ward: error: invalid arena of "),
    S("null_arena", d_arena_destroy_twice, "ward: error: invalid arena of "),
    S("null_pool", d_pool_alloc_destroyed, "ward: error: invalid pool of "),
    S("null_pool", d_pool_destroy_twice, "ward: error: invalid pool of "),
    S("marks", m_other_arena, "ward: error: invalid arena mark of "),
    S("marks", m_destroyed_arena, "ward: error: invalid arena mark of "),
    S("marks", m_zero_mark, "ward: error: invalid arena mark of "),
    S("marks", m_stale_inner, "ward: error: stale arena mark of "),
    S("marks", m_stale_realloc, "ward: error: stale arena mark of "),
    S("marks", m_stale_chunk, "ward: error: stale arena mark of "),
    S("marks", m_stale_reset, "ward: error: stale arena mark of "),
    S("marks", m_stale_reset_start, "ward: error: stale arena mark of "),
    S("marks", m_rewind_in_cleanup, "ward: error: invalid arena use of "),
    S("marks", m_reset_in_cleanup, "ward: error: invalid arena use of "),
    S("marks", m_destroy_in_cleanup, "ward: error: invalid arena use of "),
    S("free_arena", fa_free, "ward: error: invalid free of "),
    S("free_arena", fa_free_later_chunk, "ward: error: invalid free of "),
    S("free_arena", fa_free_big, "ward: error: invalid free of "),
    S("free_arena", fa_free_huge, "ward: error: invalid free of "),
    S("free_arena", fa_free_sized, "ward: error: invalid free of "),
    S("free_arena", fa_realloc, "ward: error: invalid realloc of "),
    S("free_arena", fa_realloc_later_chunk, "ward: error: invalid realloc of "),
    S("free_arena", fa_realloc_huge, "ward: error: invalid realloc of "),
    S("free_arena", fa_realloc0, "ward: error: invalid free of "), /* realloc(p, 0) frees */
    S("free_arena", fa_heap_realloc, "ward: error: invalid realloc of "),
    S("free_pool", fp_free, "ward: error: invalid free of "),
    S("free_pool", fp_free_big, "ward: error: invalid free of "),
    S("free_pool", fp_realloc, "ward: error: invalid realloc of "),
    S("free_pool", fp_realloc_big, "ward: error: invalid realloc of "),
    S("pool_free", pf_other_pool, "ward: error: invalid pool free of "),
    S("pool_free", pf_malloc_small, "ward: error: invalid pool free of "),
    S("pool_free", pf_malloc_medium, "ward: error: invalid pool free of "),
    S("pool_free", pf_malloc_large, "ward: error: invalid pool free of "),
    S("pool_free", pf_malloc_huge, "ward: error: invalid pool free of "),
    S("pool_free", pf_heap_block, "ward: error: invalid pool free of "),
    S("pool_free", pf_arena, "ward: error: invalid pool free of "),
    S("pool_free", pf_interior, "ward: error: invalid pool free of "),
};
#define NSCEN (sizeof scenarios / sizeof scenarios[0])

static const char survived[] = "lifetime_errors: child carried on";

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *s = strstr(hay, needle); s != NULL; s = strstr(s + 1, needle)) n++;
    return n;
}

/* Returns 1 if the scenario behaved, else prints why and returns 0. */
static int check_scenario(const scenario_t *sc, int report)
{
    static child_result_t r; /* big */
    const char *args[] = {"child", sc->name, NULL};
    const char *env_report[] = {"WARD_ON_ERROR=report", NULL};
    run_child(&r, NULL, args, report ? env_report : NULL);
    char how[128];
    describe_child(&r, how, sizeof how);
    const char *mode = report ? "WARD_ON_ERROR=report" : "default (abort)";
    const char *why = NULL;
    size_t reports = count_of(r.out, "ward: error: ");
    if (strstr(r.out, sc->expect) == NULL) why = "the expected report is missing";
    else if (reports != 1) why = "not exactly one report";
    else if (!report && !(r.signaled && r.sig == SIGABRT)) why = "the child did not die of SIGABRT";
    else if (!report && strstr(r.out, survived) != NULL) why = "the child went on after the report";
    else if (report && !(r.exited && r.code == 0)) why = "the child did not carry on and exit 0";
    else if (report && strstr(r.out, survived) == NULL) why = "the child did not reach its end";
    if (why == NULL) return 1;
    fprintf(stderr, "FAIL %s [%s]: %s (expected \"%s...\"; child %s; %zu reports). Child output:\n%s\n----\n",
            sc->name, mode, why, sc->expect, how, reports, r.out);
    return 0;
}

/* ======================================================================== */
/* args: in this process                                                      */

static void test_args(void)
{
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    unsigned char *keep = ward_arena_alloc(a, 100, 0);
    CHECK(keep != NULL);
    pattern_fill(keep, 100, 1);
    size_t used = ward_arena_used(a), reserved = ward_arena_reserved(a);

    static const size_t bad_align[] = {3, 5, 6, 7, 12, 24, 48, 100, 1000, 4095, 4097, 65537, SIZE_MAX,
                                       ((size_t)1 << 63) | 1};
    static const size_t sizes[] = {0, 1, 16, 4096, MiB};
    for (size_t i = 0; i < sizeof bad_align / sizeof bad_align[0]; i++)
        for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++)
            EXPECT_FAIL_PTR(ward_arena_alloc(a, opaque_size(sizes[j]), opaque_size(bad_align[i])), EINVAL);

    static const size_t too_big[] = {SIZE_MAX,
                                     SIZE_MAX - 1,
                                     SIZE_MAX - 15,
                                     SIZE_MAX - 4095,
                                     (size_t)PTRDIFF_MAX + 1,
                                     (size_t)PTRDIFF_MAX,
                                     (size_t)PTRDIFF_MAX - 4095,
                                     (size_t)1 << 62,
                                     (size_t)1 << 57};
    static const size_t aligns[] = {0, 1, 16, 4096, 65536};
    for (size_t i = 0; i < sizeof too_big / sizeof too_big[0]; i++)
        for (size_t j = 0; j < sizeof aligns / sizeof aligns[0]; j++)
            EXPECT_FAIL_PTR(ward_arena_alloc(a, opaque_size(too_big[i]), opaque_size(aligns[j])), ENOMEM);
    EXPECT_FAIL_PTR(ward_arena_alloc(a, 1, opaque_size((size_t)1 << 63)), ENOMEM);
    EXPECT_FAIL_PTR(ward_arena_alloc(a, 1, opaque_size((size_t)1 << 62)), ENOMEM);
    EXPECT_FAIL_PTR(ward_arena_memdup(a, keep, opaque_size(SIZE_MAX)), ENOMEM);
    EXPECT_FAIL_PTR(ward_arena_new(opaque_size(SIZE_MAX)), ENOMEM);
    EXPECT_FAIL_PTR(ward_arena_new(opaque_size((size_t)PTRDIFF_MAX)), ENOMEM);

    EXPECT_FAIL_PTR(ward_arena_strdup(a, opaque_ptr(NULL)), EINVAL);
    EXPECT_FAIL_PTR(ward_arena_strndup(a, opaque_ptr(NULL), 5), EINVAL);
    EXPECT_FAIL_PTR(ward_arena_memdup(a, opaque_ptr(NULL), 5), EINVAL);
    errno = 0;
    CHECK(ward_arena_defer(a, (void (*)(void *))opaque_ptr(NULL), NULL) == -1);
    CHECK_ERRNO(EINVAL);

    CHECKF(ward_arena_used(a) == used && ward_arena_reserved(a) == reserved,
           "failed calls changed the arena: used %zu -> %zu, reserved %zu -> %zu", used, ward_arena_used(a), reserved,
           ward_arena_reserved(a));
    CHECK_PATTERN(keep, 100, 1);

    /* correct uses of marks: nothing reported (a report would abort) */
    ward_arena_mark_t m1 = ward_arena_mark(a);
    CHECK(ward_arena_alloc(a, 100, 0) != NULL);
    ward_arena_mark_t m2 = ward_arena_mark(a);
    CHECK(ward_arena_alloc(a, 100, 0) != NULL);
    ward_arena_rewind(a, m2);
    ward_arena_rewind(a, m2);
    CHECK(ward_arena_alloc(a, 5000, 0) != NULL);
    ward_arena_rewind(a, m2);
    ward_arena_rewind(a, m1);
    ward_arena_mark_t m3 = ward_arena_mark(a); /* same position as m1, taken after the rewind */
    CHECK(ward_arena_alloc(a, 100, 0) != NULL);
    ward_arena_rewind(a, m3);
    ward_arena_rewind(a, m1);
    ward_arena_rewind(a, m3);
    ward_arena_reset(a);
    ward_arena_mark_t m4 = ward_arena_mark(a);
    CHECK(ward_arena_defer(a, noop, NULL) == 0);
    ward_arena_rewind(a, m4);
    CHECK(ward_arena_used(a) == 0);

    ward_pool_t *p = ward_pool_new(16, 0);
    CHECK(p != NULL);
    ward_pool_free(p, NULL);
    CHECK(ward_pool_live(p) == 0);
    ward_pool_destroy(p);
    ward_pool_destroy(NULL);
    ward_arena_destroy(NULL);
    ward_arena_destroy(a);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "child") == 0) {
        for (size_t i = 0; i < NSCEN; i++) {
            if (strcmp(argv[2], scenarios[i].name) != 0) continue;
            CHECKF(ward_malloc(1) != NULL, "ward does not start"); /* ward reads its options here */
            scenarios[i].fn();
            fprintf(stderr, "%s (%s)\n", survived, report_mode() ? "report mode" : "abort mode");
            return 0;
        }
        FAIL("no scenario %s", argv[2]);
    }
    t_init();
    const char *group = argc > 1 ? argv[1] : NULL;
    if (group == NULL || strcmp(group, "args") == 0) {
        test_args();
        printf("lifetime_errors args (%s): ok\n", T_VARIANT);
        if (group != NULL) return 0;
    }
    int ran = 0, failed = 0;
    for (size_t i = 0; i < NSCEN; i++) {
        if (group != NULL && strcmp(group, scenarios[i].group) != 0) continue;
        for (int report = 0; report <= 1; report++) {
            ran++;
            if (!check_scenario(&scenarios[i], report)) failed++;
        }
    }
    CHECKF(ran > 0, "no case named %s", group);
    printf("lifetime_errors %s (%s): %d runs, %d failed\n", group ? group : "(all)", T_VARIANT, ran, failed);
    CHECKF(failed == 0, "%d of %d child runs did not behave (see above)", failed, ran);
    return 0;
}
