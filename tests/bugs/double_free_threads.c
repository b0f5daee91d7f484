/* double_free_threads: two threads free the same 64-byte block at the same
 * moment (both wait on a barrier, then both call free); both frees happen. */
#include "bugs.h"

#include <pthread.h>

static pthread_barrier_t start;

NOINLINE void *make_shared(void) { return malloc(64); }

NOINLINE void release_shared(void *p) { free(opaque(p)); }

static void *racer(void *arg) {
    pthread_barrier_wait(&start);
    release_shared(arg);
    return NULL;
}

int main(void) {
    char *p = make_shared();
    memset(p, 1, 64);
    note_addr(p);
    pthread_barrier_init(&start, NULL, 2);
    pthread_t a, b;
    if (pthread_create(&a, NULL, racer, p) || pthread_create(&b, NULL, racer, p)) return 3;
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return finished();
}
