/* double_free_large: a 200 KiB block (a large, one-block page) freed twice. */
#include "bugs.h"

NOINLINE void *make_buffer(void) { return malloc(200 << 10); }
NOINLINE void release_buffer(void *p) { free(opaque(p)); }

int main(void) {
    char *p = make_buffer();
    memset(p, 1, 200 << 10);
    note_addr(p);
    release_buffer(p);
    release_buffer(p);
    return finished();
}
