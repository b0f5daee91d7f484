/* maps — the number of memory mappings stays small.
 * Normal build only.
 *
 * 4 GiB (2 GiB if the machine has less than 10 GiB available; skipped under
 * 3 GiB) of small blocks (16..512 bytes) are allocated and written, with a
 * few medium and large blocks among them, some of them freed again so that
 * the heap has holes. The number of lines in /proc/self/maps is checked after
 * every 512 MiB, after freeing every other block, after freeing everything
 * and after a trim: it must stay below 1000 (vm.max_map_count is 65530 by
 * default; an allocator that maps or protects per page or per small segment
 * would approach it with a 10 GiB heap).
 */
#include "api.h"

#define LIMIT 1000

static void check_maps(const char *when, size_t base)
{
    size_t n = maps_count();
    printf("%-40s %zu mappings (%zu at start)\n", when, n, base);
    fflush(stdout);
    CHECKF(n < LIMIT, "%zu memory mappings %s (limit %d)", n, when, LIMIT);
}

int main(void)
{
    t_init();
    size_t avail = mem_available();
    size_t total = 4 * GiB;
    if (avail < 10 * GiB) total = 2 * GiB;
    if (avail < 3 * GiB) {
        printf("skipped: only %zu MiB available\n", avail / MiB);
        return TEST_SKIP_CODE;
    }
    size_t base = maps_count();
    size_t maxn = total / 16;
    void **v = raw_alloc(maxn * sizeof *v);
    rng_t r;
    rng_seed(&r, 8);
    size_t n = 0, bytes = 0, next = 512 * MiB;
    while (bytes < total) {
        size_t s = rng_range(&r, 16, 512);
        if (n % 10000 == 0) s = rng_logsize(&r, 4 * KiB, 4 * MiB);
        unsigned char *p = t_malloc(s);
        CHECKF(p != NULL, "malloc(%zu) failed with %zu MiB live", s, bytes / MiB);
        p[0] = (unsigned char)s;
        p[s - 1] = (unsigned char)s;
        v[n++] = p;
        bytes += s;
        if (n % 7 == 0) { /* a hole */
            t_free(v[n - 2]);
            v[n - 2] = NULL;
        }
        if (bytes >= next) {
            char when[64];
            snprintf(when, sizeof when, "with %zu MiB allocated", bytes / MiB);
            check_maps(when, base);
            next += 512 * MiB;
        }
    }
    printf("%zu blocks\n", n);
    for (size_t i = 0; i < n; i += 2) {
        t_free(v[i]);
        v[i] = NULL;
    }
    check_maps("after freeing every other block", base);
    for (size_t i = 1; i < n; i += 2) t_free(v[i]);
    check_maps("after freeing everything", base);
    t_trim();
    check_maps("after a trim", base);
    raw_free(v, maxn * sizeof *v);
    printf("maps (%s): ok\n", T_VARIANT);
    return 0;
}
