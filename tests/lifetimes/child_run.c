/* child_run.c — run this test program again as a child process and collect
 * what it wrote, for the tests whose expected outcome is the death of the
 * process (an abort by ward's error report, an AddressSanitizer report, a
 * valgrind error exit). Not a test of its own: #included by
 * lifetime_errors.c, arena_asan.c and arena_valgrind.c.
 *
 * run_child() re-executes /proc/self/exe (optionally under a wrapper such as
 * valgrind) with the given arguments and extra environment variables, the
 * child's stdout and stderr going into one pipe; WARD_ON_ERROR is removed
 * from the inherited environment, so the child sees ward's default unless
 * the caller passes WARD_ON_ERROR=... itself. Re-executing (rather than only
 * forking) lets the child's ward read its options from scratch, as a program
 * started with that environment would. The child has no core dumps and an
 * alarm of 120 s (kept across execve), so a hang ends as SIGALRM.
 */
#include "check.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char **environ;

typedef struct {
    int exited;   /* exited normally, with status `code` */
    int code;
    int signaled; /* killed by signal `sig` */
    int sig;
    size_t len;
    char out[65536]; /* what the child wrote (truncated), NUL-terminated */
} child_result_t;

static TEST_UNUSED void describe_child(const child_result_t *r, char *buf, size_t cap)
{
    if (r->signaled) snprintf(buf, cap, "killed by signal %d (%s)", r->sig, strsignal(r->sig));
    else if (r->exited) snprintf(buf, cap, "exited with status %d", r->code);
    else snprintf(buf, cap, "ended in an unknown way");
}

/* wrapper: NULL, or a NULL-terminated argv prefix (wrapper[0] looked up in PATH).
 * args: NULL-terminated arguments after the program name.
 * env: NULL-terminated "NAME=value" strings added to the environment. */
static TEST_UNUSED void run_child(child_result_t *r, const char *const *wrapper, const char *const *args,
                                  const char *const *env)
{
    static char self[4096];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECKF(sl > 0, "readlink /proc/self/exe: %s", strerror(errno));
    self[sl] = 0;

    const char *argv[64];
    size_t na = 0;
    if (wrapper)
        for (size_t i = 0; wrapper[i] && na < 40; i++) argv[na++] = wrapper[i];
    argv[na++] = self;
    for (size_t i = 0; args[i] && na < 63; i++) argv[na++] = args[i];
    argv[na] = NULL;

    /* the extra variables first: getenv finds the first of duplicates */
    static const char *envp[1024];
    size_t ne = 0;
    if (env)
        for (size_t i = 0; env[i] && ne < 64; i++) envp[ne++] = env[i];
    for (char **e = environ; *e && ne < 1023; e++)
        if (strncmp(*e, "WARD_ON_ERROR=", 14) != 0) envp[ne++] = *e;
    envp[ne] = NULL;

    int fds[2];
    CHECKF(pipe(fds) == 0, "pipe: %s", strerror(errno));
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    CHECKF(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[1]);
        struct rlimit nocore = {0, 0};
        setrlimit(RLIMIT_CORE, &nocore);
        alarm(120);
        if (wrapper) execvpe(argv[0], (char *const *)argv, (char *const *)envp);
        else execve(self, (char *const *)argv, (char *const *)envp);
        static const char msg[] = "child_run: exec failed\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        _exit(127);
    }
    close(fds[1]);
    r->len = 0;
    for (;;) {
        char buf[4096];
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        size_t room = sizeof r->out - 1 - r->len;
        size_t take = (size_t)n < room ? (size_t)n : room;
        memcpy(r->out + r->len, buf, take);
        r->len += take;
    }
    r->out[r->len] = 0;
    close(fds[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) CHECKF(errno == EINTR, "waitpid: %s", strerror(errno));
    r->exited = WIFEXITED(st);
    r->code = r->exited ? WEXITSTATUS(st) : -1;
    r->signaled = WIFSIGNALED(st);
    r->sig = r->signaled ? WTERMSIG(st) : 0;
}

/* How many lines of the file at `path` (a child's WARD_LOG) start with
 * `prefix`. */
static TEST_UNUSED size_t count_log_lines(const char *path, const char *prefix)
{
    FILE *f = fopen(path, "r");
    CHECKF(f != NULL, "no report log %s: %s", path, strerror(errno));
    size_t n = 0, len = strlen(prefix);
    char line[4096];
    while (fgets(line, sizeof line, f) != NULL)
        if (!strncmp(line, prefix, len)) n++;
    fclose(f);
    return n;
}
