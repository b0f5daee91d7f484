/* leak: a 1000-byte block allocated in leak_some_memory() and dropped (the
 * only pointer to it dies with that function's frame, which is scrubbed). */
#include "bugs.h"

NOINLINE int leak_some_memory(void) {
    char *p = malloc(1000);
    memset(p, 7, 1000);
    note_addr(p);
    return p[500];
}

/* Overwrites the dead frames below main's, so that no stale copy of the
 * pointer survives on the stack for ward's scan to find. */
NOINLINE void scrub_stack(void) {
    volatile char junk[16384];
    memset((char *)junk, 0, sizeof junk);
}

int main(void) {
    int v = leak_some_memory();
    scrub_stack();
    if (v != 7) return 3;
    return finished();
}
