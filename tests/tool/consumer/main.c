/* A program that uses an installed ward, built by test_install.sh once with
 * pkg-config and once with find_package(ward).
 *
 *   app EXPECT    EXPECT: where malloc must come from —
 *                 libward (linked with libward.so), exe (linked with
 *                 libward.a: malloc is in the executable), libc (linked with
 *                 libward-prefixed, which leaves malloc alone)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ward.h>

static int fail(const char *what)
{
    fprintf(stderr, "consumer: FAIL: %s\n", what);
    return 1;
}

int main(int argc, char **argv)
{
    const char *expect = argc > 1 ? argv[1] : "";

    if (strcmp(ward_version(), WARD_VERSION_STRING) != 0)
        return fail("ward_version() differs from WARD_VERSION_STRING");

    char *p = ward_malloc(100);
    if (!p)
        return fail("ward_malloc(100) returned NULL");
    memset(p, 0xab, 100);
    if (ward_usable_size(p) < 100)
        return fail("ward_usable_size(p) < 100");
    ward_free(p);

    char *q = malloc(1000);
    if (!q)
        return fail("malloc(1000) returned NULL");
    memset(q, 0xcd, 1000);
    free(q);

    /* Which object does the program's malloc resolve to? */
    void *(*volatile m)(size_t) = malloc;
    void *addr;
    memcpy(&addr, (void *)&m, sizeof addr);
    Dl_info info;
    if (!dladdr(addr, &info) || !info.dli_fname)
        return fail("dladdr(malloc) failed");
    const char *from = info.dli_fname;
    int in_libc = strstr(from, "libc.so") != NULL;
    int in_ward = strstr(from, "libward.so") != NULL;
    if (!strcmp(expect, "libward") && !in_ward)
        return fprintf(stderr, "consumer: malloc comes from '%s'\n", from), fail("malloc is not libward's");
    if (!strcmp(expect, "exe") && (in_libc || in_ward))
        return fprintf(stderr, "consumer: malloc comes from '%s'\n", from), fail("malloc is not linked in statically");
    if (!strcmp(expect, "libc") && !in_libc)
        return fprintf(stderr, "consumer: malloc comes from '%s'\n", from), fail("malloc is not libc's");

    printf("consumer: ok: ward %s, malloc from %s\n", ward_version(), *from ? from : "(the executable)");
    return 0;
}
