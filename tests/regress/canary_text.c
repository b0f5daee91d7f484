/* canary_text — a one-byte overflow of a text byte or a NUL is always caught
 * by the guard modes' canaries.
 *
 * The canary byte after a block used to be any byte but zero: one overflow
 * in 256 that wrote the same byte went unnoticed (the bug suite's
 * overflow tests, which write 'a', failed now and then). Canary bytes are
 * now never ASCII text, NUL or 0xff.
 *
 * The child (this program re-executed with the guard library preloaded and
 * WARD_ON_ERROR=report) makes 3000 blocks of sizes 1..3000, writes one byte
 * past each ('a', ' ', '\0', 0xff in turn) and frees them: every free must
 * report a heap buffer overflow.
 *
 * usage: test_canary_text LIBRARY   (libward-hardened.so or libward-debug.so)
 */
#include "api.h"

#include "../lifetimes/child_run.c"

enum { N = 3000 };

static void child(void)
{
    static const unsigned char bytes[] = {'a', ' ', 0, 0xff};
    char *volatile *blocks = calloc(N, sizeof *blocks);
    CHECK(blocks != NULL);
    for (size_t i = 0; i < N; i++) {
        blocks[i] = malloc(i + 1);
        CHECK(blocks[i] != NULL);
        memset(blocks[i], 'x', i + 1);
        blocks[i][i + 1] = (char)bytes[i % 4]; /* one byte past the end */
    }
    for (size_t i = 0; i < N; i++) free(blocks[i]);
    fprintf(stderr, "child done\n");
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "child")) {
        child();
        return 0;
    }
    CHECKF(argc == 2, "usage: test_canary_text LIBRARY");
    char preload[4200], log[128], logenv[160];
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", argv[1]);
    snprintf(log, sizeof log, "/tmp/ward-canary-text-%d.log", (int)getpid());
    snprintf(logenv, sizeof logenv, "WARD_LOG=%s", log);
    unlink(log);
    const char *env[] = {preload, logenv, "WARD_ON_ERROR=report", "WARD_LEAKS=0", "WARD_SYMBOLIZE=0", NULL};
    const char *args[] = {"child", NULL};
    static child_result_t r;
    run_child(&r, NULL, args, env);
    char how[128];
    describe_child(&r, how, sizeof how);
    CHECKF(r.exited && r.code == 0, "child %s:\n%.2000s", how, r.out);
    size_t reports = count_log_lines(log, "ward: error: heap buffer overflow");
    unlink(log);
    CHECKF(reports == N, "%zu of %d one-byte overflows reported", reports, N);
    printf("canary_text (%s): ok\n", argv[1]);
    return 0;
}
