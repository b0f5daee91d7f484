// 2b. larson-sized — the server pattern with C++ ::operator new and sized
// ::operator delete(void*, size_t), the way C++ containers free. Allocators
// that define sized delete (mimalloc, jemalloc, tcmalloc do) get the size;
// the others get libstdc++'s, which calls free(). See larson.h.
#include <new>
#define LARSON_NAME "larson-sized"
#define LARSON_ALLOC(n) ::operator new(n)
#define LARSON_FREE(p, n) ::operator delete((p), (n))
#include "larson.h"
