/* arena_valgrind — under valgrind's memcheck, arena and pool memory that
 * ward took back is reported when read (ward describes its chunks to
 * memcheck as mempools through client requests).
 *
 * Skipped (77) when `valgrind` is not installed. Each case runs this program
 * again under `valgrind --error-exitcode=9` (see child_run.c):
 *   rewind   reading memory handed out after a mark, once rewound: memcheck
 *            reports one "Invalid read" of a block "free'd" by
 *            ward_arena_rewind and the child exits 9;
 *   reset    the same after ward_arena_reset;
 *   pool     reading a pool object after ward_pool_free;
 *   control_arena, control_pool
 *            writing and reading all allocated memory (including memory
 *            handed out again after a rewind, a reset or a pool free, and
 *            big blocks) gives no error: exit 0 and "ERROR SUMMARY: 0 errors".
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
    read_byte(p);
    read_byte(q + 50);
    ward_arena_destroy(a);
}

static void c_reset(void)
{
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    unsigned char *p = ward_arena_alloc(a, 64, 0);
    memset(p, 4, 64);
    ward_arena_reset(a);
    read_byte(p + 10);
    ward_arena_destroy(a);
}

static void c_pool(void)
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
    ward_pool_destroy(pl);
}

static void c_control_arena(void)
{
    ward_arena_t *a = ward_arena_new(0);
    CHECK(a != NULL);
    for (int round = 0; round < 3; round++) {
        ward_arena_mark_t m = ward_arena_mark(a);
        for (int i = 0; i < 300; i++) {
            size_t s = 1 + (size_t)i * 7 % 999;
            unsigned char *p = ward_arena_alloc(a, s, (size_t)1 << (i % 5));
            CHECK(p != NULL);
            memset(p, i, s);
            for (size_t k = 0; k < s; k += 7) read_byte(p + k);
            read_byte(p + s - 1);
        }
        unsigned char *big = ward_arena_alloc(a, 3 * MiB + 5, 0);
        memset(big, 1, 3 * MiB + 5);
        read_byte(big + 3 * MiB + 4);
        ward_arena_rewind(a, m);
    }
    ward_arena_reset(a);
    for (int i = 0; i < 1000; i++) {
        unsigned char *p = ward_arena_alloc(a, 77, 0);
        memset(p, 1, 77);
        read_byte(p + 76);
    }
    ward_arena_destroy(a);
}

static void c_control_pool(void)
{
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
    const char *released_by; /* the function memcheck names as freeing the block */
} cases[] = {
    {"rewind", c_rewind, "ward_arena_rewind"},
    {"reset", c_reset, "ward_arena_reset"},
    {"pool", c_pool, "ward_pool_free"},
    {"control_arena", c_control_arena, NULL},
    {"control_pool", c_control_pool, NULL},
};
#define NCASES (sizeof cases / sizeof cases[0])

static const char done[] = "arena_valgrind: child finished";

static int have_valgrind(void)
{
    const char *path = getenv("PATH");
    if (path == NULL) return 0;
    char buf[4096];
    while (*path) {
        size_t n = strcspn(path, ":");
        if (n > 0 && n < sizeof buf - 16) {
            memcpy(buf, path, n);
            strcpy(buf + n, "/valgrind");
            if (access(buf, X_OK) == 0) return 1;
        }
        path += n;
        if (*path == ':') path++;
    }
    return 0;
}

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
    if (!have_valgrind()) {
        printf("arena_valgrind: valgrind is not installed: skipped\n");
        return TEST_SKIP_CODE;
    }
    static child_result_t r;
    int ran = 0;
    for (size_t i = 0; i < NCASES; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name)) continue;
        ran++;
        const char *wrapper[] = {"valgrind", "--error-exitcode=9", "--leak-check=no", NULL};
        const char *args[] = {"child", cases[i].name, NULL};
        run_child(&r, wrapper, args, NULL);
        char how[128];
        describe_child(&r, how, sizeof how);
        if (cases[i].released_by == NULL) {
            CHECKF(r.exited && r.code == 0 && strstr(r.out, "ERROR SUMMARY: 0 errors") && strstr(r.out, done),
                   "%s: the child %s under valgrind; output:\n%s", cases[i].name, how, r.out);
        } else {
            CHECKF(r.exited && r.code == 9, "%s: the child %s under valgrind, expected exit 9; output:\n%s",
                   cases[i].name, how, r.out);
            CHECKF(strstr(r.out, "Invalid read of size 1") != NULL && strstr(r.out, "free'd") != NULL &&
                       strstr(r.out, cases[i].released_by) != NULL,
                   "%s: no invalid read of a block released by %s reported; output:\n%s", cases[i].name,
                   cases[i].released_by, r.out);
            CHECKF(strstr(r.out, "ERROR SUMMARY: 1 errors") != NULL,
                   "%s: expected exactly one error (the read of released memory); output:\n%s", cases[i].name,
                   r.out);
        }
        printf("arena_valgrind %s: ok\n", cases[i].name);
    }
    CHECKF(ran > 0, "no case %s", argv[1]);
    return 0;
}
