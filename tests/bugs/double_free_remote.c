/* double_free_remote: a 64-byte block of a thread that is still running
 * freed by a second thread, then again by a third; then its owner ends
 * (and collects what other threads freed of its blocks). */
#include "bugs.h"

#include <pthread.h>

static pthread_barrier_t made, freed;
static char *block;

NOINLINE void *make_message(void) { return malloc(64); }
NOINLINE void first_release(void *p) { free(opaque(p)); }
NOINLINE void second_release(void *p) { free(opaque(p)); }

static void *owner(void *arg) {
    (void)arg;
    block = make_message();
    memset(block, 1, 64);
    pthread_barrier_wait(&made);
    pthread_barrier_wait(&freed); /* both frees done while this thread lives */
    return NULL;
}

static void *first(void *arg) {
    first_release(arg);
    return NULL;
}

static void *second(void *arg) {
    second_release(arg);
    return NULL;
}

int main(void) {
    pthread_barrier_init(&made, NULL, 2);
    pthread_barrier_init(&freed, NULL, 2);
    pthread_t o, a, b;
    if (pthread_create(&o, NULL, owner, NULL)) return 3;
    pthread_barrier_wait(&made);
    note_addr(block);
    if (pthread_create(&a, NULL, first, block)) return 3;
    pthread_join(a, NULL);
    if (pthread_create(&b, NULL, second, block)) return 3;
    pthread_join(b, NULL);
    pthread_barrier_wait(&freed);
    pthread_join(o, NULL);
    return finished();
}
