// tls_cxx — allocation in C++ thread_local destructors.
//
// Every thread touches a thread_local Holder that allocates in its
// constructor. At thread exit its destructor checks and frees those blocks,
// frees a block main allocated, allocates and frees a burst of all sizes, and
// hands a fresh block to main (checked and freed after the join). The main
// thread's own thread_local is destroyed during exit(); its destructor
// allocates too (a failure exits with status 1). In the standard-names build
// the std::vector / std::string members go through ward as well.
#include "api.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kThreads = 64;
std::atomic<int> handed{0};
unsigned char *to_main[kThreads + 1];
unsigned char *from_main[kThreads];
std::atomic<int> dtors{0};

struct Holder {
    unsigned char *blocks[16];
    size_t sizes[16];
    std::vector<std::string> strings;
    unsigned char *foreign = nullptr; // allocated by main
    bool is_main = false;

    Holder()
    {
        for (int i = 0; i < 16; i++) {
            sizes[i] = static_cast<size_t>(1) << i;
            blocks[i] = static_cast<unsigned char *>(t_malloc(sizes[i]));
            CHECK(blocks[i] != nullptr);
            pattern_fill(blocks[i], sizes[i], block_seed(blocks[i], sizes[i]));
        }
        for (int i = 0; i < 100; i++) strings.emplace_back(static_cast<size_t>(i) * 10, 'x');
    }
    ~Holder()
    {
        for (int i = 0; i < 16; i++) {
            CHECK_PATTERN(blocks[i], sizes[i], block_seed(blocks[i], sizes[i]));
            t_free(blocks[i]);
        }
        if (foreign) {
            CHECK_PATTERN(foreign, 333, block_seed(foreign, 333));
            t_free(foreign);
        }
        for (size_t s = 1; s < 8 * MiB; s = s * 3 + 1) {
            void *p = t_malloc(s);
            CHECKF(p != nullptr, "malloc(%zu) in a thread_local destructor failed", s);
            memset(p, 2, s);
            t_free(p);
        }
        strings.clear();
        strings.shrink_to_fit();
        std::string s(100000, 'y'); // operator new in the destructor
        CHECK(s[99999] == 'y');
        unsigned char *p = static_cast<unsigned char *>(t_malloc(4000));
        CHECK(p != nullptr);
        pattern_fill(p, 4000, block_seed(p, 4000));
        int i = handed.fetch_add(1);
        CHECK(i <= kThreads);
        to_main[i] = p;
        dtors.fetch_add(1);
        if (is_main) fprintf(stderr, "main thread's thread_local destructor: ok\n");
    }
};

thread_local Holder holder;

} // namespace

int main()
{
    t_init();
    for (int i = 0; i < kThreads; i++) {
        from_main[i] = static_cast<unsigned char *>(t_malloc(333));
        CHECK(from_main[i] != nullptr);
        pattern_fill(from_main[i], 333, block_seed(from_main[i], 333));
    }
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; i++) {
        threads.emplace_back([i] {
            holder.foreign = from_main[i]; // constructs the thread's Holder
            void *p = t_malloc(64);
            CHECK(p != nullptr);
            t_free(p);
        });
        if (threads.size() == 16) {
            for (auto &t : threads) t.join();
            threads.clear();
        }
    }
    for (auto &t : threads) t.join();
    CHECKF(dtors.load() == kThreads, "%d thread_local destructors ran, expected %d", dtors.load(), kThreads);
    for (int i = 0; i < kThreads; i++) {
        CHECK_PATTERN(to_main[i], 4000, block_seed(to_main[i], 4000));
        t_free(to_main[i]);
    }
    holder.is_main = true; // destroyed during exit
    printf("tls_cxx (%s): main ok\n", T_VARIANT);
    fflush(stdout);
    return 0;
}
