/* overflow_then_realloc: one byte written past the end of a 100-byte
 * block, which is then grown to 102 bytes by realloc (in place in both
 * guard modes, where the canary byte that was hit becomes user data): the
 * overflow is reported by the realloc, not lost with the old canary, and
 * reported once (WARD_ON_ERROR=report: realloc goes on with a copy and the
 * damaged block is leaked, not reported again as a leak at exit). */
#include "bugs.h"

NOINLINE char *make_buf(void) { return malloc(100); }
NOINLINE void fill_buf(char *p) { memset(p, 'a', 101); /* one too many */ }
NOINLINE char *grow_buf(char *p) { return realloc(opaque(p), 102); }

int main(void) {
    char *p = make_buf();
    note_addr(p);
    fill_buf(opaque(p));
    char *q = grow_buf(p);
    free(opaque(q));
    return finished();
}
