/* guard_metadata — the guard modes' per-block metadata and quarantine, one
 * CTest case per argument and library.
 *
 *  trailer     the 8 bytes after a 32-byte block's canary hold its trailer
 *              (p + 40 in both guard modes: hardened blocks of 48 bytes,
 *              debug blocks of 96 with a 48-byte left redzone); rewriting
 *              any one of those bytes of a live block, without touching the
 *              canary, is reported when it is freed (8 blocks, one byte
 *              each);
 *  state_flip  the trailer's state byte of a freed 800-byte block rewritten
 *              to "live", as a write after free could: a second free is
 *              reported, not taken. The trailer of such a block is at
 *              p + OFFSET (given: 888 hardened, 840 debug), and its canary
 *              lies outside what the free pattern covers, so only the
 *              trailer's checksum can tell (the state was once outside it,
 *              and such a second free went through in hardened mode);
 *  delay       a freed 48-byte block is not handed out again before RING
 *              further frees of that size (the quarantine ring: 1024 blocks
 *              hardened, 16384 debug), and is handed out again later.
 *
 * The child is this program re-executed with the guard library preloaded,
 * WARD_ON_ERROR=report and WARD_LOG; the parent counts the reports.
 *
 * usage: test_guard_metadata CASE LIBRARY [RING | OFFSET]
 */
#include "api.h"

#include "../lifetimes/child_run.c"

#define TRAILER_AT 40 /* from the user pointer of a 32-byte block */

static void child_trailer(void)
{
    for (int k = 0; k < 8; k++) {
        unsigned char *volatile p = malloc(32); /* the compiler must not see the bounds */
        CHECK(p != NULL);
        memset(p, 'x', 32);
        p[TRAILER_AT + k] ^= 0x5a;
        free(p);
    }
}

static void child_state_flip(size_t trailer_offset)
{
    unsigned char *volatile p = malloc(800);
    CHECK(p != NULL);
    memset(p, 'x', 800);
    free(p);
    p[trailer_offset + 4] ^= 0xa1 ^ 0xf4; /* freed -> live */
    free(p);
}

static void child_delay(size_t ring)
{
    void *first = malloc(48);
    CHECK(first != NULL);
    free(first);
    for (size_t i = 0; i + 1 < ring; i++) {
        void *q = malloc(48);
        CHECKF(q != first, "a freed block came back after %zu frees (ring %zu)", i + 1, ring);
        free(q);
    }
    for (size_t i = 0; i < 50 * ring; i++) {
        void *q = malloc(48);
        free(q);
        if (q == first) return;
    }
    FAIL("the freed block never came back in %zu frees", 51 * ring);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "child")) {
        if (!strcmp(argv[2], "trailer")) child_trailer();
        else if (!strcmp(argv[2], "state_flip") && argc == 4) child_state_flip(strtoul(argv[3], NULL, 10));
        else if (!strcmp(argv[2], "delay") && argc == 4) child_delay(strtoul(argv[3], NULL, 10));
        else FAIL("unknown child case %s", argv[2]);
        return 0;
    }
    CHECKF(argc >= 3, "usage: test_guard_metadata CASE LIBRARY [RING | OFFSET]");
    const char *what = argv[1];
    char preload[4200], log[128], logenv[160];
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", argv[2]);
    snprintf(log, sizeof log, "/tmp/ward-guard-metadata-%d.log", (int)getpid());
    snprintf(logenv, sizeof logenv, "WARD_LOG=%s", log);
    unlink(log);
    const char *env[] = {preload, logenv, "WARD_ON_ERROR=report", "WARD_LEAKS=0", "WARD_SYMBOLIZE=0",
                         "WARD_SAMPLE=0", NULL};
    const char *args[] = {"child", what, argc > 3 ? argv[3] : NULL, NULL};
    static child_result_t r;
    run_child(&r, NULL, args, env);
    char how[128];
    describe_child(&r, how, sizeof how);
    CHECKF(r.exited && r.code == 0, "child %s:\n%.2000s", how, r.out);
    size_t reports = count_log_lines(log, "ward: error: ");
    unlink(log);
    size_t want = !strcmp(what, "trailer") ? 8 : !strcmp(what, "state_flip") ? 1 : 0;
    CHECKF(reports == want, "%s: %zu reports, expected %zu", what, reports, want);
    printf("guard_metadata %s (%s): ok\n", what, argv[2]);
    return 0;
}
