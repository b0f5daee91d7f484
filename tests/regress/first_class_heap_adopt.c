/* Regression: a first-class heap adopted a segment abandoned by an exited
 * thread, and ward_heap_destroy then released that segment together with the
 * exited thread's blocks, which were still live (they were overwritten or
 * zeroed, and freeing them crashed). Only thread heaps may adopt. */
#include <pthread.h>

#include "api.h"

enum { N = 1000, SIZE = 1000 };
static unsigned char *blocks[N];

static void *worker(void *arg) {
    (void)arg;
    for (int i = 0; i < N; i++) {
        blocks[i] = ward_malloc(SIZE);
        CHECK(blocks[i] != NULL);
        memset(blocks[i], 0xAB, SIZE);
    }
    return NULL; /* the segment holding the live blocks is abandoned */
}

int main(void) {
    pthread_t t;
    CHECK(pthread_create(&t, NULL, worker, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    for (int round = 0; round < 4; round++) {
        ward_heap_t *h = ward_heap_new();
        CHECK(h != NULL);
        CHECK(ward_heap_malloc(h, 100) != NULL);
        ward_heap_destroy(h);
    }
    ward_trim();
    /* Ordinary allocations reuse whatever the destroyed heaps gave back. */
    void *filler[64];
    for (int i = 0; i < 64; i++) {
        filler[i] = ward_malloc(60000);
        CHECK(filler[i] != NULL);
        memset(filler[i], 0x11, 60000);
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < SIZE; j++)
            CHECKF(blocks[i][j] == 0xAB, "block %d byte %d overwritten after an unrelated heap was destroyed", i, j);
    for (int i = 0; i < N; i++) ward_free(blocks[i]);
    for (int i = 0; i < 64; i++) ward_free(filler[i]);
    return 0;
}
