/* glibc_ext — the glibc extensions programs call, through the standard names.
 * (Built only as the standard-names variant.)
 *
 *  - mallinfo2: uordblks grows by at least half of what is allocated (64 MiB
 *    in small blocks, then one 256 MiB block: uordblks + hblkhd), and is not
 *    garbage (below 2^48);
 *  - malloc_trim(0) returns 0 or 1 without crashing, also after freeing a lot;
 *  - malloc_stats() prints something to stderr;
 *  - malloc_info(0, f) writes XML; malloc_info(1, f) returns EINVAL (glibc's
 *    answer to options it does not know);
 *  - mallopt() with common parameters returns without crashing;
 *  - none of them breaks later allocations.
 */
#include "api.h"

#include <sys/stat.h>

#ifndef WARD_TEST_STD
#error "glibc_ext tests the standard names only"
#endif

int main(void)
{
    t_init();

    /* mallinfo2 */
    {
        struct mallinfo2 before = mallinfo2();
        enum { N = 64 * 1024 };
        void **v = raw_alloc(N * sizeof *v);
        for (int i = 0; i < N; i++) {
            v[i] = malloc(1024);
            CHECK(v[i] != NULL);
            memset(v[i], 1, 1024);
        }
        struct mallinfo2 mid = mallinfo2();
        printf("uordblks %zu -> %zu after 64 MiB in 1 KiB blocks\n", before.uordblks, mid.uordblks);
        CHECKF(mid.uordblks >= before.uordblks + 32 * MiB,
               "mallinfo2().uordblks grew from %zu to %zu after allocating 64 MiB", before.uordblks, mid.uordblks);
        CHECKF(mid.uordblks < (size_t)1 << 48, "mallinfo2().uordblks = %zu is garbage", mid.uordblks);

        void *big = malloc(256 * MiB);
        CHECK(big != NULL);
        memset(big, 1, 4096);
        struct mallinfo2 after = mallinfo2();
        printf("uordblks %zu -> %zu after one 256 MiB block (hblkhd %zu)\n", mid.uordblks, after.uordblks,
               after.hblkhd);
        /* glibc counts mmapped blocks in hblkhd, not uordblks: accept either */
        CHECKF(after.uordblks + after.hblkhd >= mid.uordblks + mid.hblkhd + 128 * MiB,
               "mallinfo2() did not grow after allocating a 256 MiB block (uordblks %zu -> %zu, hblkhd %zu -> %zu)",
               mid.uordblks, after.uordblks, mid.hblkhd, after.hblkhd);
        free(big);

        for (int i = 0; i < N; i++) free(v[i]);
        raw_free(v, N * sizeof *v);

        int rc = malloc_trim(0);
        CHECKF(rc == 0 || rc == 1, "malloc_trim(0) returned %d", rc);
        rc = malloc_trim(1 * MiB);
        CHECKF(rc == 0 || rc == 1, "malloc_trim(1 MiB) returned %d", rc);
        struct mallinfo2 end = mallinfo2();
        (void)end;
    }

    /* malloc_stats prints to stderr */
    {
        char path[] = "/tmp/ward-test-stats-XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        unlink(path);
        fflush(stderr);
        int saved = dup(2);
        CHECK(saved >= 0);
        CHECK(dup2(fd, 2) == 2);
        void *p = malloc(1000); /* something to report */
        CHECK(p != NULL);
        malloc_stats();
        fflush(stderr);
        CHECK(dup2(saved, 2) == 2);
        close(saved);
        struct stat st;
        CHECK(fstat(fd, &st) == 0);
        printf("malloc_stats printed %lld bytes\n", (long long)st.st_size);
        CHECKF(st.st_size > 0, "malloc_stats() printed nothing to stderr");
        close(fd);
        free(p);
    }

    /* malloc_info: XML on the stream; options other than 0 are refused by
     * returning EINVAL, as glibc does (ward returned -1) */
    {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        CHECK(f != NULL);
        CHECKF(malloc_info(0, f) == 0, "malloc_info(0, f) failed");
        fclose(f);
        CHECKF(text != NULL && strstr(text, "<malloc") != NULL, "malloc_info wrote: %s", text ? text : "(null)");
        free(text);
        errno = 0;
        int rc = malloc_info(1, stdout);
        CHECKF(rc == EINVAL, "malloc_info(1, stdout) = %d, expected EINVAL (%d)", rc, EINVAL);
    }

    /* mallopt: accepted or refused, never a crash */
    {
        int rc = mallopt(M_ARENA_MAX, 2);
        (void)rc;
        rc = mallopt(M_MMAP_THRESHOLD, 1 << 20);
        (void)rc;
        rc = mallopt(M_TRIM_THRESHOLD, 1 << 20);
        (void)rc;
        rc = mallopt(12345, 1); /* unknown parameter */
        (void)rc;
    }

    /* still works */
    for (size_t s = 1; s < 32 * MiB; s = s * 3 + 1) {
        unsigned char *p = malloc(s);
        CHECK(p != NULL);
        memset(p, 7, s);
        free(p);
    }
    printf("glibc_ext (%s): ok\n", T_VARIANT);
    return 0;
}
