/* free_arena: free() of memory from a ward arena (ward_arena_alloc, 100
 * bytes). The program is not linked with ward: it finds the arena
 * functions in the preloaded library with dlsym. */
#include "bugs.h"

#include <dlfcn.h>

typedef void *(*arena_new_fn)(size_t);
typedef void *(*arena_alloc_fn)(void *, size_t, size_t);
typedef void (*arena_destroy_fn)(void *);

NOINLINE void release_from_arena(void *p) { free(opaque(p)); }

int main(void) {
    arena_new_fn arena_new = (arena_new_fn)dlsym(RTLD_DEFAULT, "ward_arena_new");
    arena_alloc_fn arena_alloc = (arena_alloc_fn)dlsym(RTLD_DEFAULT, "ward_arena_alloc");
    arena_destroy_fn arena_destroy = (arena_destroy_fn)dlsym(RTLD_DEFAULT, "ward_arena_destroy");
    if (!arena_new || !arena_alloc || !arena_destroy) {
        fputs("free_arena: ward is not preloaded\n", stderr);
        return 77;
    }
    void *arena = arena_new(0);
    char *p = arena_alloc(arena, 100, 16);
    memset(p, 1, 100);
    note_addr(p);
    release_from_arena(p);
    if (p[99] != 1) return 3;
    arena_destroy(arena);
    return finished();
}
