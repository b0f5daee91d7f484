/* Regression: a thread handing a block of a full page to its owner wrote the
 * page's state after the hand-over, when the owner may already have freed
 * the page and started another in its place; that page then never learned of
 * its next remote free and leaked. The owner now waits for the hand-over to
 * finish. The race needs a preempted thread to show, so this test repeats the
 * pattern many times and checks that nothing is lost. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "api.h"

static _Atomic(void *) mailbox;
static _Atomic int done;

static void *remote(void *arg) {
    (void)arg;
    while (!atomic_load(&done)) {
        void *p = atomic_exchange(&mailbox, NULL);
        if (p) ward_free(p);
        else sched_yield();
    }
    return NULL;
}

int main(void) {
    pthread_t t;
    CHECK(pthread_create(&t, NULL, remote, NULL) == 0);
    for (int round = 0; round < 20000; round++) {
        void *p = ward_malloc((size_t)(round % 7 + 1) << 17);
        CHECK(p != NULL);
        memset(p, round, 64);
        while (atomic_load(&mailbox) != NULL) sched_yield();
        atomic_store(&mailbox, p);
    }
    while (atomic_load(&mailbox) != NULL) sched_yield();
    atomic_store(&done, 1);
    CHECK(pthread_join(t, NULL) == 0);
    /* Every block was freed: after the owner's slow path has run, ward must
     * hold at most a spare segment. */
    for (int i = 0; i < 16; i++) ward_free(ward_malloc(1 << 20));
    ward_trim();
    ward_stats_t s;
    ward_stats_get(&s);
    CHECKF(s.segments <= 2, "%zu segments live after all large blocks were freed", s.segments);
    return 0;
}
