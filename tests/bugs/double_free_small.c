/* double_free_small: a 48-byte block freed twice by the same function. */
#include "bugs.h"

NOINLINE void *make_node(void) { return malloc(48); }
NOINLINE void release_node(void *p) { free(opaque(p)); }

int main(void) {
    char *p = make_node();
    memset(p, 1, 48);
    note_addr(p);
    release_node(p);
    release_node(p);
    return finished();
}
