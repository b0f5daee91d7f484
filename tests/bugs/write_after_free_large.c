/* write_after_free_large: a 200 KiB block is freed, then written (8 bytes
 * at offset 16); then 50000 malloc/free pairs of the same size, so that
 * the block is handed out again, and the program exits. */
#include "bugs.h"

#define SIZE (200 << 10)

NOINLINE char *make_chunk(void) { return malloc(SIZE); }
NOINLINE void release_chunk(char *p) { free(opaque(p)); }
NOINLINE void stale_write(char *p) { memset(p + 16, 'w', 8); }

NOINLINE void churn(void) {
    for (int i = 0; i < 50000; i++) {
        char *q = malloc(SIZE);
        q[0] = 2;
        q[SIZE - 1] = 2;
        free(opaque(q));
    }
}

int main(void) {
    char *p = make_chunk();
    memset(p, 1, SIZE);
    note_addr(p);
    release_chunk(p);
    stale_write(opaque(p));
    churn();
    return finished();
}
