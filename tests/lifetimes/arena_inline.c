/* arena_inline — the inline fast path of ward_arena_alloc (ward.h) against
 * the library's function, one CTest case per argument.
 *
 *  same     200 000 random requests (sizes 0..20 000 and some bigger than a
 *           chunk, alignments 0, 1..8192 and invalid ones, marks, rewinds and
 *           resets in between) go to two arenas, one through the inline path
 *           and one through the library only (arena_inline_lib.c is built
 *           with WARD_NO_INLINE): every answer agrees (NULL and errno, the
 *           alignment, ward_arena_used after it), and every live block keeps
 *           its pattern (no overlap);
 *  inlined  with optimisation on (and no sanitizer, under which arenas
 *           annotate every allocation), allocations that fit the current chunk
 *           never call the library (the link wraps the symbol
 *           ward_arena_alloc and counts the calls), and each case the inline
 *           path must hand over - size 0, a bad alignment, a NULL arena, a
 *           full chunk - calls it exactly once and gets its answer.
 */
#include "api.h"

#include <stdint.h>

static size_t below(rng_t *r, size_t n) {
    return rng_range(r, 0, n - 1);
}

void *lib_arena_alloc(ward_arena_t *a, size_t size, size_t align); /* arena_inline_lib.c */

/* --wrap=ward_arena_alloc: every call that reaches the library's symbol. */
static unsigned long library_calls;
void *__real_ward_arena_alloc(ward_arena_t *a, size_t size, size_t align);
void *__wrap_ward_arena_alloc(ward_arena_t *a, size_t size, size_t align);
void *__wrap_ward_arena_alloc(ward_arena_t *a, size_t size, size_t align) {
    library_calls++;
    return __real_ward_arena_alloc(a, size, align);
}

typedef struct {
    unsigned char *p;
    size_t size;
} live_t;

enum { LIVE_MAX = 4096 };

static void test_same(void) {
    ward_arena_t *in = ward_arena_new(0), *lib = ward_arena_new(0);
    CHECK(in != NULL && lib != NULL);
    live_t *live = raw_alloc(LIVE_MAX * sizeof *live);
    size_t nlive = 0;
    ward_arena_mark_t mark_in = ward_arena_mark(in), mark_lib = ward_arena_mark(lib);
    rng_t r;
    rng_seed(&r, 7);
    for (int i = 0; i < 200000; i++) {
        unsigned op = (unsigned)below(&r, 1000);
        if (op == 0) {
            ward_arena_rewind(in, mark_in);
            ward_arena_rewind(lib, mark_lib);
            nlive = 0;
            continue;
        }
        if (op == 1) {
            ward_arena_reset(in);
            ward_arena_reset(lib);
            mark_in = ward_arena_mark(in);
            mark_lib = ward_arena_mark(lib);
            nlive = 0;
            continue;
        }
        size_t size = op < 990 ? below(&r, 300) : op < 998 ? below(&r, 20000) : 100000 + below(&r, 400000);
        size_t align = 0;
        unsigned a = (unsigned)below(&r, 20);
        if (a < 14) align = a == 0 ? 0 : (size_t)1 << (a - 1); /* 0, 1 .. 8192 */
        else if (a < 16) align = 8;
        else if (a == 16) align = 3;
        else if (a == 17) align = 24;
        else align = 16;
        errno = 0;
        unsigned char *p = ward_arena_alloc(in, size, align);
        int err_in = errno;
        errno = 0;
        unsigned char *q = lib_arena_alloc(lib, size, align);
        int err_lib = errno;
        CHECKF((p == NULL) == (q == NULL), "request %d (%zu, %zu): inline %p, library %p", i, size, align, (void *)p,
               (void *)q);
        if (p == NULL) {
            CHECKF(err_in == err_lib && err_in == EINVAL, "request %d (%zu, %zu): errno %d and %d", i, size, align,
                   err_in, err_lib);
            continue;
        }
        size_t want = align ? align : 16;
        CHECKF((uintptr_t)p % want == 0 && (uintptr_t)q % want == 0, "request %d (%zu, %zu): %p, %p misaligned", i,
               size, align, (void *)p, (void *)q);
        CHECKF(ward_arena_used(in) == ward_arena_used(lib), "request %d (%zu, %zu): used %zu inline, %zu library", i,
               size, align, ward_arena_used(in), ward_arena_used(lib));
        pattern_fill(p, size, block_seed(p, size));
        if (nlive < LIVE_MAX) live[nlive++] = (live_t){p, size};
    }
    for (size_t i = 0; i < nlive; i++) CHECK_PATTERN(live[i].p, live[i].size, block_seed(live[i].p, live[i].size));
    ward_arena_destroy(in);
    ward_arena_destroy(lib);
}

static void test_inlined(void) {
#ifndef __OPTIMIZE__
    fprintf(stderr, "not optimised: the inline path is a call\n");
    exit(77);
#endif
#ifdef WARD_TEST_SANITIZER
    /* Under ASan every arena annotates its allocations: no inline path. */
    fprintf(stderr, "sanitizer build: arenas take the library path\n");
    exit(77);
#endif
    ward_arena_t *a = ward_arena_new(64 << 10);
    CHECK(a != NULL);
    unsigned long before = library_calls;
    unsigned char *prev = NULL;
    for (int i = 0; i < 1000; i++) {
        unsigned char *p = ward_arena_alloc(a, 24, 8);
        CHECK(p != NULL && (prev == NULL || p == prev + 24));
        prev = p;
    }
    CHECKF(library_calls == before, "%lu library calls for 1000 small allocations", library_calls - before);

    CHECK(ward_arena_alloc(a, 0, 0) != NULL); /* size 0: a unique pointer, from the library */
    CHECK(library_calls == before + 1);
    errno = 0;
    CHECK(ward_arena_alloc(a, 8, 12) == NULL && errno == EINVAL);
    CHECK(library_calls == before + 2);
    size_t reserved = ward_arena_reserved(a);
    for (int i = 0; ward_arena_reserved(a) == reserved; i++) {
        CHECK(i < 100000);
        CHECK(ward_arena_alloc(a, 1000, 0) != NULL);
    }
    /* The allocation that found the chunk full went to the library once. */
    CHECK(library_calls >= before + 3);
    unsigned long calls = library_calls;
    CHECK(ward_arena_alloc(a, 1000, 0) != NULL);
    CHECK(library_calls == calls); /* and the new chunk is served inline */
    ward_arena_destroy(a);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s same|inlined\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "same") == 0) test_same();
    else if (strcmp(argv[1], "inlined") == 0) test_inlined();
    else {
        fprintf(stderr, "unknown case %s\n", argv[1]);
        return 2;
    }
    return 0;
}
