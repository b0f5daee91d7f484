/* The library's ward_arena_alloc, called without the inline path of ward.h
 * (for arena_inline.c). */
#define WARD_NO_INLINE 1
#include "ward.h"

void *lib_arena_alloc(ward_arena_t *a, size_t size, size_t align);
void *lib_arena_alloc(ward_arena_t *a, size_t size, size_t align) {
    return ward_arena_alloc(a, size, align);
}
