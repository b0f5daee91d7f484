/* The hardened-mode floor experiment (bench/floor/run): the fast library
 * with only the costs the guard-mode issue requires of every hardened
 * malloc/free, and nothing else of hardened mode - no quarantine, no block
 * state, no pointer validation, no checksums. What this costs over the
 * fast library is a lower bound for any hardened mode built on it.
 *
 *   WARD_FLOOR_LEVEL 1  room for a canary: every request one byte longer
 *                       (an overflow by one byte must land in it)
 *   WARD_FLOOR_LEVEL 2  and freed memory filled and checked when handed out
 *                       again, as hardened mode does it: blocks up to 256
 *                       bytes whole, bigger ones 64 bytes at each end
 *   WARD_FLOOR_LEVEL 3  as 2, but only the block's first 64 bytes
 *
 * The fill is written on free and checked on malloc; fresh blocks were
 * never filled, so a failed check only counts (floor_mismatches), to keep
 * the work without acting on it. Not part of ward: the run script includes
 * it into a scratch copy of src/alloc.c and src/override.c. */
#include <emmintrin.h>

extern volatile unsigned long floor_mismatches;

static inline void floor_fill(uint8_t *p, size_t n) {
    __m128i v = _mm_set1_epi8((char)0xdf);
    for (size_t i = 0; i + 16 <= n; i += 16) _mm_storeu_si128((__m128i *)(void *)(p + i), v);
}

static inline bool floor_intact(const uint8_t *p, size_t n) {
    __m128i v = _mm_set1_epi8((char)0xdf), all = _mm_set1_epi8(-1);
    for (size_t i = 0; i + 16 <= n; i += 16)
        all = _mm_and_si128(all, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), v));
    return _mm_movemask_epi8(all) == 0xffff;
}

/* Size of p's block when it is a small or medium one, else 0. The first 16
 * bytes (free-list link and its neighbour) are left to the allocator. */
static inline size_t floor_block_size(const void *p) {
    ward_segment_t *seg = ward_segment_of(p);
    if ((uintptr_t)p == (uintptr_t)seg || seg->kind != SEGMENT_NORMAL) return 0;
    ward_page_t *page = ward_page_of(seg, p);
    return page->bin <= WARD_BIN_MEDIUM_LAST ? page->block_size : 0;
}

static inline bool floor_checked(const uint8_t *p, size_t b) {
    if (WARD_FLOOR_LEVEL == 3) return floor_intact(p + 16, (b < 64 ? b : 64) - 16);
    if (b <= 256) return floor_intact(p + 16, b - 16);
    return floor_intact(p + 16, 64) && floor_intact(p + b - 64, 64);
}

static inline void floor_filled(uint8_t *p, size_t b) {
    if (WARD_FLOOR_LEVEL == 3) {
        floor_fill(p + 16, (b < 64 ? b : 64) - 16);
    } else if (b <= 256) {
        floor_fill(p + 16, b - 16);
    } else {
        floor_fill(p + 16, 64);
        floor_fill(p + b - 64, 64);
    }
}

static inline void *floor_malloc(ward_heap_t *heap, size_t n) {
    uint8_t *p = ward_heap_malloc_inline(heap, n + 1);
    if (WARD_FLOOR_LEVEL >= 2 && p != NULL) {
        size_t b = floor_block_size(p);
        if (b >= 16 && !floor_checked(p, b)) floor_mismatches++;
    }
    return p;
}

static inline void floor_free(void *p) {
    if (WARD_FLOOR_LEVEL >= 2 && p != NULL) {
        size_t b = floor_block_size(p);
        if (b >= 16) floor_filled(p, b);
    }
    ward_free_inline(p);
}
