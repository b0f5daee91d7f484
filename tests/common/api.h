/* api.h — the allocation API a test calls, chosen at build time.
 *
 * Every unit test is built twice in the normal build:
 *   - without WARD_TEST_STD: t_malloc is ward_malloc, etc., and the test is
 *     linked with libward-prefixed (the system malloc stays in place);
 *   - with -DWARD_TEST_STD: t_malloc is malloc, etc., and the test is linked
 *     with libward (shared), so the calls reach ward through its override of
 *     the standard names. t_init() then checks that they really do.
 * Under sanitizers only the first variant is built (the sanitizer runtime owns
 * the standard names).
 *
 * Functions that exist only under one naming (valloc, pvalloc, mallinfo2,
 * malloc_trim, malloc_stats: standard names only) are used under
 * #ifdef WARD_TEST_STD.
 */
#ifndef WARD_TEST_API_H
#define WARD_TEST_API_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dlfcn.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "ward.h"
#include "check.h"

#ifdef WARD_TEST_STD

/* glibc 2.36 does not declare the C23 sized frees; libward defines them. */
#ifdef __cplusplus
extern "C" {
#endif
void free_sized(void *p, size_t size) __THROW;
void free_aligned_sized(void *p, size_t align, size_t size) __THROW;
#ifdef __cplusplus
}
#endif

#define T_VARIANT "std"
#define t_malloc malloc
#define t_calloc calloc
#define t_realloc realloc
#define t_reallocarray reallocarray
#define t_aligned_alloc aligned_alloc
#define t_posix_memalign posix_memalign
#define t_memalign memalign
#define t_free free
#define t_free_sized free_sized
#define t_free_aligned_sized free_aligned_sized
#define t_usable_size malloc_usable_size
#define t_trim() malloc_trim(0)

#else

#define T_VARIANT "ward"
#define t_malloc ward_malloc
#define t_calloc ward_calloc
#define t_realloc ward_realloc
#define t_reallocarray ward_reallocarray
#define t_aligned_alloc ward_aligned_alloc
#define t_posix_memalign ward_posix_memalign
#define t_memalign ward_memalign
#define t_free ward_free
#define t_free_sized ward_free_sized
#define t_free_aligned_sized ward_free_aligned_sized
#define t_usable_size ward_usable_size
#define t_trim() ward_trim()

#endif

/* Where does the symbol `name` resolve to in this process? (the file name of
 * the object that defines it, or "?" ) */
static TEST_UNUSED const char *t_symbol_origin(const char *name)
{
    void *sym = dlsym(RTLD_DEFAULT, name);
    if (!sym) return "(undefined)";
    Dl_info info;
    if (!dladdr(sym, &info) || !info.dli_fname) return "?";
    return info.dli_fname;
}

/* In the standard-names variant, check that malloc and free really are ward's
 * (linked from libward.so, or from libward.a into the executable), so that a
 * test cannot pass by silently exercising glibc. */
static TEST_UNUSED void t_init(void)
{
#if defined(WARD_TEST_STD) && !defined(WARD_TEST_SHIM)
    static const char *const names[] = {"malloc", "free", "calloc", "realloc"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *o = t_symbol_origin(names[i]);
        CHECKF(strstr(o, "libward") != NULL || strstr(o, "libc.so") == NULL,
               "%s resolves to %s, not to ward: the override does not work", names[i], o);
    }
#endif
}

#endif /* WARD_TEST_API_H */
