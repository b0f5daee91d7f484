/* Hooks for the tools a program may run under: AddressSanitizer and
 * valgrind. They cost nothing unless a tool is present:
 *
 * - ASan: ward refers to the ASan interface through weak symbols, so the
 *   same libward works in a normal process (the symbols are NULL) and in a
 *   program built with -fsanitize=address (they resolve to ASan's runtime),
 *   whether or not ward itself was compiled with ASan.
 * - valgrind: the client-request macros from <valgrind/memcheck.h> (a header
 *   only, no library), when that header is installed; otherwise they compile
 *   to nothing. They execute a few no-op instructions outside valgrind, so
 *   callers test ward_tools_active() once and keep the answer.
 */
#ifndef WARD_TOOLS_H
#define WARD_TOOLS_H

#include <stdbool.h>
#include <stddef.h>

extern void __asan_poison_memory_region(void const volatile *addr, size_t size) __attribute__((weak));
extern void __asan_unpoison_memory_region(void const volatile *addr, size_t size) __attribute__((weak));

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define WARD_HAVE_VALGRIND 1
#endif
#endif

#ifndef WARD_HAVE_VALGRIND
#define RUNNING_ON_VALGRIND 0
#define VALGRIND_CREATE_MEMPOOL(pool, rz, zeroed) ((void)0)
#define VALGRIND_DESTROY_MEMPOOL(pool) ((void)0)
#define VALGRIND_MEMPOOL_ALLOC(pool, addr, size) ((void)0)
#define VALGRIND_MEMPOOL_FREE(pool, addr) ((void)0)
#define VALGRIND_MEMPOOL_TRIM(pool, addr, size) ((void)0)
#define VALGRIND_MAKE_MEM_NOACCESS(addr, size) ((void)0)
#define VALGRIND_MAKE_MEM_UNDEFINED(addr, size) ((void)0)
#define VALGRIND_MAKE_MEM_DEFINED(addr, size) ((void)0)
#endif

static inline bool ward_asan_active(void) {
    return __asan_poison_memory_region != NULL && __asan_unpoison_memory_region != NULL;
}

static inline bool ward_valgrind_active(void) {
    return RUNNING_ON_VALGRIND != 0;
}

static inline void ward_tool_poison(const void *addr, size_t size) {
    if (size == 0) return;
    if (__asan_poison_memory_region != NULL) __asan_poison_memory_region(addr, size);
    VALGRIND_MAKE_MEM_NOACCESS(addr, size);
}

static inline void ward_tool_unpoison(const void *addr, size_t size) {
    if (size == 0) return;
    if (__asan_unpoison_memory_region != NULL) __asan_unpoison_memory_region(addr, size);
    VALGRIND_MAKE_MEM_UNDEFINED(addr, size);
}

/* Makes memory ward wrote itself (a free-list link) readable again. */
static inline void ward_tool_expose_defined(const void *addr, size_t size) {
    if (__asan_unpoison_memory_region != NULL) __asan_unpoison_memory_region(addr, size);
    VALGRIND_MAKE_MEM_DEFINED(addr, size);
}

#endif
