/* write_after_free_exit: a 48-byte block is freed, then written (8 bytes at
 * offset 16), and the program exits at once, with the block still waiting
 * to be handed out again. */
#include "bugs.h"

#define SIZE 48

NOINLINE char *make_item(void) { return malloc(SIZE); }
NOINLINE void release_item(char *p) { free(opaque(p)); }
NOINLINE void stale_write(char *p) { memset(p + 16, 'w', 8); }

int main(void) {
    char *p = make_item();
    memset(p, 1, SIZE);
    note_addr(p);
    release_item(p);
    stale_write(opaque(p));
    return finished();
}
