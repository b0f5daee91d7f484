/* Regression: memory of an exited thread, freed by another thread, was not
 * reused by the next thread that allocated: the main thread, allocating a
 * block of a size it had no page for (here a malloc of its own; glibc's
 * pthread_create callocs the new thread's TLS vector in the creator, too),
 * adopted every abandoned segment while their blocks were still live, so
 * the frees landed in its heap, out of reach, and the next allocating
 * thread took fresh memory (100 MiB allocated, freed, allocated again made
 * 200 MiB resident). A thread now adopts an abandoned segment only when it
 * has room for what the thread asks for.
 *
 * 100 MiB of 1000-byte blocks by thread A, which exits; thread B frees them;
 * thread C allocates the same again: the resident size grows by less than
 * half of that (it grew by all of it). */
#include <pthread.h>

#include "api.h"

#include "blocks100.h"

static void run_thread(void *(*fn)(void *))
{
    pthread_t t;
    CHECK(pthread_create(&t, NULL, fn, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
}

int main(void)
{
    t_init();
    run_thread(allocate_all);
    long first = (long)(rss_bytes() / 1024);
    /* The main thread allocates a little meanwhile, as programs do (a log
     * line, a thread's TLS vector): a size it has no page for yet. */
    void *note = t_malloc(3000);
    CHECK(note != NULL);
    run_thread(free_all);
    run_thread(allocate_all);
    long second = (long)(rss_bytes() / 1024);
    long grew = second - first;
    printf("abandoned_reuse (%s): resident %ld KiB after the first 100 MB, %ld KiB after the second\n", T_VARIANT,
           first, second);
    CHECKF(grew < (long)N * SIZE / 1024 / 2, "the second 100 MB grew the resident size by %ld KiB", grew);
    run_thread(free_all);
    t_free(note);
    return 0;
}
