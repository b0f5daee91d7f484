/* bugs.h — shared by the bug programs of tests/bugs/.
 *
 * Each program makes one memory error on purpose, in functions with names
 * the driver (run_bugs.py) looks for in ward's report: it is built with
 * -O0 -g and frame pointers against glibc alone, and ward comes in through
 * LD_PRELOAD. What happens after the error (nothing, normally: the program
 * prints BUG_FINISHED and exits 0) tells the driver whether the process
 * went on, e.g. under WARD_ON_ERROR=report.
 */
#ifndef BUGS_H
#define BUGS_H

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, used))

/* Hides a pointer's origin from the compiler, so that it neither warns about
 * the deliberate error nor reasons its way around it. */
static inline void *opaque(void *p) {
    __asm__ volatile("" : "+r"(p) : : "memory");
    return p;
}

/* Tells the driver the address ward's report must name ("BUG_ADDR 0x..." on
 * stderr), written without allocating: an allocation here would change
 * what the program's own allocations are (e.g. which one is a thread's
 * first). */
static inline void note_addr(const void *p) {
    char line[64];
    int n = snprintf(line, sizeof line, "BUG_ADDR %p\n", p);
    if (n > 0 && write(2, line, (size_t)n) < 0) abort();
}

/* The line the driver looks for: the program ran to its end, with ward (the
 * file that defines ward_version) or without it ("none": LD_PRELOAD failed). */
static inline int finished(void) {
    void *sym = dlsym(RTLD_DEFAULT, "ward_version");
    Dl_info info;
    const char *lib = sym != NULL && dladdr(sym, &info) && info.dli_fname != NULL ? info.dli_fname : "none";
    printf("BUG_FINISHED ward=%s\n", lib);
    fflush(stdout);
    return 0;
}

#endif
