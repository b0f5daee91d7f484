/* Regression: purging the free 4 KiB pages of a mostly free page also took
 * the OS page at the end of its carved part, which blocks carved later shared;
 * reviving the purged blocks then handed those live blocks out a second
 * time. Also checks that sparse purging keeps every live block intact and
 * never hands out a block twice. */
#include "api.h"

enum { SIZE = 48, N = 700, MORE = 6000 };
static unsigned char *blocks[N + MORE];

static void fill(unsigned char *p, unsigned tag) {
    for (int i = 0; i < SIZE; i++) p[i] = (unsigned char)(tag + (unsigned)i);
}

static void check(const unsigned char *p, unsigned tag) {
    for (int i = 0; i < SIZE; i++)
        CHECKF(p[i] == (unsigned char)(tag + (unsigned)i), "block %p (tag %u) overwritten at byte %d", (void *)p,
               tag, i);
}

int main(void) {
    /* A page carved part way (the carved end falls inside an OS page). */
    for (int i = 0; i < N; i++) {
        CHECK((blocks[i] = ward_malloc(SIZE)) != NULL);
        fill(blocks[i], (unsigned)i);
    }
    /* Mostly free, with a few live blocks spread out: whole free OS pages. */
    for (int i = 0; i < N; i++) {
        if (i % 400 == 0) continue;
        ward_free(blocks[i]);
        blocks[i] = NULL;
    }
    ward_trim(); /* purges free OS pages inside the page */
    for (int i = 0; i < N; i++)
        if (blocks[i]) check(blocks[i], (unsigned)i);
    /* Allocate well past the old carved end, then past the free blocks. */
    for (int i = N; i < N + MORE; i++) {
        CHECK((blocks[i] = ward_malloc(SIZE)) != NULL);
        fill(blocks[i], (unsigned)i);
    }
    for (int i = 0; i < N + MORE; i++)
        if (blocks[i]) check(blocks[i], (unsigned)i);
    /* No block handed out twice. */
    for (int i = N; i < N + MORE; i++)
        for (int j = i + 1; j < N + MORE; j++) CHECK(blocks[i] != blocks[j]);
    for (int i = 0; i < N + MORE; i++) ward_free(blocks[i]);
    return 0;
}
