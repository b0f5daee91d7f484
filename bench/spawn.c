/* bench/run's launcher: runs one workload and measures it.
 *
 * usage: spawn RESULT_FILE PRELOAD TIMEOUT_S PROGRAM [ARGS...]
 *   PRELOAD: the library to put in LD_PRELOAD, or "-" for none.
 * Writes "status=N signal=N timedout=0|1 wall_ns=N cpu_ns=N maxrss_kib=N" to
 * RESULT_FILE (cpu_ns: user + system time of the child). The workload's stdout and stderr are this program's.
 *
 * Why not measure from Python: a child's ru_maxrss counts the memory of the
 * process it was forked from until its exec (Linux keeps the old mm's
 * high-water mark), so a child of the runner would start at the runner's
 * 15+ MiB. This launcher is small, so the floor is its own size (~1 MiB). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out;
static pid_t child;

static void on_alarm(int sig) {
  (void)sig;
  timed_out = 1;
  if (child > 0) kill(child, SIGKILL);
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: spawn RESULT_FILE PRELOAD TIMEOUT_S PROGRAM [ARGS...]\n");
    return 2;
  }
  const char *result = argv[1], *preload = argv[2];
  unsigned timeout = (unsigned)strtoul(argv[3], NULL, 10);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  child = fork();
  if (child < 0) {
    perror("spawn: fork");
    return 2;
  }
  if (child == 0) {
    if (strcmp(preload, "-") == 0)
      unsetenv("LD_PRELOAD");
    else
      setenv("LD_PRELOAD", preload, 1);
    execvp(argv[4], argv + 4);
    fprintf(stderr, "spawn: cannot run %s: %s\n", argv[4], strerror(errno));
    _exit(127);
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  if (timeout) alarm(timeout);
  int status = 0;
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  while (wait4(child, &status, 0, &ru) < 0) {
    if (errno != EINTR) {
      perror("spawn: wait4");
      return 2;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  alarm(0);
  long long wall = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
  FILE *f = fopen(result, "w");
  if (!f) {
    perror("spawn: result file");
    return 2;
  }
  long long cpu = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
                  (long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
  fprintf(f, "status=%d signal=%d timedout=%d wall_ns=%lld cpu_ns=%lld maxrss_kib=%ld\n",
          WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
          (int)timed_out, wall, cpu, ru.ru_maxrss);
  fclose(f);
  return 0;
}
