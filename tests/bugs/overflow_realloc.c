/* overflow_realloc: a 100-byte block shrunk to 96 bytes by realloc (in
 * place), then 97 bytes written to it and the block freed: the canary moves
 * with the end of a block resized in place. */
#include "bugs.h"

NOINLINE char *make_buf(void) { return malloc(100); }
NOINLINE char *shrink_buf(char *p) { return realloc(opaque(p), 96); }
NOINLINE void fill_buf(char *p) { memset(p, 'a', 97); /* one too many */ }
NOINLINE void release_buf(char *p) { free(opaque(p)); }

int main(void) {
    char *p = shrink_buf(make_buf());
    note_addr(p);
    fill_buf(opaque(p));
    release_buf(p);
    return finished();
}
