/* control: no bug at all. Many correct malloc/calloc/realloc/free calls of
 * small, medium, large (200 KiB) and huge (20 MiB) sizes, aligned_alloc and
 * posix_memalign up to 64 KiB alignment, writes of every byte that
 * malloc_usable_size reports, 3000 aligned blocks of 100 to 880 bytes at
 * 32 to 256-byte alignment, realloc growing and shrinking with contents
 * checked, blocks freed by another thread, and four threads doing the same
 * at once; blocks of size 0 (malloc(0), calloc(0, n)) grown by realloc.
 * Everything is freed before exit. Must run clean in every mode, also with
 * sampling (WARD_SAMPLE=100, and WARD_SAMPLE=1, where a sampled malloc(0)
 * given to realloc was once taken for a freed block). */
#include "bugs.h"

#include <malloc.h>
#include <pthread.h>
#include <stdint.h>

static int failed;

#define EXPECT(c)                                                        \
    do {                                                                 \
        if (!(c)) {                                                      \
            fprintf(stderr, "control.c:%d: %s failed\n", __LINE__, #c); \
            failed = 1;                                                  \
        }                                                                \
    } while (0)

static uint32_t next_rand(uint32_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void fill(unsigned char *p, size_t n, unsigned char seed) {
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(seed + i * 7);
}

static int same(const unsigned char *p, size_t n, unsigned char seed) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed + i * 7)) return 0;
    return 1;
}

static void sizes_and_usable(void) {
    static const size_t sizes[] = {0, 1, 7, 8, 15, 16, 17, 24, 31, 32, 48, 63, 64, 100, 128, 255, 256, 1000,
                                   1024, 4095, 4096, 4097, 8192, 10000, 65536, 65537, 200 << 10, 1 << 20,
                                   (2 << 20) + 5, 20 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        unsigned char *p = malloc(n);
        EXPECT(p != NULL);
        size_t u = malloc_usable_size(p);
        EXPECT(u >= n);
        memset(p, 0x5a, u); /* every byte malloc_usable_size reports is ours */
        free(p);
    }
}

static void zero_sizes(void) {
    for (int i = 0; i < 200; i++) {
        char *p = i % 2 ? malloc(0) : calloc(0, 8);
        EXPECT(p != NULL);
        EXPECT(malloc_usable_size(p) < 4096);
        char *q = realloc(p, 5);
        EXPECT(q != NULL);
        if (q == NULL) continue;
        memcpy(q, "ward", 5);
        char *r = realloc(q, 0 + (size_t)(i % 3)); /* 0 frees q, as glibc does */
        if (i % 3 != 0) {
            EXPECT(r != NULL);
            free(r);
        }
    }
}

static void calloc_and_realloc(void) {
    for (size_t n = 1; n < 300000; n = n * 3 + 1) {
        unsigned char *p = calloc(n, 1);
        EXPECT(p != NULL);
        for (size_t i = 0; i < n; i += 97) EXPECT(p[i] == 0);
        fill(p, n, 3);
        unsigned char *q = realloc(p, n * 2 + 5);
        EXPECT(q != NULL && same(q, n, 3));
        fill(q, n * 2 + 5, 9);
        unsigned char *r = realloc(q, n / 2 + 1);
        EXPECT(r != NULL && same(r, n / 2 + 1, 9));
        free(r);
    }
    void *z = realloc(NULL, 10);
    EXPECT(z != NULL);
    z = realloc(z, 0); /* frees (glibc and ward: NULL back) */
    free(z);
    int *arr = calloc(1000, sizeof(int));
    for (int i = 0; i < 1000; i++) EXPECT(arr[i] == 0);
    free(arr);
    free(NULL);
}

static void aligned(void) {
    for (size_t a = 16; a <= 65536; a *= 2) {
        void *p = aligned_alloc(a, a * 2);
        EXPECT(p != NULL && ((uintptr_t)p & (a - 1)) == 0);
        memset(p, 1, a * 2);
        void *q = NULL;
        EXPECT(posix_memalign(&q, a, 100) == 0 && ((uintptr_t)q & (a - 1)) == 0);
        memset(q, 2, 100);
        free(p);
        free(q);
    }
    /* Alignments that no size class gives for free (ward pads and aligns
     * within a bigger block), many times over, so that sampling
     * (WARD_SAMPLE=100) picks some of them. */
    for (int i = 0; i < 3000; i++) {
        size_t a = (size_t)32 << (i % 4), n = 100 + (size_t)(i % 7) * 130;
        void *p = NULL;
        if (i & 1) p = aligned_alloc(a, (n + a - 1) & ~(a - 1));
        else EXPECT(posix_memalign(&p, a, n) == 0);
        EXPECT(p != NULL && ((uintptr_t)p & (a - 1)) == 0);
        memset(p, 4, n);
        free(p);
    }
    void *m = memalign(4096, 5000);
    EXPECT(m != NULL && ((uintptr_t)m & 4095) == 0);
    free(m);
}

/* A random mix of live blocks, freed in random order. */
static void random_mix(uint32_t seed, int rounds) {
    enum { SLOTS = 512 };
    unsigned char *slot[SLOTS] = {0};
    size_t len[SLOTS] = {0};
    for (int r = 0; r < rounds; r++) {
        uint32_t x = next_rand(&seed);
        size_t i = x % SLOTS;
        if (slot[i] != NULL) {
            EXPECT(same(slot[i], len[i], (unsigned char)i));
            if (x & 0x100) {
                free(slot[i]);
                slot[i] = NULL;
                continue;
            }
            size_t n = (next_rand(&seed) % 3000) + 1;
            unsigned char *q = realloc(slot[i], n);
            EXPECT(q != NULL);
            EXPECT(same(q, len[i] < n ? len[i] : n, (unsigned char)i));
            slot[i] = q;
            len[i] = n;
            fill(q, n, (unsigned char)i);
            continue;
        }
        size_t n = (x >> 20) % 2048 + 1;
        if ((x & 0xff) == 0) n = 70000 + (x >> 12) % 100000;
        slot[i] = (x & 0x200) ? calloc(1, n) : malloc(n);
        EXPECT(slot[i] != NULL);
        len[i] = n;
        fill(slot[i], n, (unsigned char)i);
    }
    for (size_t i = 0; i < SLOTS; i++) {
        if (slot[i] != NULL) EXPECT(same(slot[i], len[i], (unsigned char)i));
        free(slot[i]);
    }
}

static void *worker(void *arg) {
    random_mix((uint32_t)(uintptr_t)arg, 30000);
    return NULL;
}

static void *free_them(void *arg) {
    void **blocks = arg;
    for (int i = 0; i < 1000; i++) free(blocks[i]);
    return NULL;
}

static void threads(void) {
    /* Blocks freed by a thread that did not allocate them. */
    void **blocks = malloc(1000 * sizeof *blocks);
    for (int i = 0; i < 1000; i++) {
        blocks[i] = malloc((size_t)(i % 300) + 1);
        memset(blocks[i], 3, (size_t)(i % 300) + 1);
    }
    pthread_t t;
    EXPECT(pthread_create(&t, NULL, free_them, blocks) == 0);
    pthread_join(t, NULL);
    free(blocks);
    pthread_t w[4];
    for (uintptr_t i = 0; i < 4; i++) EXPECT(pthread_create(&w[i], NULL, worker, (void *)(i * 7919 + 1)) == 0);
    for (int i = 0; i < 4; i++) pthread_join(w[i], NULL);
}

int main(void) {
    sizes_and_usable();
    calloc_and_realloc();
    zero_sizes();
    aligned();
    random_mix(12345, 100000);
    threads();
    if (failed) return 1;
    return finished();
}
