/* free_interior: free() of a pointer 16 bytes inside a live 64-byte block. */
#include "bugs.h"

NOINLINE char *make_record(void) { return malloc(64); }
NOINLINE void release_field(char *field) { free(opaque(field)); }

int main(void) {
    char *p = make_record();
    memset(p, 1, 64);
    note_addr(p + 16);
    release_field(p + 16);
    free(p); /* the block itself is still fine */
    return finished();
}
