/* Process start, thread exit and fork.
 *
 * ward starts inside the first allocation (from a constructor, the dynamic
 * loader, or main): ward_init reads the options and registers the thread-exit
 * key and the fork handlers. Registering those may itself allocate, so the
 * thread running ward_init lets its own nested calls through; other threads
 * wait for it.
 *
 * fork: the prepare handler takes every ward lock so the child starts with
 * consistent global state (after glibc's stdio list lock, which fork would
 * otherwise take after them: see os_stdio_lock); the child re-initialises
 * the locks. The forking
 * thread's heap is intact in the child; heaps of threads that do not exist
 * in the child keep their memory (their blocks can still be freed).
 */
#include "internal.h"

#include <sched.h>

_Atomic(int) ward_init_state;
extern pthread_key_t ward_heap_key;
static __thread int init_running_here __attribute__((tls_model("initial-exec")));

void ward_lock_all(void) {
    ward_heaps_lock();
    ward_huge_lock();
    ward_segment_lock_all();
    ward_sample_lock();
}

void ward_unlock_all(bool child) {
    ward_sample_unlock(child);
    ward_segment_unlock_all(child);
    ward_huge_unlock(child);
    ward_heaps_unlock(child);
}

/* The stdio list lock before ward's own (see os_stdio_lock). */
static void fork_prepare(void) {
    os_stdio_lock();
    ward_lock_all();
}

static void fork_parent(void) {
    ward_unlock_all(false);
    os_stdio_unlock();
}

static void fork_child(void) {
    os_fork_child();
    ward_unlock_all(true);
    os_stdio_reset_child();
}

void ward_init(void) {
    if (likely(atomic_load_explicit(&ward_init_state, memory_order_acquire) == 2)) return;
    if (init_running_here) return;
    int expected = 0;
    if (atomic_compare_exchange_strong(&ward_init_state, &expected, 1)) {
        init_running_here = 1;
        ward_options_init();
        ward_stack_init(WARD_GUARD >= 2);
        ward_guard_init();
        pthread_key_create(&ward_heap_key, ward_heap_thread_done);
        pthread_atfork(fork_prepare, fork_parent, fork_child);
        /* Exact stacks for sampled blocks when the user asked for sampling;
         * the default rate keeps frame-pointer stacks and loads nothing.
         * May allocate: after the rest. */
        if (ward_options.sample_requested) ward_stack_load_unwinder();
        init_running_here = 0;
        atomic_store_explicit(&ward_init_state, 2, memory_order_release);
        if (ward_options.verbose) ward_options_print(ward_options.log_fd);
        return;
    }
    while (atomic_load_explicit(&ward_init_state, memory_order_acquire) != 2) sched_yield();
}

__attribute__((constructor)) static void ward_constructor(void) {
    ward_init();
}

__attribute__((destructor)) static void ward_destructor(void) {
#if WARD_GUARD
    ward_guard_at_exit();
    ward_leak_report();
#endif
    if (ward_options.stats) ward_stats_at_exit();
}
