/* heap_sample — first-class heaps under WARD_SAMPLE.
 *
 * Sampled slots are global and outlive heaps, so a first-class heap's
 * blocks must never be sampled: ward_heap_destroy would leave them behind.
 * A child (this program re-executed, see child_run.c) with WARD_SAMPLE=1
 * (sample every allocation it can) and WARD_LEAKS=1 allocates 3000 blocks
 * from each of three heaps and destroys them: none of them is sampled
 * (usable size), and no report follows (sampled heap blocks used to show up
 * as leaks at exit). Its own mallocs are sampled as usual (some are; half
 * stay live, reachable, so no leak either), and a freed sampled block read
 * after free faults with a report.
 */
#include "api.h"

#include "../lifetimes/child_run.c"

static char *kept[3000];

static void child_heaps(void)
{
    /* A sampled block's usable size is the size asked for (100); a block of
     * a size class has at least 112. */
    size_t heap_sampled = 0, malloc_sampled = 0;
    for (int round = 0; round < 3; round++) {
        ward_heap_t *h = ward_heap_new();
        CHECK(h != NULL);
        for (int i = 0; i < 3000; i++) {
            char *p = ward_heap_malloc(h, 100);
            CHECK(p != NULL);
            memset(p, i, 100);
            if (ward_usable_size(p) == 100) heap_sampled++;
        }
        ward_heap_destroy(h);
    }
    for (int i = 0; i < 3000; i++) {
        char *p = ward_malloc(100);
        CHECK(p != NULL);
        p[0] = 1;
        if (ward_usable_size(p) == 100) malloc_sampled++;
        if (i % 2) ward_free(p);
        else kept[i] = p;
    }
    CHECKF(heap_sampled == 0, "%zu blocks of first-class heaps were sampled", heap_sampled);
    CHECKF(malloc_sampled > 0, "WARD_SAMPLE=1 sampled none of 3000 mallocs");
    fprintf(stderr, "child done (%zu mallocs sampled)\n", malloc_sampled);
}

static void child_uaf(void)
{
    volatile char *p = ward_malloc(64);
    CHECK(p != NULL);
    p[0] = 1;
    ward_free((void *)p);
    (void)p[0]; /* sampled and freed: faults */
    fprintf(stderr, "child survived\n");
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "child")) {
        if (!strcmp(argv[2], "heaps")) child_heaps();
        else child_uaf();
        return 0;
    }
    t_init();
    static child_result_t r;
    const char *env[] = {"WARD_SAMPLE=1", "WARD_LEAKS=1", NULL};
    const char *heaps[] = {"child", "heaps", NULL};
    run_child(&r, NULL, heaps, env);
    char how[128];
    describe_child(&r, how, sizeof how);
    CHECKF(r.exited && r.code == 0, "heaps child %s:\n%s", how, r.out);
    CHECKF(strstr(r.out, "child done") != NULL, "heaps child did not finish:\n%s", r.out);
    CHECKF(strstr(r.out, "ward: error") == NULL, "a report from heaps destroyed under WARD_SAMPLE=1:\n%s", r.out);
    const char *uaf[] = {"child", "uaf", NULL};
    run_child(&r, NULL, uaf, env);
    describe_child(&r, how, sizeof how);
    CHECKF(r.signaled && r.sig == SIGSEGV, "use after free of a sampled block: child %s:\n%s", how, r.out);
    CHECKF(strstr(r.out, "ward: error: use after free") != NULL, "no use-after-free report:\n%s", r.out);
    printf("heap_sample (%s): ok\n", T_VARIANT);
    return 0;
}
