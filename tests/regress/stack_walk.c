/* stack_walk — the frame-pointer walk that records allocation stacks (debug
 * mode, and sampled blocks in every mode) must not read outside the stack,
 * whatever code without frame pointers left in %rbp. Each case runs in a
 * child (this program re-executed with a ward library preloaded), which
 * calls malloc from a thread on a stack of its own with %rbp pointing just
 * past that stack's end:
 *
 *  guard_page  into an inaccessible page right above the stack: malloc
 *              died of SIGSEGV in the walk;
 *  freed_slot  into a freed sampled block (WARD_SAMPLE=1), the stack
 *              placed right below the sample segment: the walk's read was
 *              reported as a use after free the program never made.
 *
 * The child must print "ok" and exit 0 with no report.
 *
 * usage: test_stack_walk guard_page|freed_slot LIBRARY
 */
#include "api.h"

#include "../lifetimes/child_run.c"

#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#if defined(__x86_64__)
/* malloc(n) called with %rbp = rbp_value, as a function built without frame
 * pointers may do (%rbp is then an ordinary callee-saved register). */
void *malloc_with_rbp(void *rbp_value, size_t n);
__asm__(".text\n"
        ".globl malloc_with_rbp\n"
        ".type malloc_with_rbp, @function\n"
        "malloc_with_rbp:\n"
        "  push %rbp\n"
        "  mov %rdi, %rbp\n"
        "  mov %rsi, %rdi\n"
        "  call malloc@PLT\n"
        "  pop %rbp\n"
        "  ret\n"
        ".size malloc_with_rbp, .-malloc_with_rbp\n");

enum { STACK_SIZE = 1 << 20 };

static void *stray_rbp;

static void *allocate_with_stray_rbp(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) free(malloc_with_rbp(stray_rbp, 32));
    return NULL;
}

/* Runs allocate_with_stray_rbp on a thread whose stack is [stack, stack + STACK_SIZE). */
static void run_on_stack(void *stack)
{
    pthread_attr_t attr;
    CHECK(pthread_attr_init(&attr) == 0);
    CHECK(pthread_attr_setstack(&attr, stack, STACK_SIZE) == 0);
    pthread_t t;
    CHECK(pthread_create(&t, &attr, allocate_with_stray_rbp, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
}

static void child_guard_page(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, STACK_SIZE + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    CHECK(mprotect(m + STACK_SIZE, page, PROT_NONE) == 0);
    stray_rbp = m + STACK_SIZE + 64;
    run_on_stack(m);
}

static void child_freed_slot(void)
{
    /* With WARD_SAMPLE=1 every small block is sampled: this one shows where
     * the sample segment (4 MiB aligned) is, and once freed its slot is
     * inaccessible. */
    char *probe = malloc(120);
    CHECK(probe != NULL);
    uintptr_t segment = (uintptr_t)probe & ~(uintptr_t)((4u << 20) - 1);
    free(probe);
    void *stack = mmap((void *)(segment - STACK_SIZE), STACK_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (stack == MAP_FAILED) {
        printf("skip: the address below the sample segment is taken\n");
        return;
    }
    char *slot = malloc(120);
    CHECK(slot != NULL && (uintptr_t)slot - segment < (4u << 20));
    free(slot);
    stray_rbp = slot + 64;
    run_on_stack(stack);
}
#endif

int main(int argc, char **argv)
{
#if !defined(__x86_64__)
    printf("stack_walk: x86-64 only\n");
    return 77;
#else
    if (argc == 3 && !strcmp(argv[1], "child")) {
        if (!strcmp(argv[2], "guard_page")) child_guard_page();
        else child_freed_slot();
        printf("ok\n");
        return 0;
    }
    CHECKF(argc == 3, "usage: test_stack_walk guard_page|freed_slot LIBRARY");
    char preload[4200];
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", argv[2]);
    const char *env[] = {preload, "WARD_SAMPLE=1", "WARD_LEAKS=0", NULL};
    const char *args[] = {"child", argv[1], NULL};
    static child_result_t r;
    run_child(&r, NULL, args, env);
    char how[128];
    describe_child(&r, how, sizeof how);
    CHECKF(r.exited && r.code == 0 && strstr(r.out, "ward: error") == NULL && strstr(r.out, "ok\n") != NULL,
           "child %s:\n%.2000s", how, r.out);
    if (strstr(r.out, "skip:") != NULL) {
        printf("stack_walk %s (%s): %s", argv[1], argv[2], r.out);
        return 77;
    }
    printf("stack_walk %s (%s): ok\n", argv[1], argv[2]);
    return 0;
#endif
}
