/* stress — many threads, random sizes, blocks handed between threads.
 *
 * WARD_STRESS_THREADS workers (default 12: more than the cores) run for
 * WARD_STRESS_SECONDS (default 6; CTest sets less under TSan); the random
 * seed is printed, and WARD_STRESS_SEED sets it. A shared table
 * of 4096 slots is swapped with atomic exchange, so most blocks are freed by a
 * thread other than the one that allocated them. Each block carries a header
 * (its size, the allocating call) and is filled with a pattern derived from
 * its address and size, checked in full before every free and realloc: two
 * live blocks that overlap, a block handed out twice or memory changed under
 * a live block is caught.
 *
 * Operations: malloc (sizes 1 byte..4 MiB, mostly small), calloc (checked
 * zero), aligned_alloc/posix_memalign (alignment checked), realloc of a block
 * taken from a slot (prefix checked), usable_size, and a per-thread list of
 * blocks freed by their own thread. Workers exit after a random number of
 * operations and main starts new ones, so threads are created and exit during
 * the whole run (and some short-lived threads only allocate into slots and
 * exit). At the end main drains and checks every slot.
 */
#include "api.h"

#include <pthread.h>
#include <stdatomic.h>

#define SLOTS 4096
#define MAXT 64

/* every block starts with this header; the pattern covers the rest */
typedef struct {
    size_t size;  /* requested size, header included */
    uint32_t kind; /* K_PLAIN (malloc, calloc, realloc), K_ALIGNED (aligned_alloc), K_POSIX */
    uint32_t align;
    uint64_t tag; /* mix of address, size and kind: a second check of the header */
} hdr_t;
enum { K_PLAIN = 1, K_ALIGNED, K_POSIX };

static _Atomic(unsigned char *) slots[SLOTS];
static atomic_int stop;
static atomic_ulong total_ops;

static uint64_t hdr_tag(const void *p, size_t s, uint32_t kind, uint32_t align)
{
    return pattern_mix((uint64_t)(uintptr_t)p ^ (s * 0x9E37) ^ ((uint64_t)kind << 40) ^ ((uint64_t)align << 44));
}

static size_t pick_size(rng_t *r)
{
    unsigned k = (unsigned)rng_range(r, 0, 9999);
    if (k < 8000) return rng_logsize(r, 1, 256);
    if (k < 9700) return rng_logsize(r, 256, 32 * KiB);
    if (k < 9980) return rng_logsize(r, 32 * KiB, 1 * MiB);
    return rng_logsize(r, 1 * MiB, 4 * MiB);
}

static void stamp(unsigned char *p, size_t s, uint32_t kind, uint32_t align)
{
    hdr_t h = {s, kind, align, hdr_tag(p, s, kind, align)};
    memcpy(p, &h, sizeof h);
    pattern_fill(p + sizeof h, s - sizeof h, block_seed(p, s));
}

static hdr_t verify(unsigned char *p)
{
    hdr_t h;
    memcpy(&h, p, sizeof h);
    CHECKF(h.size >= sizeof h && h.size <= 4 * MiB + sizeof h && h.tag == hdr_tag(p, h.size, h.kind, h.align),
           "block %p: header corrupted (size %zu, kind %u, tag %llx): overlapping blocks or a double hand-out",
           (void *)p, h.size, h.kind, (unsigned long long)h.tag);
    CHECK_PATTERN(p + sizeof h, h.size - sizeof h, block_seed(p, h.size));
    CHECKF(t_usable_size(p) >= h.size, "usable_size(%p) = %zu < %zu", (void *)p, t_usable_size(p), h.size);
    return h;
}

/* checks the block and frees it one of the ways its kind allows */
static void verify_free(unsigned char *p, unsigned how)
{
    hdr_t h = verify(p);
    if (how % 2 == 0) t_free(p);
    else if (h.kind == K_PLAIN) t_free_sized(p, h.size);
    else if (h.kind == K_ALIGNED) t_free_aligned_sized(p, h.align, h.size);
    else t_free(p);
}

static unsigned char *make(rng_t *r)
{
    size_t s = pick_size(r);
    if (s < sizeof(hdr_t)) s = sizeof(hdr_t) + s;
    unsigned char *p;
    uint32_t kind = K_PLAIN, align = 0;
    switch (rng_range(r, 0, 19)) {
    case 0:
        p = t_calloc(1, s);
        CHECKF(p != NULL, "calloc(1, %zu) failed", s);
        CHECK_ZERO(p, s);
        break;
    case 1: {
        size_t a = (size_t)1 << rng_range(r, 4, 14);
        p = t_aligned_alloc(a, s);
        CHECKF(p != NULL, "aligned_alloc(%zu, %zu) failed", a, s);
        CHECKF((uintptr_t)p % a == 0, "aligned_alloc(%zu) = %p misaligned", a, (void *)p);
        kind = K_ALIGNED;
        align = (uint32_t)a;
        break;
    }
    case 2: {
        size_t a = (size_t)1 << rng_range(r, 3, 12);
        void *q = NULL;
        CHECK(t_posix_memalign(&q, a, s) == 0);
        CHECKF((uintptr_t)q % a == 0, "posix_memalign(%zu) = %p misaligned", a, q);
        p = q;
        kind = K_POSIX;
        break;
    }
    default:
        p = t_malloc(s);
        CHECKF(p != NULL, "malloc(%zu) failed", s);
        CHECKF(s < 16 || (uintptr_t)p % 16 == 0, "malloc(%zu) = %p not 16-aligned", s, (void *)p);
        break;
    }
    stamp(p, s, kind, align);
    return p;
}

static unsigned char *grow_or_shrink(rng_t *r, unsigned char *p)
{
    hdr_t h = verify(p);
    size_t s = h.size;
    size_t ns = pick_size(r);
    if (ns < sizeof(hdr_t)) ns = sizeof(hdr_t) + ns;
    unsigned char *q = t_realloc(p, ns);
    CHECKF(q != NULL, "realloc(%zu -> %zu) failed", s, ns);
    CHECKF(ns < 16 || (uintptr_t)q % 16 == 0, "realloc(.., %zu) = %p not 16-aligned", ns, (void *)q);
    /* the kept prefix carries the old pattern, written at the old address */
    size_t keep = s < ns ? s : ns;
    hdr_t nh;
    memcpy(&nh, q, sizeof nh);
    CHECKF(nh.size == s && nh.tag == h.tag, "realloc %zu -> %zu lost the header", s, ns);
    for (size_t i = sizeof(hdr_t); i < keep; i += 61)
        CHECKF(q[i] == pattern_byte((uintptr_t)p + i, block_seed(p, s)), "realloc %zu -> %zu lost byte %zu", s, ns,
               i);
    if (keep > sizeof(hdr_t))
        CHECKF(q[keep - 1] == pattern_byte((uintptr_t)p + keep - 1, block_seed(p, s)),
               "realloc %zu -> %zu lost the last kept byte", s, ns);
    stamp(q, ns, K_PLAIN, 0);
    return q;
}

typedef struct {
    uint64_t seed;
    long ops;       /* operations before this worker exits */
    int short_life; /* only allocate into slots, then exit */
    atomic_int done;
} worker_t;

static void *worker(void *arg)
{
    worker_t *w = arg;
    rng_t r;
    rng_seed(&r, w->seed);
    unsigned char *local[64] = {0};
    long i;
    for (i = 0; i < w->ops && !atomic_load_explicit(&stop, memory_order_relaxed); i++) {
        int slot = (int)rng_range(&r, 0, SLOTS - 1);
        unsigned op = w->short_life ? 0 : (unsigned)rng_range(&r, 0, 99);
        if (op < 60) {
            /* put a new block in a slot; free what was there */
            unsigned char *old = atomic_exchange(&slots[slot], make(&r));
            if (old) verify_free(old, op);
        } else if (op < 75) {
            /* take a block, free it */
            unsigned char *old = atomic_exchange(&slots[slot], NULL);
            if (old) verify_free(old, op);
        } else if (op < 85) {
            /* take a block, realloc it, put it back somewhere else */
            unsigned char *old = atomic_exchange(&slots[slot], NULL);
            if (old) {
                unsigned char *q = grow_or_shrink(&r, old);
                unsigned char *other = atomic_exchange(&slots[rng_range(&r, 0, SLOTS - 1)], q);
                if (other) verify_free(other, op);
            }
        } else {
            /* thread-local churn */
            int k = (int)rng_range(&r, 0, 63);
            if (local[k]) verify_free(local[k], op);
            local[k] = make(&r);
        }
    }
    for (int k = 0; k < 64; k++)
        if (local[k]) verify_free(local[k], (unsigned)k);
    atomic_fetch_add(&total_ops, (unsigned long)i);
    atomic_store(&w->done, 1);
    return NULL;
}

int main(void)
{
    t_init();
    long nthreads = env_long("WARD_STRESS_THREADS", 12);
    long seconds = env_long("WARD_STRESS_SECONDS", 6);
    if (nthreads < 1) nthreads = 1;
    if (nthreads > MAXT) nthreads = MAXT;
    printf("stress (%s): %ld threads for %ld s\n", T_VARIANT, nthreads, seconds);
    fflush(stdout);

    worker_t *ws = raw_alloc(MAXT * sizeof *ws);
    pthread_t th[MAXT];
    int running[MAXT] = {0};
    rng_t r;
    rng_seed(&r, (uint64_t)time(NULL) ^ (uint64_t)getpid());
    uint64_t base_seed = rng_next(&r);
    const char *seed_env = getenv("WARD_STRESS_SEED");
    if (seed_env && *seed_env) base_seed = strtoull(seed_env, NULL, 10);
    printf("seed %llu (WARD_STRESS_SEED=%llu repeats the choices of main; thread timing still varies)\n",
           (unsigned long long)base_seed, (unsigned long long)base_seed);
    rng_seed(&r, base_seed);
    unsigned long started = 0;
    double end = now_sec() + (double)seconds;
    while (now_sec() < end) {
        for (int t = 0; t < nthreads; t++) {
            if (running[t] && atomic_load(&ws[t].done)) {
                CHECK(pthread_join(th[t], NULL) == 0);
                running[t] = 0;
            }
            if (!running[t]) {
                ws[t].seed = rng_next(&r);
                ws[t].short_life = rng_range(&r, 0, 9) == 0;
                ws[t].ops = ws[t].short_life ? (long)rng_range(&r, 1, 200) : (long)rng_range(&r, 500, 30000);
                atomic_store(&ws[t].done, 0);
                int rc = pthread_create(&th[t], NULL, worker, &ws[t]);
                CHECKF(rc == 0, "pthread_create: %s", strerror(rc));
                running[t] = 1;
                started++;
            }
        }
        usleep(2000);
    }
    atomic_store(&stop, 1);
    for (int t = 0; t < nthreads; t++)
        if (running[t]) CHECK(pthread_join(th[t], NULL) == 0);
    size_t left = 0;
    for (int i = 0; i < SLOTS; i++) {
        unsigned char *p = atomic_exchange(&slots[i], NULL);
        if (p) {
            verify_free(p, (unsigned)i);
            left++;
        }
    }
    printf("stress (%s): ok: %lu threads started, %lu operations, %zu blocks left in slots at the end\n", T_VARIANT,
           started, atomic_load(&total_ops), left);
    raw_free(ws, MAXT * sizeof *ws);
    return 0;
}
