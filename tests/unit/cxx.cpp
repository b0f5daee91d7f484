// cxx — C++ allocation through ward (standard-names build only).
//
//  - operator new/delete and new[]/delete[] for many sizes, the blocks being
//    ward's (malloc_usable_size works on them, operator new resolves through
//    ward's malloc);
//  - aligned new: alignas(64), alignas(256), alignas(4096), alignas(65536)
//    types, single objects and arrays, and ::operator new(n, align_val_t);
//  - sized and aligned delete;
//  - std::vector / std::map / std::string / std::unordered_map / std::list /
//    std::shared_ptr churn with contents checked;
//  - nothrow new of a huge size returns nullptr; new of a huge size throws
//    std::bad_alloc (plain, array and aligned forms), and the new_handler is
//    called once before the throw.
#include "api.h"

#include <list>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#ifndef WARD_TEST_STD
#error "cxx tests the standard names only"
#endif

struct alignas(64) A64 { unsigned char b[40]; };
struct alignas(256) A256 { unsigned char b[300]; int x; };
struct alignas(4096) A4K { unsigned char b[100]; };
struct alignas(65536) A64K { unsigned char b[10]; };

template <class T>
static void aligned_new_check()
{
    std::vector<T *> v;
    for (int i = 0; i < 200; i++) {
        T *p = new T();
        CHECKF(reinterpret_cast<uintptr_t>(p) % alignof(T) == 0, "new of alignas(%zu) = %p misaligned", alignof(T),
               (void *)p);
        memset(p->b, i & 0xFF, sizeof p->b);
        v.push_back(p);
    }
    for (size_t i = 0; i < v.size(); i++) {
        for (size_t k = 0; k < sizeof v[i]->b; k++) CHECK(v[i]->b[k] == (unsigned char)(i & 0xFF));
        delete v[i];
    }
    for (int n = 1; n < 20; n += 3) {
        T *a = new T[n];
        CHECKF(reinterpret_cast<uintptr_t>(a) % alignof(T) == 0, "new[%d] of alignas(%zu) misaligned", n, alignof(T));
        for (int i = 0; i < n; i++) memset(a[i].b, 7, sizeof a[i].b);
        delete[] a;
    }
}

static int handler_calls;
static void new_handler()
{
    handler_calls++;
    std::set_new_handler(nullptr); // next failure throws
}

int main()
{
    t_init();

    // plain new/delete: ward's blocks
    for (size_t s = 1; s < 64 * MiB; s = s * 2 + 1) {
        char *p = new char[s];
        CHECK(p != nullptr);
        CHECKF(malloc_usable_size(p) >= s, "new char[%zu]: malloc_usable_size %zu", s, malloc_usable_size(p));
        CHECK(ward_usable_size(p) == malloc_usable_size(p));
        memset(p, 0x42, s);
        delete[] p;
        void *q = ::operator new(s);
        memset(q, 1, s);
        if (s % 2) ::operator delete(q, s); // sized delete
        else ::operator delete(q);
        int *i = new int(static_cast<int>(s));
        CHECK(*i == static_cast<int>(s));
        delete i;
    }

    aligned_new_check<A64>();
    aligned_new_check<A256>();
    aligned_new_check<A4K>();
    aligned_new_check<A64K>();
    for (size_t a = 16; a <= 1 * MiB; a *= 2) {
        for (size_t s = 1; s < 3 * a; s = s * 3 + 1) {
            void *p = ::operator new(s, std::align_val_t(a));
            CHECKF(reinterpret_cast<uintptr_t>(p) % a == 0, "operator new(%zu, align %zu) misaligned", s, a);
            memset(p, 3, s);
            if (s % 2) ::operator delete(p, s, std::align_val_t(a));
            else ::operator delete(p, std::align_val_t(a));
        }
    }

    // containers
    {
        rng_t r;
        rng_seed(&r, 11);
        std::map<int, std::string> m;
        std::unordered_map<std::string, std::vector<int>> um;
        std::list<std::string> l;
        std::vector<std::shared_ptr<std::string>> sp;
        for (int it = 0; it < 200000; it++) {
            int k = static_cast<int>(rng_range(&r, 0, 5000));
            std::string val(rng_range(&r, 0, 200), static_cast<char>('a' + k % 26));
            switch (rng_range(&r, 0, 5)) {
            case 0: m[k] = val; break;
            case 1: m.erase(k); break;
            case 2: {
                auto &v = um[std::to_string(k)];
                v.push_back(k);
                if (v.size() > 50) v.clear();
                break;
            }
            case 3: um.erase(std::to_string(k)); break;
            case 4:
                l.push_back(val);
                if (l.size() > 1000) l.pop_front();
                break;
            default:
                sp.push_back(std::make_shared<std::string>(val));
                if (sp.size() > 500) sp.erase(sp.begin(), sp.begin() + 250);
                break;
            }
        }
        for (auto &kv : m)
            for (char c : kv.second) CHECK(c == static_cast<char>('a' + kv.first % 26));
        for (auto &kv : um)
            for (int x : kv.second) CHECK(std::to_string(x) == kv.first);
        for (auto &s : l)
            for (char c : s) CHECK(c == s[0]);
        std::vector<std::vector<double>> big;
        for (int i = 0; i < 100; i++) big.emplace_back(static_cast<size_t>(i) * 1000, static_cast<double>(i));
        for (int i = 0; i < 100; i++)
            for (double d : big[static_cast<size_t>(i)]) CHECK(d == static_cast<double>(i));
        std::string s;
        for (int i = 0; i < 100000; i++) s += static_cast<char>('0' + i % 10);
        for (int i = 0; i < 100000; i++) CHECK(s[static_cast<size_t>(i)] == static_cast<char>('0' + i % 10));
    }

    // failures
    const size_t huge_sizes[] = {opaque_size(SIZE_MAX / 2), opaque_size(static_cast<size_t>(1) << 57),
                                 opaque_size(SIZE_MAX - 4095)};
    for (size_t hs : huge_sizes) {
        void *p = ::operator new(hs, std::nothrow);
        CHECKF(p == nullptr, "operator new(%zu, nothrow) returned %p", hs, p);
        p = ::operator new[](hs, std::nothrow);
        CHECKF(p == nullptr, "operator new[](%zu, nothrow) returned %p", hs, p);
        p = ::operator new(hs, std::align_val_t(64), std::nothrow);
        CHECKF(p == nullptr, "operator new(%zu, align 64, nothrow) returned %p", hs, p);
        char *c = new (std::nothrow) char[hs];
        CHECKF(c == nullptr, "new (nothrow) char[%zu] returned %p", hs, (void *)c);

        bool thrown = false;
        try {
            p = ::operator new(hs);
            opaque_ptr(p);
        } catch (const std::bad_alloc &) {
            thrown = true;
        }
        CHECKF(thrown, "operator new(%zu) did not throw std::bad_alloc", hs);
        thrown = false;
        try {
            c = new char[hs];
            opaque_ptr(c);
        } catch (const std::bad_alloc &) {
            thrown = true;
        }
        CHECKF(thrown, "new char[%zu] did not throw std::bad_alloc", hs);
        thrown = false;
        try {
            p = ::operator new(hs, std::align_val_t(4096));
            opaque_ptr(p);
        } catch (const std::bad_alloc &) {
            thrown = true;
        }
        CHECKF(thrown, "operator new(%zu, align 4096) did not throw std::bad_alloc", hs);
    }
    {
        handler_calls = 0;
        std::set_new_handler(new_handler);
        bool thrown = false;
        try {
            void *p = ::operator new(opaque_size(SIZE_MAX / 2));
            opaque_ptr(p);
        } catch (const std::bad_alloc &) {
            thrown = true;
        }
        CHECK(thrown);
        CHECKF(handler_calls == 1, "new_handler called %d times", handler_calls);
    }

    // still works
    std::vector<std::string> v(1000, std::string(100, 'x'));
    CHECK(v[999][99] == 'x');
    printf("cxx (%s): ok\n", T_VARIANT);
    return 0;
}
