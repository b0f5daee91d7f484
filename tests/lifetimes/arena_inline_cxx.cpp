// arena_inline_cxx — ward.h's inline arena path compiled as C++ with strict
// warnings (old-style casts, pedantic, cast alignment: see CMakeLists.txt),
// and used: aligned, adjacent, new chunks, and the library's answers for
// the cases it hands over.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ward.h"

#define REQUIRE(cond)                                                     \
    do {                                                                  \
        if (!(cond)) {                                                    \
            std::fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
            std::exit(1);                                                 \
        }                                                                 \
    } while (0)

int main() {
    ward_arena_t *a = ward_arena_new(0);
    REQUIRE(a != nullptr);
    unsigned char *prev = nullptr;
    for (int i = 0; i < 100000; i++) {
        void *v = ward_arena_alloc(a, 40, 8);
        REQUIRE(v != nullptr);
        unsigned char *p = static_cast<unsigned char *>(v);
        REQUIRE(reinterpret_cast<std::uintptr_t>(p) % 8 == 0);
        std::memset(p, i & 0xff, 40);
        REQUIRE(prev == nullptr || p >= prev + 40 || p + 40 <= prev);
        prev = p;
    }
    void *big = ward_arena_alloc(a, 4096, 4096);
    REQUIRE(big != nullptr && reinterpret_cast<std::uintptr_t>(big) % 4096 == 0);
    errno = 0;
    REQUIRE(ward_arena_alloc(a, 8, 3) == nullptr && errno == EINVAL);
    REQUIRE(ward_arena_alloc(a, 0, 0) != nullptr);
    REQUIRE(ward_arena_used(a) >= 100000 * 40 + 4096);
    ward_arena_destroy(a);
    return 0;
}
