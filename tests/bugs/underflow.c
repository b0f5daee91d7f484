/* underflow: one byte written just before the start of a 24-byte block,
 * then the block is freed. */
#include "bugs.h"

NOINLINE char *make_name(void) { return malloc(24); }
NOINLINE void prefix_name(char *p) { p[-1] = 'x'; }
NOINLINE void release_name(char *p) { free(opaque(p)); }

int main(void) {
    char *p = make_name();
    memset(p, 1, 24);
    note_addr(p);
    prefix_name(opaque(p));
    release_name(p);
    return finished();
}
