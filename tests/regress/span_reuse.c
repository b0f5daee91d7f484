/* Regression: the search for a free span looked at only the first 64
 * segments of a heap, so holes freed further down were never reused and
 * every large allocation mapped more address space. */
#include "api.h"

enum { N = 2304 };
static void *blocks[N];

int main(void) {
    ward_stats_t s;
    for (int i = 0; i < N; i++) CHECK((blocks[i] = ward_malloc(300 << 10)) != NULL);
    ward_stats_get(&s);
    size_t reserved = s.reserved, segments = s.segments;
    for (int round = 0; round < 3; round++) {
        for (int i = round & 1; i < N; i += 2) {
            ward_free(blocks[i]);
            blocks[i] = NULL;
        }
        for (int i = round & 1; i < N; i += 2) CHECK((blocks[i] = ward_malloc(300 << 10)) != NULL);
        ward_stats_get(&s);
        CHECKF(s.reserved <= reserved && s.segments <= segments,
               "round %d: reserved %zu -> %zu MiB, segments %zu -> %zu: freed spans not reused", round,
               reserved >> 20, s.reserved >> 20, segments, s.segments);
    }
    for (int i = 0; i < N; i++) ward_free(blocks[i]);
    return 0;
}
