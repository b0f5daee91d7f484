/* sample_use_after_free (run with WARD_SAMPLE=1, so every small block is
 * sampled): a 32-byte block is freed, then read. */
#include "bugs.h"

NOINLINE char *make_cell(void) { return malloc(32); }
NOINLINE void release_cell(char *p) { free(opaque(p)); }
NOINLINE int read_cell(volatile char *p) { return p[0]; }

int main(void) {
    char *p = make_cell();
    memset(p, 1, 32);
    note_addr(p);
    release_cell(p);
    int v = read_cell(opaque(p));
    printf("read %d\n", v);
    return finished();
}
