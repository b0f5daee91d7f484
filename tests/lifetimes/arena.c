/* arena — arenas (ward_arena_*), one CTest case per argument.
 *
 *  align    ward_arena_alloc of many sizes (1 B to 1 MiB + 3) at every
 *           power-of-two alignment 1..65536 and at 0 (16): each result is
 *           aligned, writable over its whole size, and overlaps no other
 *           (address-derived patterns, checked after all are written, and a
 *           sorted interval check); then 20000 random size/alignment pairs;
 *  zero     size 0 gives distinct non-NULL pointers, distinct from every
 *           other allocation too, at any alignment;
 *  dup      strdup / strndup (shorter, longer and exactly-sized limits, a
 *           source without a terminating NUL right before an unmapped page,
 *           an empty string, a 300 KiB string bigger than a chunk) and
 *           memdup (n = 0, n = 1000, 16-byte aligned result);
 *  figures  ward_arena_used grows by exactly the bytes handed out plus
 *           alignment padding, ward_arena_reserved stays put while the chunk
 *           has room and is always >= used; mark/rewind and reset bring used
 *           back; the figures count big allocations;
 *  growth   chunks double: filling 64 MiB with 1000-byte objects takes at
 *           most 12 chunks (64 KiB default) and 20 (4 KiB start), and each
 *           new chunk is at least as big as the one before and, past 64 KiB,
 *           twice as big up to the 64 MiB cap: reserved grows geometrically
 *           in the number of chunks;
 *  big      an allocation bigger than a chunk gets its own chunk: allocations
 *           before and after it continue in the current chunk (a few bytes
 *           apart), the big block lies outside it, for 100 KiB, 1 MiB, 10 MiB
 *           and 100 MiB; rewinding past big blocks gives their memory back
 *           (reserved falls to its value at the mark);
 *  rewind   the memory handed out after a mark comes back after a rewind (the
 *           same addresses for the same sequence of requests); a
 *           request-style loop (mark, 1 MiB in small pieces across chunks,
 *           rewind) reaches a steady state: reserved stops growing;
 *  nested   nested marks rewound innermost first, an outer mark rewound after
 *           an inner one, an outer mark rewound directly past unrewound inner
 *           ones, the same mark rewound twice, a mark with nothing after it,
 *           marks taken after a rewind: each rewind restores used and the
 *           next address of its mark;
 *  defers   cleanups run newest first, each exactly once: on rewind only those
 *           registered after the mark (nested marks too), on reset all the
 *           rest, on destroy all; 10000 cleanups spread over many chunks; a
 *           cleanup can still read arena memory allocated before it;
 *  reset    reset runs the cleanups, used becomes 0, one chunk is kept
 *           (reserved > 0, less than before) and reused: allocating half of
 *           it again takes no new memory and stays inside it; 200 rounds of
 *           fill-and-reset keep reserved constant;
 *  destroy  arenas holding 120 MiB (small objects, chunks of up to 64 MiB and
 *           big blocks) raise ward's committed memory by that much; after
 *           ward_arena_destroy and ward_trim it falls back to within 16 MiB of
 *           where it started; 2000 arenas created and destroyed one after the
 *           other do not grow it either.
 */
#include "api.h"

#include <stdint.h>

typedef struct {
    unsigned char *p;
    size_t size;
} span_t;

static int span_cmp(const void *a, const void *b)
{
    const span_t *x = a, *y = b;
    return x->p < y->p ? -1 : x->p > y->p;
}

/* Sorts the spans and checks that none overlaps the next. Size-0 spans count as 1 byte. */
static void check_no_overlap(span_t *s, size_t n)
{
    qsort(s, n, sizeof *s, span_cmp);
    for (size_t i = 1; i < n; i++) {
        size_t sz = s[i - 1].size ? s[i - 1].size : 1;
        CHECKF(s[i - 1].p + sz <= s[i].p, "allocation %p (%zu bytes) overlaps %p (%zu bytes)", (void *)s[i - 1].p,
               s[i - 1].size, (void *)s[i].p, s[i].size);
    }
}

static size_t committed(void)
{
    ward_stats_t st;
    ward_stats_get(&st);
    return st.committed;
}

/* ---- align ------------------------------------------------------------------ */

static void test_align(void)
{
    static const size_t sizes[] = {1,    2,    3,     7,     8,     15,     16,          17,
                                   31,   100,  255,   1000,  4095,  4096,   5000,        65535,
                                   65536, 100000, 300000, MiB + 3};
    enum { NS = sizeof sizes / sizeof sizes[0], NA = 18, NR = 20000 };
    span_t *sp = raw_alloc((NS * NA + NR) * sizeof *sp);
    size_t n = 0;
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    for (size_t ai = 0; ai < NA; ai++) {
        size_t align = ai == 0 ? 0 : (size_t)1 << (ai - 1); /* 0, 1, 2, ..., 65536 */
        size_t want = align ? align : 16;
        for (size_t si = 0; si < NS; si++) {
            size_t s = sizes[si];
            unsigned char *p = ward_arena_alloc(a, s, align);
            CHECKF(p != NULL, "ward_arena_alloc(%zu, %zu) returned NULL", s, align);
            CHECKF((uintptr_t)p % want == 0, "ward_arena_alloc(%zu, %zu) = %p is not %zu-aligned", s, align,
                   (void *)p, want);
            pattern_fill(p, s, block_seed(p, s));
            sp[n++] = (span_t){p, s};
        }
    }
    rng_t r;
    rng_seed(&r, 42);
    for (int i = 0; i < NR; i++) {
        size_t s = rng_logsize(&r, 1, 8192);
        size_t align = (size_t)1 << rng_range(&r, 0, 12);
        unsigned char *p = ward_arena_alloc(a, s, align);
        CHECKF(p != NULL, "ward_arena_alloc(%zu, %zu) returned NULL", s, align);
        CHECKF((uintptr_t)p % align == 0, "ward_arena_alloc(%zu, %zu) = %p misaligned", s, align, (void *)p);
        pattern_fill(p, s, block_seed(p, s));
        sp[n++] = (span_t){p, s};
    }
    for (size_t i = 0; i < n; i++) CHECK_PATTERN(sp[i].p, sp[i].size, block_seed(sp[i].p, sp[i].size));
    check_no_overlap(sp, n);
    CHECK(ward_arena_used(a) <= ward_arena_reserved(a));
    ward_arena_destroy(a);
    raw_free(sp, (NS * NA + NR) * sizeof *sp);
}

/* ---- zero ------------------------------------------------------------------- */

static void test_zero(void)
{
    enum { N = 3000 };
    span_t *sp = raw_alloc(N * sizeof *sp);
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    for (int i = 0; i < N; i++) {
        size_t align = (i % 3 == 0) ? 0 : (size_t)1 << (i % 7);
        size_t s = (i % 2 == 0) ? 0 : 1 + (size_t)i % 50; /* zero-size requests between others */
        unsigned char *p = ward_arena_alloc(a, opaque_size(s), align);
        CHECKF(p != NULL, "ward_arena_alloc(%zu, %zu) returned NULL", s, align);
        CHECK((uintptr_t)p % (align ? align : 16) == 0);
        if (s) memset(p, 0xA5, s);
        sp[i] = (span_t){p, s};
    }
    check_no_overlap(sp, N); /* a size-0 pointer is distinct from every other pointer */
    ward_arena_destroy(a);
    raw_free(sp, N * sizeof *sp);
}

/* ---- dup --------------------------------------------------------------------- */

static void test_dup(void)
{
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    const char *hello = "hello, arena";
    char *s = ward_arena_strdup(a, hello);
    CHECK(s != NULL && s != hello && strcmp(s, hello) == 0);
    char *e = ward_arena_strdup(a, "");
    CHECK(e != NULL && e[0] == 0 && e != s);

    char *n1 = ward_arena_strndup(a, hello, 5);
    CHECK(n1 != NULL && strcmp(n1, "hello") == 0);
    char *n2 = ward_arena_strndup(a, hello, 1000);
    CHECK(n2 != NULL && strcmp(n2, hello) == 0);
    char *n3 = ward_arena_strndup(a, hello, strlen(hello));
    CHECK(n3 != NULL && strcmp(n3, hello) == 0);
    char *n4 = ward_arena_strndup(a, hello, 0);
    CHECK(n4 != NULL && n4[0] == 0);

    /* strndup must not read past max: the source ends right before an unmapped page */
    size_t pg = page_size();
    char *two = raw_alloc(2 * pg);
    CHECK(munmap(two + pg, pg) == 0);
    char *tail = two + pg - 7;
    memcpy(tail, "abcdefg", 7); /* no NUL */
    char *n5 = ward_arena_strndup(a, tail, 7);
    CHECK(n5 != NULL && strcmp(n5, "abcdefg") == 0);
    raw_free(two, pg);

    /* a string bigger than a chunk */
    size_t big = 300 * KiB;
    char *src = raw_alloc(big + 1);
    for (size_t i = 0; i < big; i++) src[i] = (char)('a' + i % 26);
    src[big] = 0;
    char *bs = ward_arena_strdup(a, src);
    CHECK(bs != NULL && memcmp(bs, src, big + 1) == 0);
    char *bn = ward_arena_strndup(a, src, big - 10);
    CHECK(bn != NULL && memcmp(bn, src, big - 10) == 0 && bn[big - 10] == 0);
    raw_free(src, big + 1);

    unsigned char buf[1000];
    for (int i = 0; i < 1000; i++) buf[i] = (unsigned char)(i * 7);
    unsigned char *m = ward_arena_memdup(a, buf, sizeof buf);
    CHECK(m != NULL && m != buf && memcmp(m, buf, sizeof buf) == 0);
    CHECK((uintptr_t)m % 16 == 0);
    void *m0 = ward_arena_memdup(a, buf, 0);
    CHECK(m0 != NULL && m0 != m);
    void *m00 = ward_arena_memdup(a, NULL, 0);
    CHECK(m00 != NULL && m00 != m0);

    /* nothing overwrote anything */
    CHECK(strcmp(s, hello) == 0 && strcmp(n1, "hello") == 0 && strcmp(n5, "abcdefg") == 0);
    CHECK(memcmp(m, buf, sizeof buf) == 0);
    ward_arena_destroy(a);
}

/* ---- figures ----------------------------------------------------------------- */

static void test_figures(void)
{
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    CHECKF(ward_arena_used(a) == 0, "a new arena has used = %zu", ward_arena_used(a));
    size_t r0 = ward_arena_reserved(a);
    CHECKF(r0 >= 64 * KiB, "a new arena has reserved = %zu (default chunk is 64 KiB)", r0);

    unsigned char *p = ward_arena_alloc(a, 100, 1);
    CHECK(p != NULL);
    CHECKF(ward_arena_used(a) == 100, "used %zu after 100 bytes", ward_arena_used(a));
    unsigned char *end = p + 100;
    rng_t r;
    rng_seed(&r, 7);
    /* within the first chunk: used grows by exactly the distance the pointer moved */
    for (int i = 0; i < 200; i++) {
        size_t s = rng_range(&r, 1, 100);
        size_t al = (size_t)1 << rng_range(&r, 0, 6);
        size_t u0 = ward_arena_used(a);
        unsigned char *q = ward_arena_alloc(a, s, al);
        CHECK(q != NULL);
        CHECKF(q >= end && q - end < (ptrdiff_t)al, "allocation %d not right after the previous one", i);
        size_t u1 = ward_arena_used(a);
        CHECKF(u1 - u0 == (size_t)(q + s - end), "used grew by %zu for %zu bytes at %zu bytes of padding",
               u1 - u0, s, (size_t)(q - end));
        CHECKF(ward_arena_reserved(a) == r0, "reserved changed (%zu -> %zu) with room left in the chunk", r0,
               ward_arena_reserved(a));
        end = q + s;
    }
    size_t um = ward_arena_used(a);
    ward_arena_mark_t m = ward_arena_mark(a);
    CHECK(ward_arena_used(a) == um); /* a mark costs nothing */

    /* across chunks: used counts what was handed out, reserved covers it */
    size_t handed = 0;
    for (int i = 0; i < 5000; i++) {
        CHECK(ward_arena_alloc(a, 1000, 8) != NULL);
        handed += 1000;
        CHECK(ward_arena_used(a) <= ward_arena_reserved(a));
    }
    CHECKF(ward_arena_used(a) >= um + handed && ward_arena_used(a) <= um + handed + 5000 * 8 + 64 * KiB,
           "used %zu after handing out %zu more bytes (from %zu)", ward_arena_used(a), handed, um);
    CHECK(ward_arena_reserved(a) > r0);
    size_t u2 = ward_arena_used(a);
    CHECK(ward_arena_alloc(a, 3 * MiB, 0) != NULL); /* big block */
    CHECKF(ward_arena_used(a) == u2 + 3 * MiB, "used %zu after a 3 MiB block (was %zu)", ward_arena_used(a), u2);
    CHECK(ward_arena_reserved(a) >= ward_arena_used(a));

    ward_arena_rewind(a, m);
    CHECKF(ward_arena_used(a) == um, "used %zu after rewind, %zu at the mark", ward_arena_used(a), um);
    CHECK(ward_arena_reserved(a) >= r0);
    ward_arena_reset(a);
    CHECKF(ward_arena_used(a) == 0, "used %zu after reset", ward_arena_used(a));
    CHECK(ward_arena_reserved(a) > 0);
    ward_arena_destroy(a);
}

/* ---- growth ------------------------------------------------------------------ */

static void growth(size_t first, size_t fill, unsigned max_chunks)
{
    ward_arena_t *a = ward_arena_new(first);
    CHECK(a != NULL);
    size_t prev_r = ward_arena_reserved(a);
    size_t prev_delta = prev_r; /* the first chunk */
    unsigned chunks = 1;
    while (ward_arena_used(a) < fill) {
        unsigned char *p = ward_arena_alloc(a, 1000, 8);
        CHECK(p != NULL);
        size_t r = ward_arena_reserved(a);
        if (r != prev_r) {
            CHECKF(r > prev_r, "reserved fell from %zu to %zu while allocating", prev_r, r);
            size_t delta = r - prev_r;
            chunks++;
            printf("  chunk %u: %zu KiB\n", chunks, delta / KiB);
            CHECKF(delta >= prev_delta, "chunk %u (%zu KiB) is smaller than the one before (%zu KiB)", chunks,
                   delta / KiB, prev_delta / KiB);
            if (prev_delta >= 64 * KiB && prev_delta < 64 * MiB)
                CHECKF(delta >= 2 * prev_delta - 64 * KiB,
                       "chunk %u (%zu KiB) is not about twice the one before (%zu KiB)", chunks, delta / KiB,
                       prev_delta / KiB);
            prev_delta = delta;
            prev_r = r;
        }
    }
    printf("arena_new(%zu): %u chunks, %zu MiB reserved for %zu MiB used\n", first, chunks,
           ward_arena_reserved(a) / MiB, ward_arena_used(a) / MiB);
    CHECKF(chunks <= max_chunks, "%u chunks to hold %zu MiB: chunks do not grow geometrically", chunks, fill / MiB);
    CHECKF(ward_arena_reserved(a) <= 4 * fill + MiB, "reserved %zu MiB for %zu MiB", ward_arena_reserved(a) / MiB,
           fill / MiB);
    ward_arena_destroy(a);
}

static void test_growth(void)
{
    growth(0, 64 * MiB, 12);
    growth(4096, 64 * MiB, 20);
    growth(MiB, 64 * MiB, 8);
}

/* ---- big --------------------------------------------------------------------- */

static void test_big(void)
{
    static const size_t bigs[] = {100 * KiB, MiB, 10 * MiB, 100 * MiB};
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    for (size_t i = 0; i < sizeof bigs / sizeof bigs[0]; i++) {
        size_t bs = bigs[i];
        size_t r0 = ward_arena_reserved(a);
        ward_arena_mark_t m = ward_arena_mark(a);
        unsigned char *before = ward_arena_alloc(a, 100, 8);
        CHECK(before != NULL);
        pattern_fill(before, 100, 1);
        unsigned char *big = ward_arena_alloc(a, bs, 0);
        CHECKF(big != NULL, "ward_arena_alloc(%zu) returned NULL", bs);
        CHECK((uintptr_t)big % 16 == 0);
        unsigned char *after = ward_arena_alloc(a, 100, 8);
        CHECK(after != NULL);
        pattern_fill(after, 100, 2);
        CHECKF(after >= before + 100 && after < before + 100 + 64,
               "after a %zu-byte block the arena moved from %p to %p: the current chunk was abandoned", bs,
               (void *)before, (void *)after);
        CHECKF(big + bs <= before || big >= after + 100, "the %zu-byte block %p lies inside the current chunk", bs,
               (void *)big);
        pattern_fill(big, bs, 3);
        CHECK(ward_arena_reserved(a) >= r0 + bs);
        CHECK_PATTERN(before, 100, 1);
        CHECK_PATTERN(after, 100, 2);
        CHECK_PATTERN(big, bs, 3);
        ward_arena_rewind(a, m);
        CHECKF(ward_arena_reserved(a) == r0, "reserved %zu after rewinding past a %zu-byte block, %zu before",
               ward_arena_reserved(a), bs, r0);
        unsigned char *again = ward_arena_alloc(a, 100, 8);
        CHECK(again == before);
    }
    /* several big blocks interleaved with small ones, all kept */
    unsigned char *prev = ward_arena_alloc(a, 10, 1);
    for (int i = 0; i < 20; i++) {
        unsigned char *big = ward_arena_alloc(a, 200 * KiB + (size_t)i, 64);
        CHECK(big != NULL && (uintptr_t)big % 64 == 0);
        memset(big, i, 200 * KiB + (size_t)i);
        unsigned char *small = ward_arena_alloc(a, 10, 1);
        CHECKF(small == prev + 10, "small allocation %d at %p, expected %p", i, (void *)small, (void *)(prev + 10));
        prev = small;
    }
    ward_arena_destroy(a);
}

/* ---- rewind ------------------------------------------------------------------ */

static void test_rewind(void)
{
    enum { N = 40 };
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    CHECK(ward_arena_alloc(a, 123, 0) != NULL);
    void *first[N];
    ward_arena_mark_t m = ward_arena_mark(a);
    size_t used = ward_arena_used(a);
    for (int i = 0; i < N; i++) {
        size_t s = 1 + (size_t)i * 37 % 700;
        first[i] = ward_arena_alloc(a, s, (size_t)1 << (i % 6));
        CHECK(first[i] != NULL);
        memset(first[i], 0x11, s);
    }
    for (int round = 0; round < 5; round++) {
        ward_arena_rewind(a, m);
        CHECK(ward_arena_used(a) == used);
        for (int i = 0; i < N; i++) {
            size_t s = 1 + (size_t)i * 37 % 700;
            void *p = ward_arena_alloc(a, s, (size_t)1 << (i % 6));
            CHECKF(p == first[i], "round %d: allocation %d after rewind at %p, first at %p: memory not reused",
                   round, i, p, first[i]);
            memset(p, 0x22, s);
        }
    }

    /* request loop: reserved reaches a steady state */
    size_t r10 = 0;
    for (int req = 0; req < 200; req++) {
        ward_arena_mark_t rm = ward_arena_mark(a);
        size_t total = 0;
        rng_t r;
        rng_seed(&r, (uint64_t)req);
        while (total < MiB) {
            size_t s = rng_logsize(&r, 8, 2000);
            unsigned char *p = ward_arena_alloc(a, s, 0);
            CHECK(p != NULL);
            p[0] = p[s - 1] = 1;
            total += s;
        }
        ward_arena_rewind(a, rm);
        if (req == 10) r10 = ward_arena_reserved(a);
    }
    size_t r200 = ward_arena_reserved(a);
    printf("request loop: reserved %zu KiB after 10 requests, %zu KiB after 200\n", r10 / KiB, r200 / KiB);
    CHECKF(r200 <= r10, "reserved grew from %zu to %zu KiB over 190 identical mark/1 MiB/rewind requests",
           r10 / KiB, r200 / KiB);
    CHECKF(r200 <= 8 * MiB, "reserved %zu KiB for requests of 1 MiB", r200 / KiB);
    ward_arena_destroy(a);
}

/* ---- nested ------------------------------------------------------------------ */

typedef struct {
    ward_arena_mark_t m;
    size_t used;
    void *next; /* what an allocation of 8 bytes at 8 gives right after the mark */
} spot_t;

/* Takes a mark and records the next address (by allocating and rewinding). */
static spot_t spot(ward_arena_t *a)
{
    spot_t s;
    s.used = ward_arena_used(a);
    s.m = ward_arena_mark(a);
    s.next = ward_arena_alloc(a, 8, 8);
    CHECK(s.next != NULL);
    ward_arena_rewind(a, s.m);
    CHECK(ward_arena_used(a) == s.used);
    return s;
}

static void back_to(ward_arena_t *a, const spot_t *s, const char *what)
{
    ward_arena_rewind(a, s->m);
    CHECKF(ward_arena_used(a) == s->used, "%s: used %zu, %zu at the mark", what, ward_arena_used(a), s->used);
    void *p = ward_arena_alloc(a, 8, 8);
    CHECKF(p == s->next, "%s: next allocation at %p, expected %p", what, p, s->next);
}

static void fill(ward_arena_t *a, size_t bytes)
{
    for (size_t done = 0; done < bytes; done += 500) CHECK(ward_arena_alloc(a, 500, 16) != NULL);
}

static void test_nested(void)
{
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    fill(a, 1000);
    spot_t s1 = spot(a);
    fill(a, 30 * KiB);
    spot_t s2 = spot(a);
    fill(a, 200 * KiB); /* into later chunks */
    spot_t s3 = spot(a);
    fill(a, 5000);
    back_to(a, &s3, "innermost");
    back_to(a, &s3, "innermost again");
    back_to(a, &s2, "middle");
    back_to(a, &s1, "outer");

    /* an outer mark after an inner one that was rewound and then allocated past */
    s2 = spot(a);
    fill(a, 100 * KiB);
    s3 = spot(a);
    fill(a, 100 * KiB);
    back_to(a, &s3, "inner");
    fill(a, 300 * KiB);
    back_to(a, &s2, "outer after inner");

    /* an outer mark directly, past inner marks never rewound */
    spot_t in[5];
    for (int i = 0; i < 5; i++) {
        fill(a, 50 * KiB);
        in[i] = spot(a);
    }
    fill(a, 10);
    back_to(a, &in[4], "the last of 5 inner");
    fill(a, 10);
    back_to(a, &s1, "outer past 5 inner");

    /* a mark with nothing allocated after it */
    spot_t e = spot(a);
    back_to(a, &e, "empty");
    back_to(a, &e, "empty again");
    /* marks taken after a rewind, and a big block in between */
    fill(a, 70 * KiB);
    spot_t f = spot(a);
    CHECK(ward_arena_alloc(a, 5 * MiB, 0) != NULL);
    fill(a, 100);
    back_to(a, &f, "after rewind, past a big block");
    back_to(a, &e, "outer of it");
    ward_arena_destroy(a);
}

/* ---- defers ------------------------------------------------------------------- */

static int *log_buf; /* raw_alloc'd */
static size_t log_len;

static void note(void *arg) { log_buf[log_len++] = (int)(intptr_t)arg; }

static void expect_log(const int *want, size_t n, const char *what)
{
    CHECKF(log_len == n, "%s: %zu cleanups ran, expected %zu", what, log_len, n);
    for (size_t i = 0; i < n; i++)
        CHECKF(log_buf[i] == want[i], "%s: cleanup %zu was %d, expected %d (newest first)", what, i, log_buf[i],
               want[i]);
    log_len = 0;
}

typedef struct {
    unsigned char *obj;
    size_t size;
    int checked;
} obj_check_t;

static void check_obj(void *arg)
{
    obj_check_t *oc = arg;
    CHECK_PATTERN(oc->obj, oc->size, 99);
    oc->checked++;
}

#define DEFER(a, v) CHECK(ward_arena_defer((a), note, (void *)(intptr_t)(v)) == 0)

static void test_defers(void)
{
    enum { MANY = 10000 };
    log_buf = raw_alloc(MANY * 2 * sizeof *log_buf);
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    DEFER(a, 1);
    DEFER(a, 2);
    ward_arena_mark_t m = ward_arena_mark(a);
    DEFER(a, 3);
    fill(a, 100 * KiB);
    DEFER(a, 4);
    expect_log(NULL, 0, "before any rewind");
    ward_arena_rewind(a, m);
    expect_log((const int[]){4, 3}, 2, "rewind");
    ward_arena_rewind(a, m);
    expect_log(NULL, 0, "second rewind to the same mark");

    /* nested */
    ward_arena_mark_t m1 = ward_arena_mark(a);
    DEFER(a, 5);
    ward_arena_mark_t m2 = ward_arena_mark(a);
    DEFER(a, 6);
    DEFER(a, 7);
    ward_arena_mark_t m3 = ward_arena_mark(a);
    DEFER(a, 8);
    ward_arena_rewind(a, m3);
    expect_log((const int[]){8}, 1, "innermost rewind");
    ward_arena_rewind(a, m2);
    expect_log((const int[]){7, 6}, 2, "middle rewind");
    DEFER(a, 9);
    ward_arena_rewind(a, m1);
    expect_log((const int[]){9, 5}, 2, "outer rewind");

    ward_arena_reset(a);
    expect_log((const int[]){2, 1}, 2, "reset");
    ward_arena_reset(a);
    expect_log(NULL, 0, "second reset");

    /* a cleanup can read arena memory allocated before it */
    obj_check_t *oc = raw_alloc(sizeof *oc);
    oc->size = 5000;
    oc->obj = ward_arena_alloc(a, oc->size, 0);
    CHECK(oc->obj != NULL);
    pattern_fill(oc->obj, oc->size, 99);
    m = ward_arena_mark(a);
    CHECK(ward_arena_defer(a, check_obj, oc) == 0);
    fill(a, 300 * KiB);
    ward_arena_rewind(a, m);
    CHECK(oc->checked == 1);

    /* many, across chunks and big blocks; destroy runs them all, newest first */
    DEFER(a, 0);
    for (int i = 1; i < MANY; i++) {
        DEFER(a, i);
        if (i % 97 == 0) fill(a, 3000);
        if (i % 1000 == 0) CHECK(ward_arena_alloc(a, MiB, 0) != NULL);
    }
    m = ward_arena_mark(a);
    DEFER(a, MANY);
    ward_arena_rewind(a, m);
    expect_log((const int[]){MANY}, 1, "rewind over one of many");
    ward_arena_destroy(a);
    CHECKF(log_len == MANY, "destroy ran %zu cleanups of %d", log_len, MANY);
    for (int i = 0; i < MANY; i++)
        CHECKF(log_buf[i] == MANY - 1 - i, "destroy: cleanup %d was %d, expected %d", i, log_buf[i], MANY - 1 - i);
    log_len = 0;
    CHECK(oc->checked == 1);

    /* destroy of an arena with marks and rewinds behind it: each cleanup once */
    a = ward_arena_new(4096);
    CHECK(a != NULL);
    for (int i = 0; i < 100; i++) {
        ward_arena_mark_t mm = ward_arena_mark(a);
        DEFER(a, 1000 + i);
        DEFER(a, 2000 + i);
        if (i % 2) ward_arena_rewind(a, mm);
    }
    for (int i = 0; i < 50; i++) {
        int b = 1 + 2 * i; /* odd i: rewound at once, 2000+i then 1000+i */
        CHECK(log_buf[2 * i] == 2000 + b && log_buf[2 * i + 1] == 1000 + b);
    }
    log_len = 0;
    ward_arena_destroy(a);
    CHECKF(log_len == 100, "destroy ran %zu cleanups, expected 100", log_len);
    for (int k = 0; k < 50; k++) {
        int i = 98 - 2 * k; /* even i, newest first */
        CHECK(log_buf[2 * k] == 2000 + i && log_buf[2 * k + 1] == 1000 + i);
    }
    raw_free(oc, sizeof *oc);
    raw_free(log_buf, MANY * 2 * sizeof *log_buf);
}

/* ---- reset -------------------------------------------------------------------- */

static void test_reset(void)
{
    log_buf = raw_alloc(64 * sizeof *log_buf);
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    fill(a, 10 * MiB);
    CHECK(ward_arena_alloc(a, 20 * MiB, 0) != NULL);
    DEFER(a, 1);
    size_t r1 = ward_arena_reserved(a);
    ward_arena_reset(a);
    expect_log((const int[]){1}, 1, "reset");
    size_t r2 = ward_arena_reserved(a);
    CHECKF(ward_arena_used(a) == 0, "used %zu after reset", ward_arena_used(a));
    CHECKF(r2 > 0 && r2 < r1, "reserved %zu after reset (%zu before): one chunk should be kept", r2, r1);
    /* the kept chunk is reused: half of it again takes no new memory */
    size_t c0 = committed();
    unsigned char *lo = NULL, *hi = NULL;
    for (size_t done = 0; done < r2 / 2; done += 1000) {
        unsigned char *p = ward_arena_alloc(a, 1000, 8);
        CHECK(p != NULL);
        if (lo == NULL || p < lo) lo = p;
        if (hi == NULL || p > hi) hi = p;
        memset(p, 3, 1000);
    }
    CHECKF(ward_arena_reserved(a) == r2, "reserved went from %zu to %zu filling half the kept chunk", r2,
           ward_arena_reserved(a));
    CHECKF((size_t)(hi - lo) < r2, "allocations after reset span %zu bytes: not in one kept chunk of %zu",
           (size_t)(hi - lo), r2);
    CHECKF(committed() <= c0, "committed memory grew from %zu to %zu after reset", c0, committed());
    /* the same load over and over: reserved constant */
    size_t rr = 0;
    for (int round = 0; round < 200; round++) {
        ward_arena_reset(a);
        fill(a, 3 * MiB);
        if (round == 1) rr = ward_arena_reserved(a);
        if (round > 1)
            CHECKF(ward_arena_reserved(a) == rr, "round %d: reserved %zu, %zu in round 1", round,
                   ward_arena_reserved(a), rr);
    }
    ward_arena_destroy(a);
    raw_free(log_buf, 64 * sizeof *log_buf);
}

/* ---- destroy ------------------------------------------------------------------ */

static void test_destroy(void)
{
    ward_trim();
    size_t c0 = committed();
    ward_arena_t *as[4];
    for (int k = 0; k < 4; k++) {
        as[k] = ward_arena_new(k == 3 ? MiB : 0);
        CHECK(as[k] != NULL);
        size_t total = 0;
        rng_t r;
        rng_seed(&r, (uint64_t)k);
        while (total < 30 * MiB) {
            size_t s = (rng_next(&r) % 500 == 0) ? rng_logsize(&r, 64 * KiB, 4 * MiB) : rng_logsize(&r, 1, 4000);
            unsigned char *p = ward_arena_alloc(as[k], s, 0);
            CHECK(p != NULL);
            memset(p, 0x5A, s);
            total += s;
        }
    }
    size_t c1 = committed();
    printf("destroy: committed %zu MiB before, %zu MiB with 4 arenas of 30 MiB\n", c0 / MiB, c1 / MiB);
    CHECKF(c1 >= c0 + 100 * MiB, "committed grew by only %zu MiB for 120 MiB of arena memory: chunks not counted",
           (c1 - c0) / MiB);
    for (int k = 0; k < 4; k++) ward_arena_destroy(as[k]);
    ward_trim();
    size_t c2 = committed();
    printf("destroy: committed %zu MiB after destroy and trim\n", c2 / MiB);
    CHECKF(c2 <= c0 + 16 * MiB, "committed %zu MiB after destroying the arenas and trimming, %zu MiB before",
           c2 / MiB, c0 / MiB);

    /* many short-lived arenas */
    for (int i = 0; i < 2000; i++) {
        ward_arena_t *a = ward_arena_new((size_t)(i % 4) * 8192);
        CHECK(a != NULL);
        fill(a, (size_t)(i % 10) * 20 * KiB);
        if (i % 100 == 0) CHECK(ward_arena_alloc(a, 3 * MiB, 0) != NULL);
        ward_arena_destroy(a);
    }
    ward_trim();
    size_t c3 = committed();
    CHECKF(c3 <= c0 + 16 * MiB, "committed %zu MiB after 2000 short-lived arenas, %zu MiB at the start", c3 / MiB,
           c0 / MiB);
    ward_arena_destroy(NULL); /* ignored */
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } cases[] = {
        {"align", test_align},     {"zero", test_zero},     {"dup", test_dup},       {"figures", test_figures},
        {"growth", test_growth},   {"big", test_big},       {"rewind", test_rewind}, {"nested", test_nested},
        {"defers", test_defers},   {"reset", test_reset},   {"destroy", test_destroy},
    };
    t_init();
    int ran = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name) != 0) continue;
        cases[i].fn();
        printf("arena %s (%s): ok\n", cases[i].name, T_VARIANT);
        ran++;
    }
    CHECKF(ran > 0, "no case named %s", argv[1]);
    return 0;
}
