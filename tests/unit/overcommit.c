/* overcommit — a request the machine cannot back fails at once with ENOMEM,
 * as glibc's malloc does, instead of succeeding and getting the process
 * killed when it touches the memory.
 *
 * Under the kernel's default overcommit heuristic (vm.overcommit_memory 0) a
 * single mapping larger than RAM plus swap is refused; ward mapped huge
 * blocks with MAP_NORESERVE, which the heuristic does not see, so
 * malloc(1 TiB) succeeded on a machine of 24 GiB (python3 -c
 * 'bytearray(2**40)' was killed instead of raising MemoryError). For a
 * request of four times RAM plus swap: malloc, calloc, aligned_alloc,
 * posix_memalign and realloc of a live block all fail with ENOMEM, the
 * block given to realloc stays intact, and smaller blocks still work.
 * Skipped (77) under any other overcommit policy.
 */
#include "api.h"

/* A "Name: N kB" line of /proc/meminfo, in bytes; 0 if missing. */
static uint64_t meminfo_bytes(const char *name)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (f == NULL) return 0;
    char line[256];
    uint64_t kib = 0;
    size_t len = strlen(name);
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, name, len) == 0 && line[len] == ':') {
            kib = strtoull(line + len + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib * 1024;
}

int main(void)
{
    t_init();
    FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
    int policy = -1;
    if (f != NULL) {
        if (fscanf(f, "%d", &policy) != 1) policy = -1;
        fclose(f);
    }
    uint64_t backing = meminfo_bytes("MemTotal") + meminfo_bytes("SwapTotal");
    if (policy != 0 || backing == 0 || backing > ((uint64_t)1 << 44)) {
        printf("overcommit: policy %d, RAM+swap %llu bytes: skipped (needs the heuristic policy 0)\n", policy,
               (unsigned long long)backing);
        return 77;
    }
    size_t too_big = (size_t)(4 * backing);

    errno = 0;
    void *p = t_malloc(opaque_size(too_big));
    CHECKF(p == NULL && errno == ENOMEM, "malloc(%zu) = %p, errno %d", too_big, p, errno);
    errno = 0;
    p = t_calloc(opaque_size(1), opaque_size(too_big));
    CHECKF(p == NULL && errno == ENOMEM, "calloc(1, %zu) = %p, errno %d", too_big, p, errno);
    errno = 0;
    p = t_aligned_alloc(opaque_size(4096), opaque_size(too_big));
    CHECKF(p == NULL && errno == ENOMEM, "aligned_alloc(4096, %zu) = %p, errno %d", too_big, p, errno);
    void *out = &out;
    int rc = t_posix_memalign(&out, opaque_size((size_t)1 << 23), opaque_size(too_big));
    CHECKF(rc == ENOMEM && out == &out, "posix_memalign(8 MiB, %zu) = %d", too_big, rc);

    unsigned char *small = t_malloc(100);
    CHECK(small != NULL);
    memset(small, 0x5a, 100);
    errno = 0;
    void *q = t_realloc(small, opaque_size(too_big));
    CHECKF(q == NULL && errno == ENOMEM, "realloc(p, %zu) = %p, errno %d", too_big, q, errno);
    for (int i = 0; i < 100; i++) CHECKF(small[i] == 0x5a, "the block given to the failed realloc changed at %d", i);
    unsigned char *big = t_malloc(64 * MiB);
    CHECK(big != NULL);
    memset(big, 1, 64 * MiB);
    q = t_realloc(big, opaque_size(too_big));
    CHECKF(q == NULL, "realloc(64 MiB block, %zu) = %p", too_big, q);
    CHECK(big[0] == 1 && big[64 * MiB - 1] == 1);
    t_free(big);
    t_free(small);
    printf("overcommit (%s): ok, %zu bytes refused\n", T_VARIANT, too_big);
    return 0;
}
