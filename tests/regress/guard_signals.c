/* guard_signals — regressions of the guard and sampling code, each in a
 * child process (this program re-executed with a ward library preloaded):
 *
 *  raise   sampling on (the handler for faults in sampled slots installed):
 *          a SIGSEGV the program sends itself with raise() must still kill
 *          it. ward's handler used to give it back to the previous handler
 *          by reinstalling it and returning, which swallowed sent signals
 *          (only real faults happen again). Run with the fast library.
 *  waf     debug mode: a 64-byte block freed, written while quarantined, and
 *          never handed out again (only 200-byte blocks follow, and another
 *          block keeps its page in use): the write is reported when the
 *          block leaves the quarantine (debug builds used to check only at
 *          reuse and page release, and missed it).
 *
 * usage: test_guard_signals raise|waf LIBRARY
 */
#include "api.h"

#include "../lifetimes/child_run.c"

static void child_raise(void)
{
    void **keep = calloc(1000, sizeof *keep);
    for (int i = 0; i < 1000; i++) keep[i] = malloc((size_t)(i % 200) + 1);
    struct sigaction old;
    sigaction(SIGSEGV, NULL, &old);
    fprintf(stderr, "handler installed: %s\n", old.sa_handler == SIG_DFL ? "no" : "yes");
    raise(SIGSEGV);
    fprintf(stderr, "still running after raise(SIGSEGV)\n");
}

static void child_waf(void)
{
    char *volatile keep = malloc(64);
    char *volatile p = malloc(64);
    free(p);
    p[20] = 1; /* write after free, while quarantined */
    for (int i = 0; i < 40000; i++) {
        void *volatile a = malloc(200);
        free(a);
    }
    fprintf(stderr, "child done\n");
    (void)keep;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "child")) {
        if (!strcmp(argv[2], "raise")) child_raise();
        else child_waf();
        return 0;
    }
    CHECKF(argc == 3, "usage: test_guard_signals raise|waf LIBRARY");
    char preload[4200];
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", argv[2]);
    static child_result_t r;
    char how[128];
    if (!strcmp(argv[1], "raise")) {
        const char *env[] = {preload, "WARD_SAMPLE=1", NULL};
        const char *args[] = {"child", "raise", NULL};
        run_child(&r, NULL, args, env);
        describe_child(&r, how, sizeof how);
        CHECKF(strstr(r.out, "handler installed: yes") != NULL, "sampling did not set up its handler:\n%s", r.out);
        CHECKF(r.signaled && r.sig == SIGSEGV, "raise(SIGSEGV) under sampling: child %s:\n%s", how, r.out);
    } else {
        const char *env[] = {preload, "WARD_SYMBOLIZE=0", "WARD_LEAKS=0", NULL};
        const char *args[] = {"child", "waf", NULL};
        run_child(&r, NULL, args, env);
        describe_child(&r, how, sizeof how);
        CHECKF(strstr(r.out, "ward: error: write after free") != NULL,
               "a write to a quarantined block never reused went unreported: child %s:\n%s", how, r.out);
        CHECKF(r.signaled && r.sig == SIGABRT, "child %s after the report:\n%s", how, r.out);
    }
    printf("guard_signals %s (%s): ok\n", argv[1], argv[2]);
    return 0;
}
