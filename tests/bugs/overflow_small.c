/* overflow_small: one byte written past the end of a 24-byte block, then
 * the block is freed. */
#include "bugs.h"

NOINLINE char *make_name(void) { return malloc(24); }
NOINLINE void fill_name(char *p) { memset(p, 'a', 25); /* one too many */ }
NOINLINE void release_name(char *p) { free(opaque(p)); }

int main(void) {
    char *p = make_name();
    note_addr(p);
    fill_name(opaque(p));
    release_name(p);
    return finished();
}
