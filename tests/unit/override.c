/* override — linking libward replaces every standard allocation function.
 * (Standard-names variants only: linked with libward.so, and with libward.a.)
 *
 *  - each standard name (malloc free calloc realloc reallocarray
 *    posix_memalign aligned_alloc memalign valloc pvalloc malloc_usable_size
 *    free_sized free_aligned_sized mallinfo2 malloc_trim malloc_stats mallopt)
 *    resolves to ward, not to glibc: no entry point is left to glibc;
 *  - blocks that glibc allocates internally (strdup, asprintf, getline,
 *    open_memstream, realpath, scandir, getdelim, qsort's buffer, fopen's
 *    FILE, regcomp, ...) are ward's blocks: the program frees, reallocs and
 *    sizes them with ward, and they are handed over without crashes;
 *  - a block from malloc has the same usable size through the standard name
 *    and through ward_usable_size (one allocator).
 */
#include "api.h"

#include <dirent.h>
#include <regex.h>
#include <stdarg.h>

#ifndef WARD_TEST_STD
#error "override tests the standard names only"
#endif

static const char *const names[] = {
    "malloc",      "free",           "calloc",         "realloc",     "reallocarray",
    "posix_memalign", "aligned_alloc", "memalign",     "valloc",      "pvalloc",
    "malloc_usable_size", "free_sized", "free_aligned_sized", "mallinfo2", "malloc_trim",
    "malloc_stats", "mallopt",
};

static int dir_filter(const struct dirent *d) { return d->d_name[0] != '.'; }

int main(void)
{
    t_init();

    /* every standard name resolves to ward */
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *o = t_symbol_origin(names[i]);
#ifdef WARD_TEST_STATIC
        /* libward.a is linked into the executable, which exports the names
         * that libc also defines; the C23 sized frees, unknown to glibc 2.36,
         * may stay unexported (nothing outside the executable calls them) */
        int optional = strstr(names[i], "_sized") != NULL;
        CHECKF(strstr(o, "libc.so") == NULL && (optional || strcmp(o, "(undefined)") != 0),
               "%s resolves to %s, not to ward linked into the executable", names[i], o);
#else
        CHECKF(strstr(o, "libward") != NULL, "%s resolves to %s, not to libward", names[i], o);
#endif
        printf("%-20s -> %s\n", names[i], o);
    }

    /* one allocator: the standard and the ward_ names agree */
    for (size_t s = 1; s < 10 * MiB; s = s * 3 + 1) {
        void *p = malloc(s);
        CHECK(p != NULL);
        CHECKF(malloc_usable_size(p) == ward_usable_size(p), "usable sizes differ for %zu: %zu vs %zu", s,
               malloc_usable_size(p), ward_usable_size(p));
        if (s % 2) ward_free(p);
        else free(p);
        p = ward_malloc(s);
        CHECK(p != NULL);
        p = realloc(p, s + 5);
        CHECK(p != NULL);
        free(p);
    }

    /* blocks glibc allocates internally are ward's */
    for (int rep = 0; rep < 2000; rep++) {
        char *d = strdup("hello, ward");
        CHECK(d != NULL && strcmp(d, "hello, ward") == 0);
        CHECK(malloc_usable_size(d) >= 12);
        d = realloc(d, 4000);
        CHECK(d != NULL && strcmp(d, "hello, ward") == 0);
        free(d);

        char *n = strndup("abcdefgh", 4);
        CHECK(n != NULL && strcmp(n, "abcd") == 0);
        ward_free(n);

        char *a = NULL;
        CHECK(asprintf(&a, "%d-%s-%0*d", rep, "x", 300, 7) > 300);
        CHECK(ward_usable_size(a) > 300);
        free(a);
    }
    {
        FILE *f = tmpfile(); /* the FILE and its buffer come from malloc */
        CHECK(f != NULL);
        for (int i = 0; i < 1000; i++) fprintf(f, "line %d %0*d\n", i, i % 300, 0);
        rewind(f);
        char *line = NULL;
        size_t cap = 0;
        int lines = 0;
        while (getline(&line, &cap, f) > 0) lines++;
        CHECK(lines == 1000);
        CHECK(ward_usable_size(line) >= cap);
        free(line);
        rewind(f);
        line = malloc(2); /* getdelim grows a block we gave it */
        cap = 2;
        CHECK(getdelim(&line, &cap, ' ', f) > 0);
        free(line);
        fclose(f);
    }
    {
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        CHECK(m != NULL);
        for (int i = 0; i < 100000; i++) fputs("0123456789", m);
        fclose(m);
        CHECK(len == 1000000 && buf != NULL);
        CHECK(ward_usable_size(buf) >= len);
        free(buf);
    }
    {
        char *rp = realpath("/proc/self/exe", NULL);
        CHECK(rp != NULL);
        CHECK(ward_usable_size(rp) > strlen(rp));
        free(rp);
        char *cwd = getcwd(NULL, 0);
        CHECK(cwd != NULL);
        free(cwd);
    }
    {
        struct dirent **list = NULL;
        int n = scandir("/proc/self", &list, dir_filter, alphasort);
        CHECK(n > 0);
        for (int i = 0; i < n; i++) free(list[i]);
        free(list);
    }
    {
        regex_t re;
        CHECK(regcomp(&re, "^(a|b)+[0-9]{2,5}$", REG_EXTENDED) == 0);
        CHECK(regexec(&re, "abba123", 0, NULL, 0) == 0);
        regfree(&re);
    }
    {
        /* qsort of a large array makes glibc allocate a temporary buffer */
        enum { N = 200000 };
        int *v = malloc(N * sizeof *v);
        CHECK(v != NULL);
        for (int i = 0; i < N; i++) v[i] = (i * 7919) % N;
        int cmp(const void *x, const void *y);
        qsort(v, N, sizeof *v, cmp);
        for (int i = 1; i < N; i++) CHECK(v[i - 1] <= v[i]);
        free(v);
    }

    printf("override (%s%s): ok\n", T_VARIANT,
#ifdef WARD_TEST_STATIC
           ", static"
#else
           ""
#endif
    );
    return 0;
}

int cmp(const void *x, const void *y)
{
    int a = *(const int *)x, b = *(const int *)y;
    return (a > b) - (a < b);
}
