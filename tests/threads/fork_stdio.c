/* fork_stdio — fork while other threads use stdio and allocate under a
 * stream's lock (glibc's tst-malloc-fork-deadlock, its bug 19431).
 *
 * Two threads fork in a loop (the child exits at once), five read a
 * 50 000-byte line with getline (realloc while holding the stream's lock),
 * one calls fflush(NULL) in a loop (holding stdio's list lock while it waits
 * for each stream). ward's fork handler took ward's locks before fork took
 * the list lock: the forking thread waited for the list lock, the flushing
 * thread for a stream, the reading thread (holding it) for ward's lock, and
 * the program hung (3 runs in 5). Runs 2 s; an alarm of 60 s fails it.
 */
#include "api.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#ifndef WARD_TEST_STD
#error "fork_stdio tests the standard names only (stdio must allocate through ward)"
#endif

static atomic_int stop;
static char path[] = "/tmp/ward-fork-stdio-XXXXXX";

static void *forker(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) _exit(0);
        int status;
        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    while (!atomic_load(&stop)) {
        rewind(f);
        char *line = NULL;
        size_t cap = 0;
        CHECK(getline(&line, &cap, f) == 50001);
        free(line);
    }
    fclose(f);
    return NULL;
}

static void *flusher(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) fflush(NULL);
    return NULL;
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "fork_stdio: deadlocked (no progress in 60 s)\n";
    CHECK(write(2, msg, sizeof msg - 1) >= 0);
    _exit(1);
}

int main(void)
{
    t_init();
    signal(SIGALRM, on_alarm);
    alarm(60);
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    CHECK(f != NULL);
    for (int i = 0; i < 50000; i++) fputc('x', f);
    fputc('\n', f);
    fclose(f);
    pthread_t threads[8];
    CHECK(pthread_create(&threads[0], NULL, forker, NULL) == 0);
    CHECK(pthread_create(&threads[1], NULL, forker, NULL) == 0);
    for (int i = 2; i < 7; i++) CHECK(pthread_create(&threads[i], NULL, reader, NULL) == 0);
    CHECK(pthread_create(&threads[7], NULL, flusher, NULL) == 0);
    sleep(2);
    atomic_store(&stop, 1);
    for (int i = 0; i < 8; i++) CHECK(pthread_join(threads[i], NULL) == 0);
    unlink(path);
    printf("fork_stdio (%s): ok\n", T_VARIANT);
    return 0;
}
