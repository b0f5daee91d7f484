/* free_wild: free() of an address nothing was ever mapped at (a made-up
 * value, 16-byte aligned like a real block). */
#include "bugs.h"

#include <stdint.h>

NOINLINE void release_wild(void *p) { free(opaque(p)); }

int main(void) {
    note_addr((void *)(uintptr_t)0x3a5c0f0010ull);
    release_wild((void *)(uintptr_t)0x3a5c0f0010ull);
    return finished();
}
