/* free_pool: free() of an object from a ward pool (ward_pool_alloc, 40-byte
 * objects). The program is not linked with ward: it finds the pool
 * functions in the preloaded library with dlsym. */
#include "bugs.h"

#include <dlfcn.h>

typedef void *(*pool_new_fn)(size_t, size_t);
typedef void *(*pool_alloc_fn)(void *);
typedef void (*pool_destroy_fn)(void *);

NOINLINE void release_from_pool(void *p) { free(opaque(p)); }

int main(void) {
    pool_new_fn pool_new = (pool_new_fn)dlsym(RTLD_DEFAULT, "ward_pool_new");
    pool_alloc_fn pool_alloc = (pool_alloc_fn)dlsym(RTLD_DEFAULT, "ward_pool_alloc");
    pool_destroy_fn pool_destroy = (pool_destroy_fn)dlsym(RTLD_DEFAULT, "ward_pool_destroy");
    if (!pool_new || !pool_alloc || !pool_destroy) {
        fputs("free_pool: ward is not preloaded\n", stderr);
        return 77;
    }
    void *pool = pool_new(40, 8);
    char *p = pool_alloc(pool);
    memset(p, 1, 40);
    note_addr(p);
    release_from_pool(p);
    if (p[39] != 1) return 3;
    pool_destroy(pool);
    return finished();
}
