/* double_free_aligned: a block from aligned_alloc(256, 512) freed twice. */
#include "bugs.h"

NOINLINE void *make_aligned(void) { return aligned_alloc(256, 512); }
NOINLINE void release_aligned(void *p) { free(opaque(p)); }

int main(void) {
    char *p = make_aligned();
    if (((size_t)p & 255) != 0) return 3;
    memset(p, 1, 512);
    note_addr(p);
    release_aligned(p);
    release_aligned(p);
    return finished();
}
