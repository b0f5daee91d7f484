/* free_global: free() of the address of a global array. */
#include "bugs.h"

char global_table[256];

NOINLINE void release_table(void *p) { free(opaque(p)); }

int main(void) {
    memset(global_table, 1, sizeof global_table);
    note_addr(global_table);
    release_table(global_table);
    if (global_table[7] != 1) return 3;
    return finished();
}
