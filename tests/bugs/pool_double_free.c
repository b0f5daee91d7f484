/* pool_double_free: an object of a ward pool (40-byte objects) given back
 * to its pool twice with ward_pool_free; then two objects taken from the
 * pool (fast mode hands out the same object twice). The program is not
 * linked with ward: it finds the pool functions in the preloaded library
 * with dlsym. */
#include "bugs.h"

#include <dlfcn.h>

typedef void *(*pool_new_fn)(size_t, size_t);
typedef void *(*pool_alloc_fn)(void *);
typedef void (*pool_free_fn)(void *, void *);
typedef void (*pool_destroy_fn)(void *);

static pool_free_fn pool_free;

NOINLINE void return_object(void *pool, void *p) { pool_free(pool, opaque(p)); }
NOINLINE void return_again(void *pool, void *p) { pool_free(pool, opaque(p)); }

int main(void) {
    pool_new_fn pool_new = (pool_new_fn)dlsym(RTLD_DEFAULT, "ward_pool_new");
    pool_alloc_fn pool_alloc = (pool_alloc_fn)dlsym(RTLD_DEFAULT, "ward_pool_alloc");
    pool_free = (pool_free_fn)dlsym(RTLD_DEFAULT, "ward_pool_free");
    pool_destroy_fn pool_destroy = (pool_destroy_fn)dlsym(RTLD_DEFAULT, "ward_pool_destroy");
    if (!pool_new || !pool_alloc || !pool_free || !pool_destroy) {
        fputs("pool_double_free: ward is not preloaded\n", stderr);
        return 77;
    }
    void *pool = pool_new(40, 8);
    char *p = pool_alloc(pool);
    memset(p, 1, 40);
    note_addr(p);
    return_object(pool, p);
    return_again(pool, p);
    char *a = pool_alloc(pool), *b = pool_alloc(pool);
    memset(a, 2, 40);
    memset(b, 3, 40);
    pool_destroy(pool);
    return finished();
}
