/* ward — the command-line front end of the ward allocator.
 *
 *     ward run [--stats] [--verbose] [--mode=MODE] [--] PROGRAM [ARGS...]
 *     ward lib [--mode=MODE]
 *     ward --help | --version
 *
 * `ward run` starts PROGRAM with the ward library preloaded (LD_PRELOAD), so
 * that every malloc, free, new and delete of the program goes to ward without
 * rebuilding it. The command itself links nothing but libc and never loads the
 * library: it only finds it, checks that it is a shared object for this
 * machine, puts it in front of the child's LD_PRELOAD and sets the WARD_*
 * variables its options stand for. The library does the rest (it prints the
 * --stats summary itself, at exit, when WARD_STATS=1).
 *
 * Finding the library. Each mode has its own file: fast is libward.so,
 * hardened libward-hardened.so, debug libward-debug.so (or the same with the
 * soname's version appended: libward.so.0). The first that exists of:
 *   1. $WARD_LIBRARY (fast mode: that file, and no search if it is missing;
 *      other modes: their file in the directory of $WARD_LIBRARY);
 *   2. the directory of this executable (a build tree: build/ward beside
 *      build/libward.so);
 *   3. ../lib/ and ../LIBDIR/ relative to that directory (an installed tree,
 *      wherever it was moved to; LIBDIR is CMake's CMAKE_INSTALL_LIBDIR);
 *   4. the absolute library directory this command was configured to be
 *      installed into (WARD_INSTALL_LIBDIR).
 *
 * Running the program. fork + execvp, with a close-on-exec pipe on which the
 * child reports an exec failure (127 when PROGRAM is not found, 126 when it
 * cannot be run, as shells do). While it waits, ward passes on the signals
 * that were sent to it alone (kill(1) on its pid: si_code <= 0) and lets
 * those the terminal sends to the whole foreground group (Ctrl-C, Ctrl-\)
 * reach the child once, directly. The child starts with the signal mask and
 * the ignored signals ward started with.
 *
 * Exit status: the program's own; if it was killed by signal N, 128 + N (the
 * shell convention), after a line on stderr saying so — except for SIGINT and
 * SIGPIPE, on which shells keep quiet too. ward's own failures (bad usage, no
 * library, fork failing) exit with 2.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef WARD_CMD_VERSION
#error "WARD_CMD_VERSION must be defined (tools/CMakeLists.txt sets it from the project version)"
#endif
#ifndef WARD_INSTALL_LIBDIR
#define WARD_INSTALL_LIBDIR "/usr/local/lib"
#endif
#ifndef DF_1_PIE
#define DF_1_PIE 0x08000000
#endif
#ifndef WARD_SOVERSION
#define WARD_SOVERSION "0"
#endif
#ifndef WARD_LIBDIR_REL
#define WARD_LIBDIR_REL "lib"
#endif

enum {
    EXIT_USAGE = 2,        /* bad usage, library missing, ward itself failed */
    EXIT_CANNOT_RUN = 126, /* PROGRAM found but could not be executed */
    EXIT_NOT_FOUND = 127,  /* PROGRAM not found */
};

static const char *const MODES[] = {"fast", "hardened", "debug"};
static const char *const MODE_FILES[] = {"libward.so", "libward-hardened.so", "libward-debug.so"};
#define NMODES (sizeof MODES / sizeof MODES[0])

/* ---- messages ---------------------------------------------------------- */

static void short_usage(FILE *f)
{
    fputs("usage: ward run [--stats] [--verbose] [--mode=MODE] [--] PROGRAM [ARGS...]\n"
          "       ward lib [--mode=MODE]\n"
          "       ward bench [--quick] [BENCH OPTIONS...]\n"
          "       ward --help | --version\n",
          f);
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ward: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    short_usage(stderr);
    fputs("Try 'ward --help' for more information.\n", stderr);
    return EXIT_USAGE;
}

static void help(void)
{
    fputs("ward " WARD_CMD_VERSION " - run programs with the ward memory allocator\n"
          "\n",
          stdout);
    short_usage(stdout);
    fputs(
        "\n"
        "Commands:\n"
        "  run [OPTIONS] [--] PROGRAM [ARGS...]\n"
        "        Run PROGRAM with ARGS, with the ward library preloaded (LD_PRELOAD,\n"
        "        put in front of any LD_PRELOAD already set), so that its malloc,\n"
        "        free, new and delete are ward's. Options end at '--' or at the first\n"
        "        argument that does not start with '-'.\n"
        "          --stats        print ward's statistics to stderr when PROGRAM exits\n"
        "                         (sets WARD_STATS=1 for it)\n"
        "          --verbose      print the options in force when ward starts in\n"
        "                         PROGRAM (sets WARD_VERBOSE=1 for it)\n"
        "          --mode=MODE    fast (the default): the allocator alone;\n"
        "                         hardened: checks against heap corruption\n"
        "                         (libward-hardened.so); debug: every block tracked,\n"
        "                         with allocation and free stacks (libward-debug.so).\n"
        "                         A mode whose library is not installed is an error.\n"
        "  lib [--mode=MODE]\n"
        "        Print the path of the library 'ward run' would preload, e.g. for\n"
        "        LD_PRELOAD=$(ward lib) PROGRAM.\n"
        "  bench [--quick] [BENCH OPTIONS...]\n"
        "        Run the benchmark suite (bench/run of ward's source tree, which\n"
        "        must be beside this command's build directory): every workload\n"
        "        under ward and under glibc, mimalloc, jemalloc and tcmalloc,\n"
        "        installed from Debian's packages when missing. --quick is a smoke\n"
        "        test in under two minutes; 'ward bench --help' lists the rest.\n"
        "  help, -h, --help       print this help\n"
        "  version, -V, --version print the version (\"ward " WARD_CMD_VERSION "\")\n"
        "\n"
        "Exit status of 'ward run':\n"
        "  PROGRAM's exit status; 128+N if PROGRAM was killed by signal N (ward then\n"
        "  prints one line about it on stderr, except for SIGINT and SIGPIPE);\n"
        "  127 if PROGRAM was not found; 126 if it was found but could not be run;\n"
        "  2 for bad usage, a missing library, or a failure of ward itself.\n"
        "  Signals sent to ward alone (kill PID) are passed on to PROGRAM; those the\n"
        "  terminal sends (Ctrl-C) reach PROGRAM directly. Set-user-ID programs\n"
        "  ignore LD_PRELOAD and so run without ward.\n"
        "\n"
        "Environment (read by the library in any program using ward, whether\n"
        "preloaded, linked with -lward, or started by 'ward run'):\n"
        "  WARD_PURGE_DELAY_MS=N  milliseconds that unused memory is kept before it\n"
        "                         is returned to the OS (WARD_VERBOSE=1 shows the\n"
        "                         value in force)\n"
        "  WARD_STATS=1           count exactly and print a statistics summary to\n"
        "                         stderr at exit: bytes in use now and at peak,\n"
        "                         reserved and resident, counts per size class, purges\n"
        "  WARD_VERBOSE=1         print the options in force at start\n"
        "  WARD_HUGE_UNMAP_MB=N   freed huge blocks of N MiB or more are unmapped at\n"
        "                         once; smaller ones are kept for reuse, then purged\n"
        "  WARD_HUGE_CACHE_MB=N   at most N MiB of freed huge blocks kept for reuse\n"
        "  WARD_ON_ERROR=abort    after reporting a memory error, abort (the default);\n"
        "  WARD_ON_ERROR=report   or report it and go on\n"
        "  WARD_LOG=PATH          append reports and statistics to PATH, not stderr\n"
        "  WARD_LEAKS=0|1         leak report at exit (on by default in debug mode)\n"
        "  WARD_SAMPLE=N          put about one allocation in N in a guarded slot:\n"
        "                         an overflow or use after free of it faults at once\n"
        "                         and is reported (default 100000; 0 turns it off)\n"
        "  WARD_UNWIND=full       record stacks with the DWARF unwinder (exact through\n"
        "                         code without frame pointers, slower; debug mode)\n"
        "  WARD_SYMBOLIZE=0       print reports' stacks as addresses and function\n"
        "                         names only, without running addr2line for file:line\n"
        "Environment read by this command:\n"
        "  WARD_LIBRARY=PATH      the library to preload in the fast mode, instead of\n"
        "                         searching for it (an error if PATH does not exist);\n"
        "                         the other modes look for their library in PATH's\n"
        "                         directory first\n"
        "Without WARD_LIBRARY the library (libward.so, or libward.so." WARD_SOVERSION ") is looked for\n",
        stdout);
    bool other_libdir = WARD_LIBDIR_REL[0] != '/' && strcmp(WARD_LIBDIR_REL, "lib") != 0;
    printf("next to this executable, then in ../lib/%s%s%s relative to it,\n"
           "then in %s/.\n",
           other_libdir ? " and ../" : "", other_libdir ? WARD_LIBDIR_REL : "", other_libdir ? "/" : "",
           WARD_INSTALL_LIBDIR);
}

/* ---- finding the library ----------------------------------------------- */

static bool is_file(const char *path)
{
    return access(path, F_OK) == 0;
}

/* Writes DIR/NAME into out; false if it does not fit. */
static bool join(char *out, size_t n, const char *dir, const char *name)
{
    int len = snprintf(out, n, "%s/%s", dir, name);
    return len > 0 && (size_t)len < n;
}

/* The directory holding this executable, without a trailing slash. */
static bool self_dir(char *out, size_t n)
{
    ssize_t len = readlink("/proc/self/exe", out, n - 1);
    if (len <= 0 || (size_t)len >= n - 1)
        return false;
    out[len] = '\0';
    char *slash = strrchr(out, '/');
    if (!slash)
        return false;
    if (slash == out)
        slash[1] = '\0';
    else
        *slash = '\0';
    return true;
}

/* Appends "  path\n" to the list of places looked at, for the error message. */
static void note_tried(char *list, size_t n, const char *path)
{
    size_t len = strlen(list);
    if (len < n)
        snprintf(list + len, n - len, "  %s\n", path);
}

/* Looks in dir for file, then for file.SOVERSION (a runtime-only install, as
 * a distribution's library package, has libward.so.0 without the libward.so
 * development link). Leaves the path found in cand; notes what it tried. */
static bool try_dir(const char *dir, const char *file, char *cand, size_t n, char *tried, size_t ntried)
{
    char versioned[PATH_MAX];
    if (!join(cand, n, dir, file))
        return false;
    if (is_file(cand))
        return true;
    note_tried(tried, ntried, cand);
    if (snprintf(versioned, sizeof versioned, "%s." WARD_SOVERSION, cand) < (int)sizeof versioned &&
        is_file(versioned)) {
        snprintf(cand, n, "%s", versioned);
        return true;
    }
    return false;
}

/* Finds the library of mode `mode` into out (an absolute path). On failure
 * prints why and returns false. */
static bool find_library(size_t mode, char *out, size_t n)
{
    const char *file = MODE_FILES[mode];
    const char *env = getenv("WARD_LIBRARY");
    char cand[PATH_MAX];
    char tried[4 * PATH_MAX] = "";

    if (env && *env) {
        char abs[PATH_MAX], cwd[PATH_MAX];
        bool ok;
        if (env[0] == '/')
            ok = (size_t)snprintf(abs, sizeof abs, "%s", env) < sizeof abs;
        else
            ok = getcwd(cwd, sizeof cwd) && join(abs, sizeof abs, strcmp(cwd, "/") ? cwd : "", env);
        if (!ok) {
            fprintf(stderr, "ward: WARD_LIBRARY=%s: path too long\n", env);
            return false;
        }
        if (mode == 0) {
            if (!is_file(abs)) {
                fprintf(stderr, "ward: WARD_LIBRARY=%s: %s\n", env, strerror(errno));
                return false;
            }
            snprintf(out, n, "%s", abs);
            return true;
        }
        *strrchr(abs, '/') = '\0';
        if (try_dir(abs, file, cand, sizeof cand, tried, sizeof tried))
            goto found;
    }

    char dir[PATH_MAX], parent[PATH_MAX];
    if (self_dir(dir, sizeof dir)) {
        /* dir itself, then ../lib and ../LIBDIR beside it */
        snprintf(parent, sizeof parent, "%s", dir);
        char *slash = strrchr(parent, '/');
        if (slash)
            *slash = '\0'; /* "" for the root: paths then start with "/" */
        const char *base = strcmp(dir, "/") ? dir : "";
        const char *places[3] = {base, NULL, NULL};
        char lib1[PATH_MAX], lib2[PATH_MAX];
        if (join(lib1, sizeof lib1, parent, "lib"))
            places[1] = lib1;
        if (WARD_LIBDIR_REL[0] != '/' && strcmp(WARD_LIBDIR_REL, "lib") != 0 &&
            join(lib2, sizeof lib2, parent, WARD_LIBDIR_REL))
            places[2] = lib2;
        for (int i = 0; i < 3; i++) {
            if (!places[i])
                continue;
            if (try_dir(places[i], file, cand, sizeof cand, tried, sizeof tried))
                goto found;
        }
    }
    if (try_dir(WARD_INSTALL_LIBDIR, file, cand, sizeof cand, tried, sizeof tried))
        goto found;

    if (mode == 0)
        fprintf(stderr, "ward: cannot find %s (nor %s." WARD_SOVERSION "); looked for:\n%s"
                        "Set WARD_LIBRARY to its path.\n", file, file, tried);
    else
        fprintf(stderr, "ward: the %s mode needs %s, which is not installed; looked for:\n%s",
                MODES[mode], file, tried);
    return false;

found:
    snprintf(out, n, "%s", cand);
    return true;
}

/* Opens an ELF file and reads its header. Returns the descriptor, or -1 with
 * *err set to an errno value, or to -1 if the file is not ELF. The header is
 * read with this machine's layout: meaningful once its class and byte order
 * are known to be ours. */
static int elf_open(const char *path, ElfW(Ehdr) *eh, int *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    ssize_t got = pread(fd, eh, sizeof *eh, 0);
    if (got == (ssize_t)sizeof *eh && memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0)
        return fd;
    *err = got < 0 ? errno : -1;
    close(fd);
    return -1;
}

/* True if the ELF file is a position-independent executable (DF_1_PIE in its
 * dynamic section) rather than a shared library: ld.so refuses to preload it. */
static bool elf_is_pie(int fd, const ElfW(Ehdr) *eh)
{
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        ElfW(Phdr) ph;
        off_t at = (off_t)(eh->e_phoff + (ElfW(Off))i * eh->e_phentsize);
        if (pread(fd, &ph, sizeof ph, at) != (ssize_t)sizeof ph)
            return false;
        if (ph.p_type != PT_DYNAMIC)
            continue;
        for (ElfW(Off) off = 0; off + sizeof(ElfW(Dyn)) <= ph.p_filesz; off += sizeof(ElfW(Dyn))) {
            ElfW(Dyn) d;
            if (pread(fd, &d, sizeof d, (off_t)(ph.p_offset + off)) != (ssize_t)sizeof d ||
                d.d_tag == DT_NULL)
                return false;
            if (d.d_tag == DT_FLAGS_1)
                return (d.d_un.d_val & DF_1_PIE) != 0;
        }
        return false;
    }
    return false;
}

/* The dynamic loader skips, with only a warning, a preload it cannot use:
 * check up front that `path` can go into LD_PRELOAD and is a shared library
 * for the machine this command runs on. */
static bool check_library(const char *path)
{
    if (strpbrk(path, " :\t\n")) {
        fprintf(stderr, "ward: %s: LD_PRELOAD cannot hold a path with a space or a colon\n", path);
        return false;
    }
    ElfW(Ehdr) lib, self;
    int err, self_err;
    int fd = elf_open(path, &lib, &err);
    if (fd < 0) {
        fprintf(stderr, "ward: %s: %s\n", path, err > 0 ? strerror(err) : "not an ELF file");
        return false;
    }
    int self_fd = elf_open("/proc/self/exe", &self, &self_err);
    bool ok = true;
    if (self_fd >= 0) {
        ok = lib.e_ident[EI_CLASS] == self.e_ident[EI_CLASS] &&
             lib.e_ident[EI_DATA] == self.e_ident[EI_DATA] && lib.e_machine == self.e_machine &&
             lib.e_type == ET_DYN && !elf_is_pie(fd, &lib);
        close(self_fd);
    }
    close(fd);
    if (!ok)
        fprintf(stderr, "ward: %s: not a shared library for this machine\n", path);
    return ok;
}

/* ---- running the program ----------------------------------------------- */

static const int FORWARDED[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM};
#define NFORWARDED (sizeof FORWARDED / sizeof FORWARDED[0])

static volatile sig_atomic_t child_pid;

static void forward_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    /* Sent by a process (kill, sigqueue, tgkill), not by the kernel: the
     * terminal's Ctrl-C already went to the child as well. */
    if (child_pid > 0 && si && si->si_code <= 0) {
        int saved = errno;
        kill((pid_t)child_pid, sig);
        errno = saved;
    }
}

/* Prepends lib to LD_PRELOAD (ld.so takes spaces and colons as separators). */
static bool set_preload(const char *lib)
{
    const char *old = getenv("LD_PRELOAD");
    if (!old || !*old)
        return setenv("LD_PRELOAD", lib, 1) == 0;
    size_t len = strlen(lib) + 1 + strlen(old) + 1;
    char *val = malloc(len);
    if (!val)
        return false;
    snprintf(val, len, "%s:%s", lib, old);
    int rc = setenv("LD_PRELOAD", val, 1);
    free(val);
    return rc == 0;
}

static int run_program(char **argv)
{
    const char *prog = argv[0];
    struct sigaction act, old_act[NFORWARDED], old_chld;
    sigset_t block, old_mask;
    bool handled[NFORWARDED] = {false};

    /* Waiting needs SIGCHLD not ignored; the child gets back what we had. */
    memset(&act, 0, sizeof act);
    act.sa_handler = SIG_DFL;
    sigemptyset(&act.sa_mask);
    sigaction(SIGCHLD, &act, &old_chld);

    sigemptyset(&block);
    for (size_t i = 0; i < NFORWARDED; i++)
        sigaddset(&block, FORWARDED[i]);
    sigprocmask(SIG_BLOCK, &block, &old_mask);

    memset(&act, 0, sizeof act);
    act.sa_sigaction = forward_signal;
    act.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&act.sa_mask);
    for (size_t i = 0; i < NFORWARDED; i++) {
        sigaction(FORWARDED[i], NULL, &old_act[i]);
        if (old_act[i].sa_handler != SIG_IGN) { /* keep ignored signals ignored */
            sigaction(FORWARDED[i], &act, NULL);
            handled[i] = true;
        }
    }

    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        fprintf(stderr, "ward: pipe: %s\n", strerror(errno));
        return EXIT_USAGE;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "ward: fork: %s\n", strerror(errno));
        return EXIT_USAGE;
    }
    if (pid == 0) {
        close(pipefd[0]);
        for (size_t i = 0; i < NFORWARDED; i++)
            if (handled[i])
                sigaction(FORWARDED[i], &old_act[i], NULL);
        sigaction(SIGCHLD, &old_chld, NULL);
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        execvp(prog, argv);
        int err = errno;
        ssize_t w;
        do
            w = write(pipefd[1], &err, sizeof err);
        while (w < 0 && errno == EINTR);
        _exit(EXIT_NOT_FOUND);
    }
    child_pid = (sig_atomic_t)pid;
    close(pipefd[1]);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);

    int exec_err = 0;
    ssize_t got;
    do
        got = read(pipefd[0], &exec_err, sizeof exec_err);
    while (got < 0 && errno == EINTR);
    close(pipefd[0]);

    int status;
    pid_t w;
    do
        w = waitpid(pid, &status, 0);
    while (w < 0 && errno == EINTR);
    child_pid = 0;
    if (w < 0) {
        fprintf(stderr, "ward: waitpid: %s\n", strerror(errno));
        return EXIT_USAGE;
    }

    if (got == (ssize_t)sizeof exec_err) {
        fprintf(stderr, "ward: %s: %s\n", prog,
                exec_err == ENOENT && !strchr(prog, '/') ? "command not found" : strerror(exec_err));
        return exec_err == ENOENT || exec_err == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        if (sig != SIGINT && sig != SIGPIPE)
            fprintf(stderr, "ward: %s: killed by signal %d (%s)%s\n", prog, sig, strsignal(sig),
                    WCOREDUMP(status) ? ", core dumped" : "");
        return 128 + sig;
    }
    return EXIT_USAGE; /* not reached: no WUNTRACED */
}

/* ---- commands ---------------------------------------------------------- */

/* Output to a closed or full stdout is an error, not a silent success. */
static int finish_stdout(int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "ward: write error: %s\n", strerror(errno));
        return rc ? rc : 1;
    }
    return rc;
}


/* Parses --mode=MODE or --mode MODE at argv[*i]. Returns 1 if it was a mode
 * option (advancing *i as needed), 0 if not, -1 on error (already reported). */
static int parse_mode(int argc, char **argv, int *i, size_t *mode)
{
    const char *val;
    if (strncmp(argv[*i], "--mode=", 7) == 0)
        val = argv[*i] + 7;
    else if (strcmp(argv[*i], "--mode") == 0) {
        if (*i + 1 >= argc)
            return usage_error("option '--mode' needs a value: fast, hardened or debug"), -1;
        val = argv[++*i];
    } else
        return 0;
    for (size_t m = 0; m < NMODES; m++)
        if (strcmp(val, MODES[m]) == 0) {
            *mode = m;
            return 1;
        }
    return usage_error("unknown mode '%s' (modes: fast, hardened, debug)", val), -1;
}

static int cmd_run(int argc, char **argv)
{
    size_t mode = 0;
    bool stats = false, verbose = false;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0')
            break;
        int m = parse_mode(argc, argv, &i, &mode);
        if (m < 0)
            return EXIT_USAGE;
        if (m > 0)
            continue;
        if (strcmp(a, "--stats") == 0)
            stats = true;
        else if (strcmp(a, "--verbose") == 0)
            verbose = true;
        else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            help();
            return finish_stdout(0);
        } else
            return usage_error("unknown option '%s' for 'ward run'", a);
    }
    if (i >= argc)
        return usage_error("'ward run' needs a PROGRAM to run");

    char lib[PATH_MAX];
    if (!find_library(mode, lib, sizeof lib) || !check_library(lib))
        return EXIT_USAGE;
    if (!set_preload(lib) || (stats && setenv("WARD_STATS", "1", 1) != 0) ||
        (verbose && setenv("WARD_VERBOSE", "1", 1) != 0)) {
        fprintf(stderr, "ward: setenv: %s\n", strerror(errno));
        return EXIT_USAGE;
    }
    return run_program(argv + i);
}

static int cmd_lib(int argc, char **argv)
{
    size_t mode = 0;
    for (int i = 1; i < argc; i++) {
        int m = parse_mode(argc, argv, &i, &mode);
        if (m < 0)
            return EXIT_USAGE;
        if (m == 0)
            return usage_error("unexpected argument '%s' for 'ward lib'", argv[i]);
    }
    char lib[PATH_MAX];
    if (!find_library(mode, lib, sizeof lib) || !check_library(lib))
        return EXIT_USAGE;
    puts(lib);
    return 0;
}

/* ward bench [ARGS]: the source tree's benchmark runner (bench/run), found
 * beside the build directory this command lives in; its arguments pass
 * through (--quick, --only, ...). The runner preloads the libward.so that
 * sits next to this command unless told otherwise. */
static int cmd_bench(int argc, char **argv)
{
    char dir[PATH_MAX], runner[PATH_MAX], lib[PATH_MAX];
    if (!self_dir(dir, sizeof dir)) {
        fprintf(stderr, "ward: bench: cannot tell where this command is\n");
        return EXIT_USAGE;
    }
    if (!join(runner, sizeof runner, dir, "../bench/run") || access(runner, X_OK) != 0) {
        fprintf(stderr, "ward: bench: no benchmark runner at %s: 'ward bench' works from a build "
                        "directory inside ward's source tree\n", runner);
        return EXIT_USAGE;
    }
    if (getenv("WARD_LIBRARY") == NULL && find_library(0, lib, sizeof lib)) setenv("WARD_LIBRARY", lib, 1);
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (args == NULL) return EXIT_USAGE;
    args[0] = runner;
    for (int i = 1; i < argc; i++) args[i] = argv[i];
    execv(runner, args);
    fprintf(stderr, "ward: bench: cannot run %s: %s\n", runner, strerror(errno));
    return 126;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("missing command");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "lib"))
        return finish_stdout(cmd_lib(argc - 1, argv + 1));
    if (!strcmp(cmd, "bench"))
        return cmd_bench(argc - 1, argv + 1);
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        help();
        return finish_stdout(0);
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V") || !strcmp(cmd, "version")) {
        puts("ward " WARD_CMD_VERSION);
        return finish_stdout(0);
    }
    if (cmd[0] == '-')
        return usage_error("unknown option '%s'", cmd);
    return usage_error("unknown command '%s'", cmd);
}
