/* realloc_freed: realloc() to a bigger size of a 40-byte block already freed. */
#include "bugs.h"

NOINLINE char *make_line(void) { return malloc(40); }
NOINLINE void drop_line(char *p) { free(opaque(p)); }
NOINLINE char *grow_line(char *p) { return realloc(opaque(p), 80); }

int main(void) {
    char *p = make_line();
    memset(p, 1, 40);
    note_addr(p);
    drop_line(p);
    char *q = grow_line(p);
    (void)q; /* NULL when ward refused (WARD_ON_ERROR=report) */
    return finished();
}
