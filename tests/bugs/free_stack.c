/* free_stack: free() of the address of a local array. */
#include "bugs.h"

NOINLINE void release_local(void *p) { free(opaque(p)); }

NOINLINE int use_local(void) {
    char buf[64];
    memset(buf, 1, sizeof buf);
    note_addr(buf);
    release_local(buf);
    return buf[3];
}

int main(void) {
    if (use_local() != 1) return 3;
    return finished();
}
