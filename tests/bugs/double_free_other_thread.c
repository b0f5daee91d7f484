/* double_free_other_thread: a 64-byte block freed by one thread, then (after
 * that thread has ended) freed again by another. */
#include "bugs.h"

#include <pthread.h>

NOINLINE void *make_message(void) { return malloc(64); }
NOINLINE void first_release(void *p) { free(opaque(p)); }
NOINLINE void second_release(void *p) { free(opaque(p)); }

static void *first(void *arg) {
    first_release(arg);
    return NULL;
}

static void *second(void *arg) {
    second_release(arg);
    return NULL;
}

int main(void) {
    char *p = make_message();
    memset(p, 1, 64);
    note_addr(p);
    pthread_t a, b;
    if (pthread_create(&a, NULL, first, p)) return 3;
    pthread_join(a, NULL);
    if (pthread_create(&b, NULL, second, p)) return 3;
    pthread_join(b, NULL);
    return finished();
}
