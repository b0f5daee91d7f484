/* arena_asan — a program built with -fsanitize=address (ward itself is not:
 * it is the normal build's libward-prefixed.a) sees arena and pool memory
 * that ward took back as poisoned, through ward's weak references to the
 * ASan interface.
 *
 * Each case runs in a child (this program re-executed, see child_run.c) and
 * passes when the child dies with an AddressSanitizer "use-after-poison"
 * report that names the read in this file:
 *   rewind        reading memory handed out after a mark, once rewound;
 *   rewind_chunk  the same in a later chunk (the one the rewind keeps as spare);
 *   reset         reading memory of the kept chunk after a reset;
 *   past_end      reading past the end of the last allocation (the unused
 *                 rest of the chunk has never been handed out);
 *   pool_free     reading a pool object after ward_pool_free.
 * Control (`control`): the child must exit 0 with no ASan report while it
 * writes and reads everything that is allocated: memory handed out again
 * after a rewind or reset (same addresses), every byte of odd-sized
 * allocations, pool objects reused after a free, big blocks, and arena
 * memory read from a cleanup during the rewind that releases it.
 */
#include "api.h"

#include <stdint.h>

#include "child_run.c"

static volatile unsigned char sink;

static void __attribute__((noinline)) read_byte(const unsigned char *p) { sink = *(const volatile unsigned char *)p; }

static void c_rewind(void)
{
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    unsigned char *p = ward_arena_alloc(a, 100, 0);
    memset(p, 1, 100);
    ward_arena_mark_t m = ward_arena_mark(a);
    unsigned char *q = ward_arena_alloc(a, 200, 0);
    memset(q, 2, 200);
    ward_arena_rewind(a, m);
    read_byte(p); /* still allocated: fine */
    read_byte(q + 50);
}

static void c_rewind_chunk(void)
{
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    ward_arena_mark_t m = ward_arena_mark(a);
    unsigned char *q = NULL;
    for (int i = 0; i < 100; i++) { /* 100 KiB: into the second chunk */
        q = ward_arena_alloc(a, 1024, 0);
        memset(q, 3, 1024);
    }
    ward_arena_rewind(a, m);
    read_byte(q);
}

static void c_reset(void)
{
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    unsigned char *p = ward_arena_alloc(a, 64, 0);
    memset(p, 4, 64);
    ward_arena_reset(a);
    read_byte(p + 10);
}

static void c_past_end(void)
{
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    unsigned char *p = ward_arena_alloc(a, 100, 16);
    memset(p, 5, 100);
    read_byte(p + 99);
    read_byte(p + 112);
}

static void c_pool_free(void)
{
    ward_pool_t *pl = ward_pool_new(48, 0);
    CHECK(pl != NULL);
    unsigned char *o = ward_pool_alloc(pl);
    unsigned char *o2 = ward_pool_alloc(pl);
    memset(o, 6, 48);
    memset(o2, 6, 48);
    ward_pool_free(pl, o);
    read_byte(o2);
    read_byte(o + 20);
}

static int cleanup_ok;
static unsigned char *cleanup_obj;
static void cleanup_reads(void *arg)
{
    (void)arg;
    for (int i = 0; i < 300; i++) CHECK(cleanup_obj[i] == 9);
    cleanup_ok = 1;
}

static void c_control(void)
{
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    unsigned char *keep = ward_arena_alloc(a, 13, 1);
    memset(keep, 7, 13);
    for (int round = 0; round < 3; round++) {
        ward_arena_mark_t m = ward_arena_mark(a);
        unsigned char *first = NULL;
        for (int i = 0; i < 500; i++) {
            size_t s = 1 + (size_t)i * 7 % 999;
            unsigned char *p = ward_arena_alloc(a, s, (size_t)1 << (i % 5));
            CHECK(p != NULL);
            if (i == 0) first = p;
            memset(p, i, s);
            for (size_t k = 0; k < s; k++) read_byte(p + k);
        }
        unsigned char *big = ward_arena_alloc(a, 3 * MiB + 5, 0);
        memset(big, 1, 3 * MiB + 5);
        read_byte(big + 3 * MiB + 4);
        cleanup_obj = ward_arena_alloc(a, 300, 0);
        memset(cleanup_obj, 9, 300);
        CHECK(ward_arena_defer(a, cleanup_reads, NULL) == 0);
        ward_arena_rewind(a, m);
        CHECK(cleanup_ok == 1);
        cleanup_ok = 0;
        unsigned char *again = ward_arena_alloc(a, 1, 1);
        CHECK(again == first);
        read_byte(again);
        ward_arena_rewind(a, m);
    }
    for (int i = 0; i < 13; i++) read_byte(keep + i);
    ward_arena_reset(a);
    for (int i = 0; i < 1000; i++) {
        unsigned char *p = ward_arena_alloc(a, 77, 0);
        memset(p, 1, 77);
        read_byte(p + 76);
    }
    ward_arena_destroy(a);

    ward_pool_t *pl = ward_pool_new(48, 0);
    CHECK(pl != NULL);
    unsigned char *o[100];
    for (int i = 0; i < 100; i++) {
        o[i] = ward_pool_alloc(pl);
        memset(o[i], i, 48);
    }
    for (int i = 0; i < 100; i += 2) ward_pool_free(pl, o[i]);
    for (int i = 0; i < 100; i += 2) {
        o[i] = ward_pool_alloc(pl);
        memset(o[i], i, 48);
    }
    for (int i = 0; i < 100; i++)
        for (int k = 0; k < 48; k++) read_byte(o[i] + k);
    ward_pool_destroy(pl);
}

static const struct {
    const char *name;
    void (*fn)(void);
} cases[] = {
    {"rewind", c_rewind}, {"rewind_chunk", c_rewind_chunk}, {"reset", c_reset},
    {"past_end", c_past_end}, {"pool_free", c_pool_free}, {"control", c_control},
};
#define NCASES (sizeof cases / sizeof cases[0])

static const char done[] = "arena_asan: child finished";

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "child")) {
        for (size_t i = 0; i < NCASES; i++) {
            if (strcmp(argv[2], cases[i].name)) continue;
            cases[i].fn();
            fprintf(stderr, "%s\n", done);
            return 0;
        }
        FAIL("no case %s", argv[2]);
    }
    static child_result_t r;
    int ran = 0;
    for (size_t i = 0; i < NCASES; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name)) continue;
        ran++;
        const char *args[] = {"child", cases[i].name, NULL};
        const char *env[] = {"ASAN_OPTIONS=detect_leaks=0:abort_on_error=0", NULL};
        run_child(&r, NULL, args, env);
        char how[128];
        describe_child(&r, how, sizeof how);
        int control = !strcmp(cases[i].name, "control");
        if (control) {
            CHECKF(r.exited && r.code == 0 && strstr(r.out, "AddressSanitizer") == NULL && strstr(r.out, done),
                   "control: the child %s, output:\n%s", how, r.out);
        } else {
            CHECKF(strstr(r.out, "ERROR: AddressSanitizer: use-after-poison") != NULL,
                   "%s: no use-after-poison report (child %s); output:\n%s", cases[i].name, how, r.out);
            CHECKF(strstr(r.out, "read_byte") != NULL, "%s: the report does not name the read; output:\n%s",
                   cases[i].name, r.out);
            CHECKF(!(r.exited && r.code == 0) && strstr(r.out, done) == NULL,
                   "%s: the child carried on after the report (%s)", cases[i].name, how);
            CHECKF(strstr(r.out, "ward: error") == NULL, "%s: ward reported an error:\n%s", cases[i].name, r.out);
        }
        printf("arena_asan %s: ok\n", cases[i].name);
    }
    CHECKF(ran > 0, "no case %s", argv[1]);
    return 0;
}
