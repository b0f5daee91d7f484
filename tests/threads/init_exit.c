/* init_exit — allocation outside main's comfortable middle.
 *
 *  - in a constructor that runs before main (priority 101, before any other
 *    constructor of the program; the allocator may not be initialised yet):
 *    blocks of every size range, calloc, aligned_alloc, realloc and free, and
 *    blocks kept for main, which checks and frees them;
 *  - as the very first thing a new thread does, and in pthread key
 *    destructors at thread exit: the destructor checks and frees the thread's
 *    block, allocates again and re-arms the key (the destructor runs again,
 *    3 times in all), frees a block main allocated, and hands a fresh block to
 *    main, which checks and frees it after the join (2 rounds under TSan, see DTOR_ROUNDS);
 *  - in an atexit handler and a destructor function, after main returned:
 *    allocation and free of all sizes, and free of blocks allocated in main
 *    (a failure there exits with status 1).
 */
#include "api.h"

#include <pthread.h>
#include <stdatomic.h>

/* ---- before main ---------------------------------------------------- */

enum { NCTOR = 40 };
static unsigned char *ctor_blocks[NCTOR];
static size_t ctor_sizes[NCTOR];
static int ctor_ran;

__attribute__((constructor(101))) static void early_alloc(void)
{
    size_t s = 1;
    for (int i = 0; i < NCTOR; i++) {
        unsigned char *p;
        switch (i % 4) {
        case 0: p = t_malloc(s); break;
        case 1: p = t_calloc(1, s); CHECK(p != NULL); CHECK_ZERO(p, s); break;
        case 2: p = t_aligned_alloc(4096, s); CHECK(p != NULL); CHECK((uintptr_t)p % 4096 == 0); break;
        default:
            p = t_malloc(s / 2 + 1);
            CHECK(p != NULL);
            p = t_realloc(p, s);
            break;
        }
        CHECKF(p != NULL, "allocation of %zu in a constructor failed", s);
        pattern_fill(p, s, block_seed(p, s));
        ctor_blocks[i] = p;
        ctor_sizes[i] = s;
        void *tmp = t_malloc(s + 3);
        CHECK(tmp != NULL);
        t_free(tmp);
        s = s * 2 + 1; /* up to ~1 GiB virtual over all; only patterns touch it */
        if (s > 64 * MiB) s = 1000;
    }
    ctor_ran = 1;
}

/* ---- threads: first allocation and key destructors ------------------- */

/* Rounds of key destructors that allocate. TSan finishes a thread in the 4th
 * (last) round of destructors; a ward destructor re-armed by an allocation in
 * the 3rd round would run after that and crash inside TSan's interceptors, so
 * under TSan the destructor allocates in 2 rounds only. */
#ifdef WARD_TEST_TSAN
#define DTOR_ROUNDS 2
#else
#define DTOR_ROUNDS 3
#endif

enum { NTHREADS = 64 };
static pthread_key_t key, key2;
static _Thread_local int dtor_round;
static unsigned char *to_main[NTHREADS * (DTOR_ROUNDS + 1)];
static size_t to_main_size[NTHREADS * (DTOR_ROUNDS + 1)];
static atomic_int to_main_n;
static unsigned char *main_blocks[NTHREADS];

static void hand_to_main(size_t s)
{
    unsigned char *p = t_malloc(s);
    CHECKF(p != NULL, "malloc(%zu) in a key destructor failed", s);
    pattern_fill(p, s, block_seed(p, s));
    int i = atomic_fetch_add(&to_main_n, 1);
    CHECK(i < NTHREADS * (DTOR_ROUNDS + 1));
    to_main[i] = p;
    to_main_size[i] = s;
}

static void key_dtor(void *v)
{
    unsigned char *p = v;
    size_t s = 1000 + (size_t)dtor_round * 100000;
    CHECK_PATTERN(p, s, block_seed(p, s));
    t_free(p);
    /* churn, including sizes that need fresh pages */
    for (int i = 0; i < 100; i++) {
        void *q = t_malloc((size_t)i * 997 + 1);
        CHECK(q != NULL);
        memset(q, 1, (size_t)i * 997 + 1);
        t_free(q);
    }
    hand_to_main(16 + (size_t)dtor_round * 3000);
    if (++dtor_round < DTOR_ROUNDS) {
        /* re-arm: the destructor runs again (PTHREAD_DESTRUCTOR_ITERATIONS >= 4) */
        size_t ns = 1000 + (size_t)dtor_round * 100000;
        unsigned char *q = t_malloc(ns);
        CHECK(q != NULL);
        pattern_fill(q, ns, block_seed(q, ns));
        CHECK(pthread_setspecific(key, q) == 0);
    }
}

static void key2_dtor(void *v)
{
    /* a block main allocated, freed by this thread as it exits */
    unsigned char *p = v;
    CHECK_PATTERN(p, 777, block_seed(p, 777));
    t_free(p);
    hand_to_main(2 * MiB);
}

static void *thread_main(void *arg)
{
    /* the very first thing: allocate */
    unsigned char *first = t_malloc(48);
    CHECK(first != NULL);
    memset(first, 9, 48);
    size_t s = 1000;
    unsigned char *p = t_malloc(s);
    CHECK(p != NULL);
    pattern_fill(p, s, block_seed(p, s));
    CHECK(pthread_setspecific(key, p) == 0);
    CHECK(pthread_setspecific(key2, arg) == 0);
    t_free(first);
    return NULL;
}

/* ---- after main ------------------------------------------------------- */

static unsigned char *exit_blocks[64];

static void at_exit_alloc(void)
{
    for (int i = 0; i < 64; i += 2) {
        CHECK_PATTERN(exit_blocks[i], 100 + (size_t)i, block_seed(exit_blocks[i], 1));
        t_free(exit_blocks[i]);
    }
    for (size_t s = 1; s < 64 * MiB; s = s * 3 + 1) {
        unsigned char *p = t_malloc(s);
        CHECKF(p != NULL, "malloc(%zu) in an atexit handler failed", s);
        memset(p, 1, s);
        t_free(p);
    }
    fprintf(stderr, "atexit handler: ok\n");
}

__attribute__((destructor)) static void late_alloc(void)
{
    for (int i = 1; i < 64; i += 2) {
        CHECK_PATTERN(exit_blocks[i], 100 + (size_t)i, block_seed(exit_blocks[i], 1));
        t_free(exit_blocks[i]);
    }
    void *p = t_calloc(1000, 1000);
    CHECK(p != NULL);
    CHECK_ZERO(p, 1000000);
    t_free(p);
    fprintf(stderr, "destructor function: ok\n");
}

int main(void)
{
    t_init();
    CHECKF(ctor_ran, "the constructor did not run");
    for (int i = 0; i < NCTOR; i++) {
        CHECK_PATTERN(ctor_blocks[i], ctor_sizes[i], block_seed(ctor_blocks[i], ctor_sizes[i]));
        unsigned char *p = t_realloc(ctor_blocks[i], ctor_sizes[i] + 10);
        CHECK(p != NULL);
        t_free(p);
    }

    CHECK(pthread_key_create(&key, key_dtor) == 0);
    CHECK(pthread_key_create(&key2, key2_dtor) == 0);
    for (int round = 0; round < 4; round++) {
        pthread_t th[NTHREADS / 4];
        for (int i = 0; i < NTHREADS / 4; i++) {
            int idx = round * (NTHREADS / 4) + i;
            main_blocks[idx] = t_malloc(777);
            CHECK(main_blocks[idx] != NULL);
            pattern_fill(main_blocks[idx], 777, block_seed(main_blocks[idx], 777));
            CHECK(pthread_create(&th[i], NULL, thread_main, main_blocks[idx]) == 0);
        }
        for (int i = 0; i < NTHREADS / 4; i++) CHECK(pthread_join(th[i], NULL) == 0);
    }
    int n = atomic_load(&to_main_n);
    CHECKF(n == NTHREADS * (DTOR_ROUNDS + 1), "key destructors handed %d blocks to main, expected %d", n,
           NTHREADS * (DTOR_ROUNDS + 1));
    for (int i = 0; i < n; i++) {
        CHECK_PATTERN(to_main[i], to_main_size[i], block_seed(to_main[i], to_main_size[i]));
        t_free(to_main[i]);
    }

    for (int i = 0; i < 64; i++) {
        exit_blocks[i] = t_malloc(100 + (size_t)i);
        CHECK(exit_blocks[i] != NULL);
        pattern_fill(exit_blocks[i], 100 + (size_t)i, block_seed(exit_blocks[i], 1));
    }
    CHECK(atexit(at_exit_alloc) == 0);
    printf("init_exit (%s): main ok\n", T_VARIANT);
    fflush(stdout);
    return 0;
}
