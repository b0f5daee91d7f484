// cxx — C++ containers: a std::map<std::string, std::string> churned by
// inserts and erases (node allocations, short strings inside the small-string
// buffer and longer ones outside it), std::string concatenation, and
// std::unordered_map<int, std::vector<int>> buckets that grow and are
// cleared. operator new/delete (sized, in C++17) go to the allocator's own
// C++ operators where it has them, or to malloc/free through libstdc++.
//
// usage: cxx [scale]
// Check: map sizes and a checksum of all lengths and contents seen.
#include "common.h"

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

static std::string make_value(uint64_t k, rng_t &r) {
  std::string s = "v";
  size_t parts = 1 + rng_below(&r, 6);
  for (size_t i = 0; i < parts; i++) {
    s += std::to_string(k * 31 + i);
    if (rng_below(&r, 4) == 0) s += std::string(8 + rng_below(&r, 120), char('a' + k % 26));
  }
  return s;
}

int main(int argc, char **argv) {
  double scale = bench_scale(argc, argv, "cxx");
  size_t ops = scaled(1.5e6, scale, 10000);
  size_t keys = 200000;
  rng_t r{7};
  std::map<std::string, std::string> m;
  uint64_t inserted = 0, erased = 0, check = 0;
  for (size_t i = 0; i < ops; i++) {
    uint64_t k = rng_below(&r, keys);
    std::string key = "key-" + std::to_string(k) + (k % 3 == 0 ? "-with-a-longer-suffix" : "");
    if (rng_below(&r, 3) == 0) {
      auto it = m.find(key);
      if (it != m.end()) {
        check += it->second.size();
        m.erase(it);
        erased++;
      }
    } else {
      auto res = m.emplace(key, make_value(k, r));
      if (res.second) inserted++;
      else check += res.first->second.size() ^ 1;
    }
  }
  BENCH_CHECK(m.size() == inserted - erased, "map size %zu, expected %llu", m.size(),
              (unsigned long long)(inserted - erased));
  for (auto &kv : m) {
    BENCH_CHECK(kv.first.compare(0, 4, "key-") == 0 && kv.second[0] == 'v', "map entry corrupted");
    check += kv.first.size() + kv.second.size();
  }
  m.clear();

  std::unordered_map<int, std::vector<int>> buckets;
  uint64_t pushed = 0, summed = 0;
  size_t rounds = scaled(20, scale, 2);
  for (size_t round = 0; round < rounds; round++) {
    for (int i = 0; i < 200000; i++) {
      int k = (int)rng_below(&r, 20000);
      buckets[k].push_back(i);
      pushed++;
    }
    for (auto &kv : buckets) {
      for (int v : kv.second) summed += (uint64_t)v + 1;
      check += kv.second.size();
    }
    if (round % 2) buckets.clear();
    else
      for (auto &kv : buckets) std::vector<int>().swap(kv.second);
  }
  uint64_t expect = 0;
  for (size_t round = 0; round < rounds; round++) expect += 200000ull * 200001 / 2;
  BENCH_CHECK(summed == expect, "vector contents wrong");
  printf("cxx: %llu map inserts, %llu vector pushes, checksum %llu\n",
         (unsigned long long)inserted, (unsigned long long)pushed, (unsigned long long)check);
  return 0;
}
