/* overflow_large: one byte written past the end of a 200 KiB block, then
 * the block is freed. */
#include "bugs.h"

#define SIZE (200 << 10)

NOINLINE char *make_table(void) { return malloc(SIZE); }
NOINLINE void fill_table(char *p) { memset(p, 'a', SIZE + 1); /* one too many */ }
NOINLINE void release_table(char *p) { free(opaque(p)); }

int main(void) {
    char *p = make_table();
    note_addr(p);
    fill_table(opaque(p));
    release_table(p);
    return finished();
}
