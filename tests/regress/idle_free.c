/* Regression: a thread that freed its blocks and then allocated nothing
 * more kept their pages: a page that its last block left empty was given
 * back only by the heap's collection, which runs when the thread
 * allocates. A main thread that builds a structure, frees it and then only
 * waits for its workers held that memory out of their reach (100 MiB
 * allocated and freed by the main thread, then allocated by another thread,
 * made 200 MiB resident). A page a free leaves empty now waits in a ring
 * of the heap's last 64 emptied pages and is given back when pushed out of
 * it, if still empty (the page malloc takes blocks from, first of its
 * size, stays), and when every page of its segment is empty they all go at
 * once (with the ring alone, frees in random order left most segments
 * holding a page of the ring: the same 100 MiB again).
 *
 * 100 MiB of 1000-byte blocks allocated by the main thread and freed in
 * random order, then allocated by a new thread: the resident size grows by
 * less than half of that (it grew by all of it). */
#include <pthread.h>

#include "api.h"

#include "blocks100.h"

/* The blocks in a fixed random order, so that the frees empty pages all
 * over the heap's segments rather than one segment after another. */
static void shuffle(void)
{
    uint64_t r = 0x9e3779b97f4a7c15u;
    for (int i = N - 1; i > 0; i--) {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        int j = (int)(r % (uint64_t)(i + 1));
        void *t = blocks[i];
        blocks[i] = blocks[j];
        blocks[j] = t;
    }
}

int main(void)
{
    t_init();
    allocate_all(NULL);
    shuffle();
    free_all(NULL);
    long first = (long)(rss_bytes() / 1024);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, allocate_all, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    long second = (long)(rss_bytes() / 1024);
    long grew = second - first;
    printf("idle_free (%s): resident %ld KiB after the main thread's 100 MB, %ld KiB after the thread's\n", T_VARIANT,
           first, second);
    CHECKF(grew < (long)N * SIZE / 1024 / 2, "the thread's 100 MB grew the resident size by %ld KiB", grew);
    free_all(NULL);
    return 0;
}
