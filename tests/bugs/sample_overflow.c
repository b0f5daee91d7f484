/* sample_overflow (run with WARD_SAMPLE=1, so every small block is
 * sampled): the byte just past the end of a live 32-byte block is read. */
#include "bugs.h"

NOINLINE char *make_cell(void) { return malloc(32); }
NOINLINE int read_past_end(volatile char *p) { return p[32]; }

int main(void) {
    char *p = make_cell();
    memset(p, 1, 32);
    note_addr(p + 32);
    int v = read_past_end(opaque(p));
    printf("read %d\n", v);
    free(p);
    return finished();
}
