/* underflow_aligned: one byte written just before the start of a 24-byte
 * block from aligned_alloc(64, 24), between two live blocks of the same
 * kind; then the block is freed. */
#include "bugs.h"

#include <stdlib.h>

NOINLINE char *make_aligned(void) { return aligned_alloc(64, 24); }
NOINLINE void prefix_aligned(char *p) { p[-1] = 'x'; }
NOINLINE void release_aligned(char *p) { free(opaque(p)); }

int main(void) {
    char *before = make_aligned();
    char *p = make_aligned();
    char *after = make_aligned();
    memset(p, 1, 24);
    note_addr(p);
    prefix_aligned(opaque(p));
    release_aligned(p);
    free(before);
    free(after);
    return finished();
}
