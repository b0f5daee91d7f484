/* double_free_huge: a 20 MiB block (a huge block, its own mapping) freed twice. */
#include "bugs.h"

NOINLINE void *make_image(void) { return malloc(20 << 20); }
NOINLINE void release_image(void *p) { free(opaque(p)); }

int main(void) {
    char *p = make_image();
    memset(p, 1, 1 << 20);
    note_addr(p);
    release_image(p);
    release_image(p);
    return finished();
}
