/* fork — fork while other threads allocate; the child must not deadlock.
 *
 * 4 threads allocate, fill, hand over (through a shared slot array, with
 * atomic exchange) and free blocks of all sizes in a loop. Meanwhile main
 * forks 30 times (8 under TSan), and one of the workers forks too. Each child:
 *  - checks a set of blocks main allocated before starting the threads, and
 *    frees half of them;
 *  - frees the blocks it finds in the shared slots (allocated by threads that
 *    do not exist in the child);
 *  - mallocs/frees a lot, all sizes up to 16 MiB, patterns checked;
 *  - outside TSan, starts a thread that allocates too;
 *  - exits 0.
 * The parent waits for each child with a 30 s deadline: a child that has not
 * exited by then is deadlocked (killed, and the test fails). An alarm also
 * bounds the whole test.
 */
#include "api.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#ifdef WARD_TEST_TSAN
#define FORKS 8
#else
#define FORKS 30
#endif
#define WORKERS 4
#define SLOTS 1024

typedef struct {
    unsigned char *p;
    size_t size;
} blk_t;

/* a slot holds a pointer to a block whose first 8 bytes are its size */
static _Atomic(unsigned char *) slots[SLOTS];
static atomic_int stop;
static blk_t premade[256];

static size_t pick_size(rng_t *r)
{
    unsigned k = (unsigned)rng_range(r, 0, 999);
    if (k < 900) return rng_logsize(r, 8, 1024);
    if (k < 995) return rng_logsize(r, 1024, 256 * KiB);
    return rng_logsize(r, 256 * KiB, 4 * MiB);
}

static unsigned char *make(rng_t *r)
{
    size_t s = pick_size(r);
    unsigned char *p = t_malloc(s);
    CHECK(p != NULL);
    memcpy(p, &s, sizeof s);
    pattern_fill(p + 8, s - 8, block_seed(p, s));
    return p;
}
static void check_free(unsigned char *p)
{
    size_t s;
    memcpy(&s, p, sizeof s);
    CHECKF(s >= 8 && s <= 4 * MiB, "block %p has a corrupt size header %zu", (void *)p, s);
    CHECK_PATTERN(p + 8, s - 8, block_seed(p, s));
    t_free(p);
}

static void child_work(int in_thread);

static TEST_UNUSED void *child_thread(void *arg)
{
    (void)arg;
    child_work(1);
    return NULL;
}

static void child_work(int in_thread)
{
    alarm(20);
    if (!in_thread) {
        for (int i = 0; i < 256; i++) CHECK_PATTERN(premade[i].p, premade[i].size, block_seed(premade[i].p, 1));
        for (int i = 0; i < 256; i += 2) t_free(premade[i].p);
        for (int i = 0; i < SLOTS; i++) {
            unsigned char *p = atomic_exchange(&slots[i], NULL);
            if (p) check_free(p);
        }
    }
    rng_t r;
    rng_seed(&r, (uint64_t)getpid() * 2 + (uint64_t)in_thread);
    unsigned char *mine[128] = {0};
    for (int i = 0; i < 5000; i++) {
        int k = (int)rng_range(&r, 0, 127);
        if (mine[k]) check_free(mine[k]);
        mine[k] = make(&r);
    }
    for (int k = 0; k < 128; k++)
        if (mine[k]) check_free(mine[k]);
    for (size_t s = 1; s <= 16 * MiB; s = s * 4 + 1) {
        void *p = t_calloc(1, s);
        CHECK(p != NULL);
        t_free(p);
    }
#ifndef WARD_TEST_TSAN
    if (!in_thread) {
        pthread_t t;
        CHECK(pthread_create(&t, NULL, child_thread, NULL) == 0);
        CHECK(pthread_join(t, NULL) == 0);
    }
#endif
}

/* waits up to 30 s for the child; fails the test if it hangs or fails */
static void reap(pid_t pid, const char *who)
{
    double deadline = now_sec() + 30;
    int st;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        CHECKF(r >= 0, "waitpid: %s", strerror(errno));
        if (r == pid) break;
        if (now_sec() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            FAIL("a child forked by %s did not exit within 30 s: deadlock after fork", who);
        }
        usleep(2000);
    }
    if (WIFSIGNALED(st))
        FAIL("a child forked by %s was killed by signal %d (%s)%s", who, WTERMSIG(st), strsignal(WTERMSIG(st)),
             WTERMSIG(st) == SIGALRM ? ": it hung" : "");
    CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a child forked by %s exited with status %d", who,
           WEXITSTATUS(st));
}

static void do_fork(const char *who)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    CHECKF(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        child_work(0);
        exit(0);
    }
    reap(pid, who);
}

static void *worker(void *arg)
{
    int id = (int)(uintptr_t)arg;
    rng_t r;
    rng_seed(&r, (uint64_t)id + 1);
    int forks = 0;
    unsigned long it = 0;
    while (!atomic_load(&stop)) {
        int i = (int)rng_range(&r, 0, SLOTS - 1);
        unsigned char *p = atomic_exchange(&slots[i], make(&r));
        if (p) check_free(p);
        /* local churn too */
        unsigned char *q = make(&r);
        check_free(q);
        if (id == 0 && ++it % 20000 == 0 && forks < 5) {
            do_fork("a worker thread");
            forks++;
        }
    }
    return NULL;
}

int main(void)
{
    t_init();
    alarm(600);
    for (int i = 0; i < 256; i++) {
        premade[i].size = 1 + (size_t)i * 101;
        premade[i].p = t_malloc(premade[i].size);
        CHECK(premade[i].p != NULL);
        pattern_fill(premade[i].p, premade[i].size, block_seed(premade[i].p, 1));
    }
    pthread_t th[WORKERS];
    for (int i = 0; i < WORKERS; i++) CHECK(pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i) == 0);
    for (int f = 0; f < FORKS; f++) {
        usleep(5000);
        do_fork("main");
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < WORKERS; i++) CHECK(pthread_join(th[i], NULL) == 0);
    for (int i = 0; i < SLOTS; i++) {
        unsigned char *p = atomic_exchange(&slots[i], NULL);
        if (p) check_free(p);
    }
    for (int i = 0; i < 256; i++) {
        CHECK_PATTERN(premade[i].p, premade[i].size, block_seed(premade[i].p, 1));
        t_free(premade[i].p);
    }
    printf("fork (%s): ok\n", T_VARIANT);
    return 0;
}
