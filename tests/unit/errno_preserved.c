/* errno_preserved — successful calls leave errno alone.
 *
 * errno is set to 1234, then every function is called successfully many times
 * over all size ranges (including sizes that reach fresh memory from the OS,
 * frees that return memory, huge blocks mapped and unmapped, trims, the first
 * allocation of a new thread, and — run with WARD_PURGE_DELAY_MS=0 — purges
 * during the calls); after each call errno must still be 1234.
 */
#include "api.h"

#include <pthread.h>

#define KEEP(call)                                                                           \
    do {                                                                                     \
        errno = 1234;                                                                        \
        call;                                                                                \
        CHECKF(errno == 1234, "errno changed to %d (%s) by a successful %s", errno,          \
               strerror(errno), #call);                                                      \
    } while (0)

static void churn(uint64_t seed, int iters)
{
    rng_t r;
    rng_seed(&r, seed);
    enum { N = 256 };
    void *live[N] = {0};
    for (int it = 0; it < iters; it++) {
        int i = (int)rng_range(&r, 0, N - 1);
        if (live[i]) KEEP(t_free(live[i]));
        size_t s;
        unsigned k = (unsigned)rng_range(&r, 0, 99);
        if (k < 70) s = rng_range(&r, 0, 1024);
        else if (k < 95) s = rng_logsize(&r, 1024, 512 * KiB);
        else if (k < 99) s = rng_logsize(&r, 512 * KiB, 8 * MiB);
        else s = rng_logsize(&r, 8 * MiB, 128 * MiB);
        void *p = NULL;
        size_t asz = s, al = 0; /* what free_sized / free_aligned_sized must be told */
        int sized_ok = 1;
        switch (rng_range(&r, 0, 7)) {
        case 0: KEEP(p = t_calloc(1, s)); break;
        case 1:
            al = (size_t)1 << rng_range(&r, 3, 16);
            KEEP(p = t_aligned_alloc(al, s));
            break;
        case 2: {
            int rc;
            KEEP(rc = t_posix_memalign(&p, (size_t)1 << rng_range(&r, 3, 16), s));
            CHECK(rc == 0);
            sized_ok = 0;
            break;
        }
        case 3:
            KEEP(p = t_memalign((size_t)1 << rng_range(&r, 0, 16), s));
            sized_ok = 0;
            break;
        case 4: {
            void *q;
            KEEP(q = t_malloc(s / 2 + 1));
            CHECK(q != NULL);
            KEEP(p = t_realloc(q, s + 1));
            asz = s + 1;
            break;
        }
        case 5:
            KEEP(p = t_reallocarray(NULL, 1, s + 1));
            asz = s + 1;
            break;
        default: KEEP(p = t_malloc(s)); break;
        }
        CHECKF(p != NULL, "allocation of %zu failed", s);
        size_t u;
        KEEP(u = t_usable_size(p));
        CHECK(u >= s);
        if (s > 0) memset(p, 0x11, s < 8192 ? s : 8192);
        if (sized_ok && rng_range(&r, 0, 9) == 0) {
            if (al) KEEP(t_free_aligned_sized(p, al, asz));
            else KEEP(t_free_sized(p, asz));
            p = NULL;
        }
        live[i] = p;
        if (it % 5000 == 0) KEEP(t_free(NULL));
    }
    for (int i = 0; i < N; i++) KEEP(t_free(live[i]));
}

static void *thread_main(void *arg)
{
    /* the first allocation of a thread sets up its heap */
    void *p;
    KEEP(p = t_malloc(24));
    CHECK(p != NULL);
    KEEP(t_free(p));
    churn((uint64_t)(uintptr_t)arg, 5000);
    return NULL;
}

int main(void)
{
    t_init();
    churn(1, 40000);

    /* huge blocks mapped and unmapped */
    for (int i = 0; i < 10; i++) {
        void *p;
        KEEP(p = t_malloc(300 * MiB));
        CHECK(p != NULL);
        memset(p, 1, 4096);
        KEEP(t_free(p));
        KEEP(p = t_calloc(1, 600 * MiB));
        CHECK(p != NULL);
        KEEP(t_free(p));
    }

    /* freeing most of the heap, then trimming */
    {
        enum { N = 20000 };
        void **v = raw_alloc(N * sizeof *v);
        for (int i = 0; i < N; i++) {
            KEEP(v[i] = t_malloc(1000 + (size_t)(i % 7) * 3000));
            CHECK(v[i] != NULL);
            memset(v[i], 2, 1000);
        }
        for (int i = 0; i < N; i++) KEEP(t_free(v[i]));
        raw_free(v, N * sizeof *v);
        int rc;
        KEEP(rc = t_trim());
        CHECK(rc == 0 || rc == 1);
        KEEP(ward_trim());
    }

    /* new threads */
    for (int i = 0; i < 8; i++) {
        pthread_t t;
        CHECK(pthread_create(&t, NULL, thread_main, (void *)(uintptr_t)(i + 100)) == 0);
        CHECK(pthread_join(t, NULL) == 0);
    }

    /* introspection */
    ward_stats_t st;
    KEEP(ward_stats_get(&st));
    const char *v;
    KEEP(v = ward_version());
    CHECK(v != NULL);

    printf("errno_preserved (%s): ok\n", T_VARIANT);
    return 0;
}
