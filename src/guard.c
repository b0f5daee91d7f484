/* Guard modes: the checks of the hardened (WARD_GUARD=1) and debug
 * (WARD_GUARD=2) builds. The fast build compiles none of this but the
 * secret's definition: the mode is chosen when the library is built, so the
 * fast paths carry no mode tests.
 *
 * A guarded block is a raw block B of S bytes from the normal allocator,
 * holding the user's n bytes at B + uoff (uoff = REDZONE, more for aligned
 * requests; REDZONE is 0 in hardened builds):
 *
 *   B            B+uoff          B+end          B+S-8      B+S
 *   | redzone    | user data     | canary bytes  | trailer  |
 *
 * Blocks of small and medium pages (up to 64 KiB) end in an 8-byte trailer:
 * uoff, n, the block's state (live or freed), a 24-bit checksum keyed with
 * the process secret and the block's address, and a fence byte. The state
 * catches a second free: free takes it from live to freed with one
 * compare-and-swap, so of two frees of one block, from any threads, exactly
 * one wins (a plain store while the process has a single thread). The
 * checksum makes a rewritten trailer noticed, and one forged by a program
 * that does not know the secret; the canary bytes lie between
 * the data and the trailer, so a linear overflow trips them first. The
 * trailer is the block's own memory, though: a program that reads it while
 * the block is live and writes it back after the free (a use after free)
 * can make a second free look like a first; the block then sits in the
 * quarantine twice and is reported as a double free when the second copy
 * leaves it (debug builds: when it comes to be handed out twice).
 * Large blocks (one per page) keep uoff and end in their page descriptor
 * and their state in a live bit of the segment header; huge blocks in their
 * mapping's header. A global map of the address space ward holds (one byte
 * per 4 MiB) tells a pointer ward never handed out (stack, globals, wild
 * values) without touching it. A pointer inside a block finds no valid
 * trailer where its block's would be (the general path then names the
 * block it points into).
 *
 * Canary: hardened builds check the 8 bytes after the user data (a write
 * past the end by one byte is caught; a longer linear one too, at the latest
 * in the trailer) and the fence byte just before the block (the last byte
 * of the block before it, or of the page's head: a write before the block
 * is caught); debug builds every byte up to the trailer and a left redzone.
 * Canary bytes come from the secret and the block's address and are never
 * NUL, ASCII, 0xff or the free pattern. malloc_usable_size reports n, so
 * writing what it reports stays legal.
 *
 * Freed blocks are filled with FREE_PATTERN (whole up to FULL_CHECK_MAX
 * bytes, PARTIAL_CHECK bytes at each end beyond) and wait in a per-thread
 * quarantine (FIFO, bounded in count and bytes) before going back to their
 * page, so they are not reused at once; when a block is handed out again the
 * pattern is checked, which catches writes after free. Free-list links are
 * encoded (internal.h) and blocks are carved in random order.
 *
 * The common cases - malloc of up to WARD_DIRECT_MAX raw bytes from the
 * thread's page, free of a small or medium block, realloc of one within its
 * raw block - take the fast paths ward_guard_malloc, ward_guard_free and
 * realloc_small_fast; everything else (sampling,
 * alignment, large and huge blocks, first use of a thread) and every error
 * goes through the general functions guard_malloc_general and
 * guard_free_general.
 */
#include "internal.h"

#include <stdlib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

uintptr_t ward_secret;

#if !WARD_GUARD

void ward_guard_init(void) {
}

#else

#define FREE_PATTERN 0xdf
#define FREE_WORD 0xdfdfdfdfdfdfdfdfull
#define TRAILER 8
/* Trailer fields (see the trailer section). */
#define STATE_LIVE 0xau
#define STATE_FREED 0x5u
#define STATE_SHIFT 28
#define STATE_FLIP ((uint64_t)(STATE_LIVE ^ STATE_FREED) << STATE_SHIFT)
#define TRAILER_GEOMETRY 0x0fffffffull
#define TRAILER_CHECKSUM 0x00ffffff00000000ull
#define FENCE_SHIFT 56
/* The fields free's fast path compares with a live trailer's: uoff, state, fence. */
#define TRAILER_TAG (0xfffull | 0xfull << STATE_SHIFT | 0xffull << FENCE_SHIFT)
/* Freed blocks up to FULL_CHECK_MAX bytes are filled and checked whole,
 * bigger ones PARTIAL_CHECK bytes at each end (where stale pointers into
 * structures mostly write). Hardened mode, for production, keeps the fill
 * short and checks 8 canary bytes; debug mode looks further. */
#if WARD_GUARD >= 2
#define FULL_CHECK_MAX 1024
#define CANARY_MAX ((size_t)1 << 20)
#define CANARY_MIN 1
#else
#define FULL_CHECK_MAX 256
#define CANARY_MAX 8
#define CANARY_MIN 8 /* every block has room for the whole canary word */
#endif
#define PARTIAL_CHECK 64
#define LARGE_CANARY 64
#define SEGMAP_ENTRIES ((size_t)1 << (48 - WARD_SEGMENT_SHIFT))

/* Debug builds: the left redzone holds, after the free-list link word, the
 * block's debug record (stacks of its allocation and free), then canary
 * bytes up to the user data, which catch underflows. */
#if WARD_GUARD >= 2
#define REDZONE 48
#define INFO_OFFSET 8
#define INFO_END 32
#else
#define REDZONE 0
#define INFO_OFFSET 0
#define INFO_END 8
#endif

/* Largest request the inline path serves: its raw block comes from the
 * heap's direct table. */
#define SMALL_USER_MAX (WARD_DIRECT_MAX - REDZONE - TRAILER - CANARY_MIN)

typedef struct debug_info_s {
    uint32_t alloc_stack;
    uint32_t free_stack;
    uint32_t alloc_thread;
    uint32_t free_thread;
    uint64_t magic;
} debug_info_t;

#define INFO_MAGIC 0x7761726469e60000ull

static inline debug_info_t *block_info(uint8_t *block) {
    return (debug_info_t *)(block + INFO_OFFSET);
}

enum { SEGMAP_NONE = 0, SEGMAP_SEGMENT = 1, SEGMAP_HUGE = 2, SEGMAP_HUGE_BODY = 3 };

static _Atomic(uint8_t) *segmap;
static uint64_t canary_base;         /* the process's canary bytes, each 0x80..0xbf (see canary_word) */
static uint64_t freed_checksum_flip; /* nonzero, within the trailer's checksum bits (see trailer_make) */
static uint8_t fence;                /* the last byte of every trailer, 0x80..0xbf */
static uint64_t live_tag;            /* TRAILER_TAG's bits of a live trailer at REDZONE */

void ward_guard_init(void) {
    ward_secret = (uintptr_t)os_random_seed() | 1;
    canary_base = (((uint64_t)os_random_seed() * 0xd6e8feb86659fd93ull) & 0x3f3f3f3f3f3f3f3full) | 0x8080808080808080ull;
    freed_checksum_flip = (os_random_seed() | (uint64_t)1 << 40) & TRAILER_CHECKSUM;
    fence = (uint8_t)(0x80 | (os_random_seed() & 0x3f));
    live_tag = REDZONE / 16 | (uint64_t)STATE_LIVE << STATE_SHIFT | (uint64_t)fence << FENCE_SHIFT;
    segmap = os_reserve(SEGMAP_ENTRIES, os_page_size());
}

void ward_segmap_set(const void *addr, size_t size, uint8_t kind) {
    if (segmap == NULL) return;
    uintptr_t first = (uintptr_t)addr >> WARD_SEGMENT_SHIFT;
    uintptr_t last = ((uintptr_t)addr + size - 1) >> WARD_SEGMENT_SHIFT;
    for (uintptr_t i = first; i <= last && i < SEGMAP_ENTRIES; i++) {
        uint8_t k = kind;
        if (kind == SEGMAP_HUGE && i != first) k = SEGMAP_HUGE_BODY;
        atomic_store_explicit(&segmap[i], k, memory_order_release);
    }
}

static inline uint8_t segmap_get(const void *p) {
    uintptr_t i = (uintptr_t)p >> WARD_SEGMENT_SHIFT;
    if (unlikely(segmap == NULL || i >= SEGMAP_ENTRIES)) return SEGMAP_NONE;
    return atomic_load_explicit(&segmap[i], memory_order_acquire);
}

/* ---- trailers (small and medium blocks) ------------------------------------------------
 *   bits  0-11  uoff / 16 (uoff: a multiple of 16, below 64 KiB)
 *   bits 12-27  n
 *   bits 28-31  state: live or freed
 *   bits 32-55  checksum of uoff, n and the block's address, keyed with the
 *               secret; in freed trailers xored with a secret constant, so
 *               that free turns a live trailer into a freed one with one xor
 *               and a state rewritten without the checksum is noticed
 *   bits 56-63  the fence byte: the byte just before the next block, which
 *               a write before that block (an underflow) changes first */

static inline uint64_t trailer_checksum(const uint8_t *block, uint64_t geometry) {
    uint64_t h = ((geometry << 8) ^ (uintptr_t)block ^ ward_secret) * 0x9e3779b97f4a7c15ull;
    return (h >> 8) & TRAILER_CHECKSUM;
}

static inline uint64_t trailer_make(const uint8_t *block, size_t uoff, size_t n, unsigned state) {
    uint64_t geometry = (uint64_t)(uoff >> 4) | (uint64_t)n << 12;
    uint64_t checksum = trailer_checksum(block, geometry) ^ (state == STATE_FREED ? freed_checksum_flip : 0);
    return geometry | (uint64_t)state << STATE_SHIFT | checksum | (uint64_t)fence << FENCE_SHIFT;
}

static inline unsigned trailer_state(uint64_t t) {
    return (unsigned)(t >> STATE_SHIFT) & 0xfu;
}

static inline size_t trailer_uoff(uint64_t t) {
    return (size_t)(t & 0xfffu) << 4;
}

static inline size_t trailer_n(uint64_t t) {
    return (size_t)((t >> 12) & 0xffffu);
}

/* Whether t is a trailer ward wrote for this block, live or freed. */
static inline bool trailer_valid(const uint8_t *block, uint64_t t) {
    unsigned state = trailer_state(t);
    if ((state != STATE_LIVE && state != STATE_FREED) || (uint8_t)(t >> FENCE_SHIFT) != fence) return false;
    uint64_t flip = state == STATE_FREED ? freed_checksum_flip : 0;
    return ((t ^ flip) & TRAILER_CHECKSUM) == trailer_checksum(block, t & TRAILER_GEOMETRY);
}

/* Whether t, whose state, offset and fence are known to be a live
 * trailer's, has the right checksum. */
static inline bool trailer_valid_live(const uint8_t *block, uint64_t t) {
    return (t & TRAILER_CHECKSUM) == trailer_checksum(block, t & TRAILER_GEOMETRY);
}

/* A live trailer, freed. */
static inline uint64_t trailer_freed(uint64_t t) {
    return t ^ STATE_FLIP ^ freed_checksum_flip;
}

static inline _Atomic(uint64_t) *trailer_of(uint8_t *block, size_t size) {
    return (_Atomic(uint64_t) *)(void *)(block + size - TRAILER);
}

/* ---- canaries --------------------------------------------------------------------------
 * A canary range [a, b) holds canary_word(block) from a on, repeated: the
 * process's canary (from the secret) mixed with the block's address, each
 * byte 0x80 to 0xbf, so never NUL, ASCII text, 0xff or the free pattern.
 * Hardened blocks always have room for the whole word after the user data,
 * so writing and checking it is one unaligned store and one load. */

static inline uint64_t canary_word(const uint8_t *block) {
    return canary_base ^ (((uintptr_t)block >> 4) & 0x3f3f3f3f3f3f3f3full);
}

/* Canary bytes over block offsets [a, b). */
static inline void canary_fill(uint8_t *block, size_t a, size_t b) {
    uint64_t c = canary_word(block);
    size_t i = a;
    for (; b - i >= 8; i += 8) memcpy(block + i, &c, 8);
    for (; i < b; i++) block[i] = (uint8_t)(c >> (8 * ((i - a) & 7)));
}

/* Block offset of the first byte of [a, b) that is not the canary, or b. */
static inline size_t canary_first_bad(const uint8_t *block, size_t a, size_t b) {
    uint64_t c = canary_word(block), v;
    size_t i = a;
    for (; b - i >= 8; i += 8) {
        memcpy(&v, block + i, 8);
        if (v != c) return i + (size_t)__builtin_ctzll(v ^ c) / 8;
    }
    for (; i < b; i++)
        if (block[i] != (uint8_t)(c >> (8 * ((i - a) & 7)))) return i;
    return b;
}

/* ---- the free pattern --------------------------------------------------------------------
 * Fills and checks of freed memory run on every guarded free and malloc:
 * vector code inline (the ranges are short). Fresh pages are filled by
 * libc's memset. */

/* libc's memset, called through a pointer the compiler cannot see through:
 * it would otherwise expand the call into a string instruction that is
 * several times slower than libc's vector code at these sizes. */
static void *(*volatile const libc_memset)(void *, int, size_t) = memset;

/* The n bytes at p (a multiple of 8, at most FULL_CHECK_MAX) filled with the
 * pattern: vector stores inline, 64 bytes a step, the last ones overlapping
 * (no call, so the fast paths need not save registers; no loop for fewer
 * than 64 bytes). */
static inline void pattern_fill(uint8_t *p, size_t n) {
#if defined(__SSE2__)
    const __m128i pattern = _mm_set1_epi8((char)FREE_PATTERN);
#define FILL16(q) _mm_storeu_si128((__m128i *)(void *)(q), pattern)
    if (n >= 64) {
        for (size_t i = 0; i + 64 < n; i += 64) {
            FILL16(p + i);
            FILL16(p + i + 16);
            FILL16(p + i + 32);
            FILL16(p + i + 48);
        }
        p += n - 64;
        FILL16(p);
        FILL16(p + 16);
        FILL16(p + 32);
        FILL16(p + 48);
        return;
    }
    if (n >= 16) {
        FILL16(p);
        FILL16(p + n - 16);
        if (n > 32) {
            FILL16(p + 16);
            FILL16(p + n - 32);
        }
        return;
    }
#undef FILL16
#else
    for (; n >= 16; p += 16, n -= 16) {
        uint64_t w[2] = {FREE_WORD, FREE_WORD};
        memcpy(p, w, 16);
        __asm__("" : : "r"(p) : "memory"); /* not turned back into a memset call */
    }
#endif
    if (n > 0) {
        uint64_t w = FREE_WORD;
        memcpy(p, &w, 8);
    }
}

/* Whether the n bytes at p (a multiple of 8, at most FULL_CHECK_MAX) all
 * hold the pattern; the same steps as pattern_fill. */
static inline bool pattern_intact(const uint8_t *p, size_t n) {
    uint64_t diff = 0;
#if defined(__SSE2__)
    const __m128i pattern = _mm_set1_epi8((char)FREE_PATTERN);
#define SAME16(q) _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(q)), pattern)
    if (n >= 64) {
        const uint8_t *last = p + n - 64;
        __m128i same = _mm_and_si128(_mm_and_si128(SAME16(last), SAME16(last + 16)),
                                     _mm_and_si128(SAME16(last + 32), SAME16(last + 48)));
        for (size_t i = 0; i + 64 < n; i += 64)
            same = _mm_and_si128(same, _mm_and_si128(_mm_and_si128(SAME16(p + i), SAME16(p + i + 16)),
                                                     _mm_and_si128(SAME16(p + i + 32), SAME16(p + i + 48))));
        return _mm_movemask_epi8(same) == 0xffff;
    }
    if (n >= 16) {
        __m128i same = _mm_and_si128(SAME16(p), SAME16(p + n - 16));
        if (n > 32) same = _mm_and_si128(same, _mm_and_si128(SAME16(p + 16), SAME16(p + n - 32)));
        return _mm_movemask_epi8(same) == 0xffff;
    }
#undef SAME16
#else
    for (; n >= 16; p += 16, n -= 16) {
        uint64_t w[2];
        memcpy(w, p, 16);
        diff |= (w[0] ^ FREE_WORD) | (w[1] ^ FREE_WORD);
    }
#endif
    if (n > 0) {
        uint64_t w;
        memcpy(&w, p, 8);
        diff |= w ^ FREE_WORD;
    }
    return diff == 0;
}

/* Index of the first of the n bytes at p that is not `byte`, or n (reports). */
static size_t first_other_byte(const uint8_t *p, size_t n, uint8_t byte) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != byte) return i;
    return n;
}

/* The parts of a freed block of `size` bytes that hold the pattern: all of
 * [INFO_END, stop) up to FULL_CHECK_MAX bytes, else PARTIAL_CHECK bytes at
 * each end of it (and, in debug builds, at the end of the user data: see
 * freed_user_tail); stop is where the trailer starts (large blocks have none). */
static inline size_t freed_stop(size_t size, bool trailer) {
    return size - (trailer ? TRAILER : 0);
}

/* Debug builds, blocks partly filled: where the last PARTIAL_CHECK bytes of
 * the user data start, from the block's freed trailer (the left redzone and
 * the canary put the user's end well inside the block, away from the
 * ranges at its ends); 0 when there is no such trailer or the range is
 * covered already. Fill and check both use it. */
static inline size_t freed_user_tail(const uint8_t *block, size_t size, bool trailer) {
    if (WARD_GUARD < 2 || !trailer || size <= FULL_CHECK_MAX) return 0;
    uint64_t t = atomic_load_explicit(trailer_of((uint8_t *)block, size), memory_order_relaxed);
    if (!trailer_valid(block, t)) return 0;
    size_t end = trailer_uoff(t) + trailer_n(t);
    return end >= INFO_END + 2 * PARTIAL_CHECK ? end - PARTIAL_CHECK : 0;
}

/* Where a freed block's fill starts: hardened blocks' first word too (the
 * quarantine checks it before the free-list link goes there), debug ones
 * after their record. Checks start at INFO_END (past the link). */
#define FILL_START (REDZONE > 0 ? INFO_END : 0)

static inline void fill_freed_block(uint8_t *block, size_t size, bool trailer) {
    size_t stop = freed_stop(size, trailer);
    if (size <= FULL_CHECK_MAX) {
        pattern_fill(block + FILL_START, stop - FILL_START);
    } else {
        pattern_fill(block + FILL_START, INFO_END - FILL_START + PARTIAL_CHECK);
        pattern_fill(block + stop - PARTIAL_CHECK, PARTIAL_CHECK);
        size_t tail = freed_user_tail(block, size, trailer);
        if (tail != 0) pattern_fill(block + tail, PARTIAL_CHECK);
    }
}

static inline bool freed_block_intact(const uint8_t *block, size_t size, bool trailer) {
    size_t stop = freed_stop(size, trailer);
    if (size <= FULL_CHECK_MAX) return pattern_intact(block + INFO_END, stop - INFO_END);
    size_t tail = freed_user_tail(block, size, trailer);
    return pattern_intact(block + INFO_END, PARTIAL_CHECK) && pattern_intact(block + stop - PARTIAL_CHECK, PARTIAL_CHECK) &&
           (tail == 0 || pattern_intact(block + tail, PARTIAL_CHECK));
}

/* Offset of the first byte of a freed block that differs from the
 * pattern, or -1 (reports). */
static long long freed_damage(const uint8_t *block, size_t size, bool trailer) {
    size_t stop = freed_stop(size, trailer);
    size_t head = size <= FULL_CHECK_MAX ? stop : INFO_END + PARTIAL_CHECK;
    size_t i = INFO_END + first_other_byte(block + INFO_END, head - INFO_END, FREE_PATTERN);
    if (i < head) return (long long)i;
    size_t tail = freed_user_tail(block, size, trailer);
    if (tail != 0) {
        i = tail + first_other_byte(block + tail, PARTIAL_CHECK, FREE_PATTERN);
        if (i < tail + PARTIAL_CHECK) return (long long)i;
    }
    if (head < stop) {
        i = stop - PARTIAL_CHECK + first_other_byte(block + stop - PARTIAL_CHECK, PARTIAL_CHECK, FREE_PATTERN);
        if (i < stop) return (long long)i;
    }
    return -1;
}

void ward_guard_fresh_blocks(uint8_t *first, size_t bytes) {
    libc_memset(first, FREE_PATTERN, bytes); /* trailers included: a pattern trailer is never valid */
}

/* ---- reports -------------------------------------------------------------------- */

/* Stacks of a block's debug record, when it has one (debug builds, and the
 * record not overwritten). */
static void block_stacks(uint8_t *block, uint32_t *alloc_stack, uint32_t *free_stack) {
    *alloc_stack = *free_stack = 0;
    if (REDZONE == 0 || block == NULL) return;
    debug_info_t *info = block_info(block);
    if (info->magic != (INFO_MAGIC ^ (uintptr_t)block)) return;
    *alloc_stack = info->alloc_stack;
    *free_stack = info->free_stack;
}

static void report_block(const char *kind, const void *addr, uint8_t *block, size_t size, const char *what,
                         long long offset, const char *here, const char *free_label) {
    char text[256];
    ward_buf_t b = {text, 0, sizeof text - 1};
    ward_buf_str(&b, "block of ");
    ward_buf_u64(&b, size);
    ward_buf_str(&b, " bytes");
    if (what != NULL) {
        ward_buf_str(&b, ": ");
        ward_buf_str(&b, what);
        if (offset >= 0) {
            ward_buf_str(&b, " at offset ");
            ward_buf_u64(&b, (uint64_t)offset);
        }
    }
    text[b.len] = 0;
    uint32_t alloc_stack, free_stack;
    block_stacks(block, &alloc_stack, &free_stack);
    ward_report(kind, addr, text, here, alloc_stack, free_stack, free_label);
}

/* ---- live bits (large blocks) ----------------------------------------------------------
 * A large block is the only block of its page and starts on a slice: its
 * state is bit (slice index) of its segment's large_live word, in the header
 * apart from user data. */

static inline _Atomic(uint64_t) *live_word(ward_segment_t *seg, const void *block, uint64_t *mask) {
    *mask = (uint64_t)1 << (((uintptr_t)block - (uintptr_t)seg) >> WARD_SLICE_SHIFT);
    return &seg->large_live;
}

static inline bool live_set(ward_segment_t *seg, const void *block) {
    uint64_t mask;
    _Atomic(uint64_t) *w = live_word(seg, block, &mask);
    return (atomic_fetch_or_explicit(w, mask, memory_order_relaxed) & mask) != 0;
}

static inline bool live_clear(ward_segment_t *seg, const void *block) {
    uint64_t mask;
    _Atomic(uint64_t) *w = live_word(seg, block, &mask);
    return (atomic_fetch_and_explicit(w, ~mask, memory_order_relaxed) & mask) != 0;
}

static inline bool live_test(ward_segment_t *seg, const void *block) {
    uint64_t mask;
    return (atomic_load_explicit(live_word(seg, block, &mask), memory_order_relaxed) & mask) != 0;
}

/* ---- recently released big blocks ------------------------------------------------------
 * Large and huge blocks go back to their page or mapping at once (they are
 * too big for the quarantine), after which a second free finds no block at
 * all. Remembering the last few such frees lets that report say "double
 * free" rather than "invalid free". */

#define RECENT_FREES 256
static _Atomic(uintptr_t) recent_frees[RECENT_FREES];
static _Atomic(unsigned) recent_next;

static void recent_free_note(const void *p) {
    unsigned i = atomic_fetch_add_explicit(&recent_next, 1, memory_order_relaxed) % RECENT_FREES;
    atomic_store_explicit(&recent_frees[i], (uintptr_t)p, memory_order_relaxed);
}

static bool recent_free_seen(const void *p) {
    for (unsigned i = 0; i < RECENT_FREES; i++)
        if (atomic_load_explicit(&recent_frees[i], memory_order_relaxed) == (uintptr_t)p) return true;
    return false;
}

static void recent_free_forget(const void *p) {
    for (unsigned i = 0; i < RECENT_FREES; i++) {
        uintptr_t expect = (uintptr_t)p;
        atomic_compare_exchange_strong_explicit(&recent_frees[i], &expect, 0, memory_order_relaxed,
                                                memory_order_relaxed);
    }
}

/* ---- block geometry ---------------------------------------------------------------- */

typedef struct guarded_s {
    ward_segment_t *seg;
    ward_page_t *page;   /* NULL for huge blocks */
    uint8_t *block;      /* raw block B */
    size_t size;         /* S */
    size_t uoff;
    size_t end;
    uint64_t trailer;    /* small blocks: the live trailer check_live found */
    bool damaged;        /* check_live found it live, its canaries damaged (and reported) */
} guarded_t;

static inline bool has_trailer(const guarded_t *g) {
    return g->page != NULL && g->page->bin != WARD_BIN_LARGE;
}

/* State of a small or medium block from its trailer: STATE_LIVE,
 * STATE_FREED, or 0 when the trailer is not one ward wrote (never
 * allocated, overwritten, or not a block start). */
static inline unsigned trailer_read(uint8_t *block, size_t size, uint64_t *t) {
    *t = atomic_load_explicit(trailer_of(block, size), memory_order_acquire);
    return trailer_valid(block, *t) ? trailer_state(*t) : 0;
}

static size_t canary_stop(const guarded_t *g) {
    if (has_trailer(g)) {
        size_t lim = g->size - TRAILER;
        return g->end + CANARY_MAX < lim ? g->end + CANARY_MAX : lim;
    }
    size_t lim = g->end + LARGE_CANARY;
    return lim < g->size ? lim : g->size;
}

/* Records uoff and end (and, for small blocks, the live state) and writes
 * the canaries. */
static void write_geometry(guarded_t *g) {
    if (g->page == NULL) {
        g->seg->huge_guard_uoff = g->uoff;
        g->seg->huge_guard_end = g->end;
    } else if (g->page->bin == WARD_BIN_LARGE) {
        g->page->guard = ((uint64_t)g->uoff << 32) | (uint64_t)g->end;
    } else {
        atomic_store_explicit(trailer_of(g->block, g->size),
                              trailer_make(g->block, g->uoff, g->end - g->uoff, STATE_LIVE), memory_order_release);
    }
    canary_fill(g->block, g->end, canary_stop(g));
    /* Debug builds' left redzone; in hardened builds, the slack before an
     * aligned block's user data. */
    if (g->uoff > INFO_END) canary_fill(g->block, INFO_END, g->uoff);
}

/* Reads uoff/end back; false when a small block's trailer is not valid. */
static bool read_geometry(guarded_t *g) {
    if (g->page == NULL) {
        g->uoff = g->seg->huge_guard_uoff;
        g->end = g->seg->huge_guard_end;
    } else if (g->page->bin == WARD_BIN_LARGE) {
        g->uoff = (size_t)(g->page->guard >> 32);
        g->end = (size_t)(g->page->guard & 0xffffffffu);
    } else {
        uint64_t t;
        if (trailer_read(g->block, g->size, &t) == 0) return false;
        g->uoff = trailer_uoff(t);
        g->end = g->uoff + trailer_n(t);
    }
    return g->uoff <= g->end && g->end <= g->size;
}

/* Offset (from the user pointer) of the first canary byte after the block
 * that changed, or -1. */
static long long canary_damage(const guarded_t *g) {
    size_t stop = canary_stop(g);
    size_t i = canary_first_bad(g->block, g->end, stop);
    return i < stop ? (long long)(i - g->uoff) : -1;
}

/* Hardened builds have no redzone: the bytes before a small block are the
 * trailer of the block before it in its page (or that block's fresh
 * pattern, if it was never handed out; before a page's first block, the
 * page's head, which holds the pattern too), whose last byte is the fence:
 * a write just before the block changes it. A block on a slice boundary
 * starts a page that has no head (its slack was too small): nothing of
 * its page lies before it, so it is not checked. The neighbour's trailer
 * is read as a whole word because its owner may be freeing it meanwhile. */
static inline bool neighbour_intact(const uint8_t *block) {
    if (((uintptr_t)block & (WARD_SLICE_SIZE - 1)) == 0) return true;
    uint8_t last = (uint8_t)(atomic_load_explicit((_Atomic(uint64_t) *)(void *)(block - TRAILER),
                                                  memory_order_relaxed) >> FENCE_SHIFT);
    return last == fence || last == FREE_PATTERN;
}

/* t with its fence byte put back. */
static inline uint64_t trailer_refenced(uint64_t t) {
    return (t & ~(0xffull << FENCE_SHIFT)) | (uint64_t)fence << FENCE_SHIFT;
}

/* Whether the trailer t of `block` is one ward wrote except for its fence
 * byte: the byte just before the next block, so a one-byte underflow of
 * that block. */
static inline bool fence_alone_damaged(const uint8_t *block, uint64_t t) {
    return (uint8_t)(t >> FENCE_SHIFT) != fence && trailer_valid(block, trailer_refenced(t));
}

/* Bytes (counted back from the end of a word) in which t differs from want. */
static inline size_t bytes_changed_at_end(uint64_t t, uint64_t want) {
    return t == want ? 0 : TRAILER - (size_t)__builtin_ctzll(t ^ want) / 8;
}

static void report_underflow(const void *p, uint8_t *block, size_t n, size_t bytes) {
    char what[64];
    ward_buf_t b = {what, 0, sizeof what - 1};
    ward_buf_str(&b, "written ");
    if (bytes > 0) {
        ward_buf_u64(&b, bytes);
        ward_buf_str(&b, bytes == 1 ? " byte" : " bytes");
    }
    ward_buf_str(&b, bytes > 0 ? " before its start" : "before its start");
    what[b.len] = 0;
    report_block("heap buffer underflow", p, block, n, what, -1, "found here:    ", NULL);
}

/* Whether the block before a block whose left side was found damaged ran
 * over its own end into it: its trailer t is not valid (checked by the
 * caller) and its canary is gone, while the bytes before its trailer are
 * not the free pattern (those of a freed or fresh block). An underflow
 * that reaches this far back looks the same; overflows are far the more
 * common bug, so that is what is reported. Sets *offset to where the
 * damage starts when the trailer still gives the block's end, else -1. */
static bool neighbour_overran(uint8_t *prev, size_t size, uint64_t t, long long *offset) {
    *offset = -1;
    uint64_t before;
    memcpy(&before, prev + size - TRAILER - 8, 8);
    if (before == FREE_WORD) return false;
    size_t uoff = trailer_uoff(t), n = trailer_n(t);
    if (trailer_state(t) == STATE_LIVE && uoff + n + TRAILER + CANARY_MIN <= size) {
        size_t stop = size - TRAILER < uoff + n + CANARY_MAX ? size - TRAILER : uoff + n + CANARY_MAX;
        size_t bad = canary_first_bad(prev, uoff + n, stop);
        if (bad < stop) {
            *offset = (long long)(bad - uoff);
            return true;
        }
    }
    uint64_t c = canary_word(prev);
    if (CANARY_MAX == 8) {
        for (size_t i = 0; i + TRAILER + 8 <= size; i++) {
            uint64_t v;
            memcpy(&v, prev + i, 8);
            if (v == c) return false;
        }
        return true;
    }
    /* Debug: the canary runs up to the trailer. */
    uint8_t last = prev[size - TRAILER - 1];
    for (unsigned k = 0; k < 8; k++)
        if ((uint8_t)(c >> (8 * k)) == last) return false;
    return true;
}

/* Whether the bytes before a block are as ward left them; reports what it
 * finds otherwise. Debug builds look at the left redzone (redzone_damage
 * bytes of it were found overwritten). Hardened builds look at the
 * neighbour's trailer, and put it right when what was written is certain
 * (pattern bytes, or the fence alone), so that WARD_ON_ERROR=report does not
 * report the same write again; a trailer that cannot be told apart is never
 * re-signed. Both tell an underflow of this block from an overflow of the
 * block before it that ran into it. */
static bool underflow_intact(const void *p, const guarded_t *g, size_t redzone_damage) {
    if (REDZONE == 0 && g->uoff > INFO_END) {
        /* An aligned hardened block: its own slack is the redzone. */
        if (redzone_damage > 0) report_underflow(p, g->block, g->end - g->uoff, redzone_damage);
        return redzone_damage == 0;
    }
    if (REDZONE > 0 ? redzone_damage == 0 : !has_trailer(g) || neighbour_intact(g->block)) return true;
    size_t bytes = redzone_damage;
    if (has_trailer(g) && g->block > ward_page_blocks(g->page)) {
        uint8_t *prev = g->block - g->size;
        _Atomic(uint64_t) *tp = trailer_of(prev, g->size);
        uint64_t t = atomic_load_explicit(tp, memory_order_relaxed), want = 0;
        long long offset;
        if (REDZONE == 0 && ((t ^ FREE_WORD) & 0xffffffffull) == 0)
            want = FREE_WORD; /* the neighbour's fresh pattern, or the page's head */
        else if (REDZONE == 0 && fence_alone_damaged(prev, t))
            want = trailer_refenced(t);
        if (want != 0) {
            report_underflow(p, g->block, g->end - g->uoff, bytes_changed_at_end(t, want));
            atomic_compare_exchange_strong_explicit(tp, &t, want, memory_order_relaxed, memory_order_relaxed);
            return false;
        }
        if (!trailer_valid(prev, t) && neighbour_overran(prev, g->size, t, &offset)) {
            /* As the neighbour's own free would report it. */
            if (offset >= 0)
                report_block("heap buffer overflow", prev + trailer_uoff(t), prev, trailer_n(t),
                             "written past its end", offset, "found here:    ", NULL);
            else
                report_block("heap buffer overflow", prev + REDZONE, prev, g->size,
                             "the block's trailer was overwritten", -1, "found here:    ", NULL);
            return false;
        }
    }
    report_underflow(p, g->block, g->end - g->uoff, bytes);
    return false;
}

/* ---- finding and checking a block (the general path) ------------------------------------ */

/* Finds the raw block holding p: g->block is the start of the block p points
 * into. Reports and returns false for a pointer ward never handed out. */
static bool locate(const void *p, guarded_t *g, const char *op) {
    g->damaged = false;
    uint8_t kind = segmap_get(p);
    ward_segment_t *seg = ward_segment_of(p);
    if (kind == SEGMAP_HUGE_BODY) {
        /* Inside a huge mapping past its first segment (blocks aligned to a
         * segment or more start there): its header is where the run of
         * body entries begins. */
        uintptr_t i = (uintptr_t)p >> WARD_SEGMENT_SHIFT;
        while (i > 0 && atomic_load_explicit(&segmap[i], memory_order_acquire) == SEGMAP_HUGE_BODY) i--;
        if (atomic_load_explicit(&segmap[i], memory_order_acquire) != SEGMAP_HUGE) goto foreign;
        seg = (ward_segment_t *)(i << WARD_SEGMENT_SHIFT);
        kind = SEGMAP_HUGE;
    }
    if (kind == SEGMAP_NONE || seg->magic != WARD_SEGMENT_MAGIC) goto foreign;
    g->seg = seg;
    if (seg->kind == SEGMENT_HUGE) {
        if (seg->huge_owned) goto arena;
        g->page = NULL;
        g->block = seg->huge_user;
        g->size = seg->huge_usable;
        return true;
    }
    if ((uintptr_t)p == (uintptr_t)seg) goto foreign;
    ward_page_t *page = ward_page_of(seg, p);
    uint8_t flags = page_flags(page);
    if (flags & PAGE_INVALID) goto foreign;
    if (flags & PAGE_OWNED) goto arena;
    g->page = page;
    g->size = page->block_size;
    uint8_t *start = ward_page_blocks(page);
    if (page->bin == WARD_BIN_LARGE) {
        g->block = start;
    } else {
        size_t index = (size_t)((const uint8_t *)p - start) / g->size;
        if (index >= page->capacity) goto foreign; /* never carved */
        g->block = start + index * g->size;
    }
    return true;
foreign:
    if (kind != SEGMAP_NONE && recent_free_seen(p)) ward_report_error("double free", p, "a large block, freed already");
    else ward_report_error(op, p, "not a block ward handed out");
    return false;
arena:
    ward_report_error(op, p, "memory of an arena or pool, not a malloc block");
    return false;
}

static void report_interior(const void *p, guarded_t *g, const char *op, bool freed) {
    char what[160];
    ward_buf_t b = {what, 0, sizeof what - 1};
    long long off = (long long)((const uint8_t *)p - (g->block + g->uoff));
    ward_buf_str(&b, "pointer ");
    ward_buf_u64(&b, (uint64_t)(off < 0 ? -off : off));
    ward_buf_str(&b, off < 0 ? " bytes before a " : " bytes inside a ");
    if (freed) ward_buf_str(&b, "freed ");
    ward_buf_str(&b, "block of ");
    ward_buf_u64(&b, g->end - g->uoff);
    ward_buf_str(&b, " bytes at ");
    ward_buf_hex(&b, (uint64_t)(uintptr_t)(g->block + g->uoff));
    what[b.len] = 0;
    uint32_t alloc_stack, free_stack;
    block_stacks(g->block, &alloc_stack, &free_stack);
    ward_report(op, p, what, "found here:    ", alloc_stack, freed ? free_stack : 0, NULL);
}

static void report_freed(const void *p, guarded_t *g, bool clear) {
    report_block(clear ? "double free" : "use after free", p, g->block, g->end - g->uoff, NULL, -1,
                 clear ? "freed here:    " : "used here:     ", clear ? "first freed at:" : "freed at:      ");
}

/* How many bytes of the left redzone (debug builds; hardened ones: the slack
 * before an aligned block's user data) were overwritten. */
static inline size_t redzone_damage(const guarded_t *g) {
    return g->uoff > INFO_END ? g->uoff - canary_first_bad(g->block, INFO_END, g->uoff) : 0;
}

/* After the state check: the canaries on both sides of a block, as
 * canary_damage(g) and redzone_damage(g) found them. */
static bool canaries_intact(const void *p, guarded_t *g, long long damage, size_t redzone) {
    if (damage >= 0) {
        report_block("heap buffer overflow", p, g->block, g->end - g->uoff, "written past its end", damage,
                     "found here:    ", NULL);
        return false;
    }
    return underflow_intact(p, g, redzone);
}

/* A trailer t of g's block that is right but for its fence byte: the
 * block after it was written one byte before its start, if that block was
 * ever handed out (its trailer is valid). Reports that block's underflow and puts the fence back;
 * false (nothing done) when there is no such block. */
static bool next_block_underflow(const guarded_t *g, uint64_t t) {
    uint8_t *next = g->block + g->size;
    /* No block handed out after it: the trailer itself was written. */
    if ((uint64_t)(uintptr_t)next > __atomic_load_n(&g->page->guard, __ATOMIC_RELAXED)) return false;
    uint64_t nt;
    if (trailer_read(next, g->size, &nt) == 0) return false;
    report_underflow(next + trailer_uoff(nt), next, trailer_n(nt), 1);
    atomic_compare_exchange_strong_explicit(trailer_of(g->block, g->size), &t, trailer_refenced(t),
                                            memory_order_relaxed, memory_order_relaxed);
    return true;
}

/* Small and medium blocks: the state is in the trailer; `clear` takes it
 * from live to freed. */
static bool check_live_small(const void *p, guarded_t *g, const char *op, bool clear) {
    _Atomic(uint64_t) *tp = trailer_of(g->block, g->size);
    long long damage;
    size_t redzone;
    for (;;) {
        uint64_t t;
        unsigned state = trailer_read(g->block, g->size, &t);
        if (state == 0) {
            if (REDZONE == 0 && fence_alone_damaged(g->block, t) && next_block_underflow(g, t)) continue;
            if (t == FREE_WORD) ward_report_error(op, p, "not a block ward handed out");
            else
                report_block("heap buffer overflow", p, g->block, g->size, "the block's trailer was overwritten", -1,
                             "found here:    ", NULL);
            return false;
        }
        g->uoff = trailer_uoff(t);
        g->end = g->uoff + trailer_n(t);
        if ((const uint8_t *)p != g->block + g->uoff) {
            report_interior(p, g, op, state == STATE_FREED);
            return false;
        }
        if (state == STATE_FREED) {
            report_freed(p, g, clear);
            return false;
        }
        g->trailer = t;
        damage = canary_damage(g);
        redzone = redzone_damage(g);
        if (!clear) {
            /* A free in another thread fills the block after taking the
             * trailer: damage seen together with a changed trailer is that
             * free (a use after free), not an overflow. */
            if ((damage >= 0 || redzone > 0) && atomic_load_explicit(tp, memory_order_acquire) != t) continue;
            break;
        }
        if (atomic_compare_exchange_strong_explicit(tp, &t, trailer_freed(t),
                                                    memory_order_acq_rel, memory_order_acquire))
            break;
        /* Another thread changed it (freed it) meanwhile: look again. */
    }
    g->damaged = !canaries_intact(p, g, damage, redzone);
    return !g->damaged;
}

/* Checks that p is a live block's user pointer with intact canaries;
 * `clear` marks it freed. Reports and returns false otherwise. */
static bool check_live(const void *p, guarded_t *g, const char *op, bool clear) {
    if (!locate(p, g, op)) return false;
    if (has_trailer(g)) return check_live_small(p, g, op, clear);
    if (!read_geometry(g)) {
        g->uoff = 0;
        g->end = g->size;
    }
    bool interior = (const uint8_t *)p != g->block + g->uoff;
    bool was_live;
    if (g->page == NULL) {
        uint8_t expect = 1;
        was_live = clear && !interior ? atomic_compare_exchange_strong(&g->seg->huge_live, &expect, 0)
                                      : atomic_load(&g->seg->huge_live) != 0;
    } else {
        was_live = clear && !interior ? live_clear(g->seg, g->block) : live_test(g->seg, g->block);
    }
    if (interior) {
        if (was_live) report_interior(p, g, op, false);
        else ward_report_error(op, p, "pointer inside a freed block");
        return false;
    }
    if (!was_live) {
        report_freed(p, g, clear);
        return false;
    }
    g->damaged = !canaries_intact(p, g, canary_damage(g), redzone_damage(g));
    return !g->damaged;
}

/* ---- live huge blocks, for the leak report --------------------------------------------------- */

#define HUGE_TABLE ((size_t)1 << 16)
static _Atomic(uintptr_t) huge_table[HUGE_TABLE];

static void huge_track(ward_segment_t *seg, bool live) {
    size_t h = ((uintptr_t)seg >> WARD_SEGMENT_SHIFT) * 0x9e3779b97f4a7c15ull >> 48;
    for (size_t probe = 0; probe < HUGE_TABLE; probe++) {
        _Atomic(uintptr_t) *slot = &huge_table[(h + probe) & (HUGE_TABLE - 1)];
        uintptr_t expect = live ? 0 : (uintptr_t)seg;
        if (atomic_compare_exchange_strong(slot, &expect, live ? (uintptr_t)seg : 0)) return;
        if (!live && expect == 0) return; /* not tracked (the table was full) */
    }
}

void ward_guard_huge_visit(void (*add)(void *arg, uintptr_t lo, uintptr_t hi, uint32_t stack), void *arg) {
    for (size_t i = 0; i < HUGE_TABLE; i++) {
        ward_segment_t *seg = (ward_segment_t *)atomic_load(&huge_table[i]);
        if (seg == NULL || !atomic_load(&seg->huge_live)) continue;
        uint32_t alloc_stack = 0, free_stack;
        block_stacks(seg->huge_user, &alloc_stack, &free_stack);
        add(arg, (uintptr_t)seg->huge_user + seg->huge_guard_uoff, (uintptr_t)seg->huge_user + seg->huge_guard_end,
            alloc_stack);
    }
}

bool ward_guard_block_info(ward_segment_t *seg, ward_page_t *page, uint8_t *block, size_t *uoff, size_t *end,
                           uint32_t *stack) {
    guarded_t g = {seg, page, block, page->block_size, 0, 0, 0, false};
    if (has_trailer(&g)) {
        uint64_t t;
        if (trailer_read(block, g.size, &t) != STATE_LIVE) return false;
    } else if (!live_test(seg, block)) {
        return false;
    }
    if (!read_geometry(&g)) return false;
    uint32_t free_stack;
    block_stacks(block, stack, &free_stack);
    *uoff = g.uoff;
    *end = g.end;
    return true;
}

/* The size a freed block was asked with, from its trailer (kept when the
 * block is filled), or its raw size when the trailer is gone. */
static size_t asked_size(uint8_t *block, size_t raw) {
    uint64_t t;
    if (raw > WARD_MEDIUM_MAX || trailer_read(block, raw, &t) == 0) return raw;
    return trailer_n(t);
}

/* Checks a freed block's pattern; reports a write after free and returns
 * false when it was written to. `where` labels the current stack. */
static bool freed_intact(uint8_t *block, size_t size, const char *where) {
    bool trailer = size <= WARD_MEDIUM_MAX;
    if (likely(freed_block_intact(block, size, trailer))) return true;
    long long damage = freed_damage(block, size, trailer);
    report_block("write after free", block + REDZONE, block, asked_size(block, size), "written after it was freed",
                 damage - (long long)REDZONE, where, NULL);
    return false;
}

/* Checks the free blocks of a page about to be released (all of them are
 * free): a write after free that no allocation came to find is reported
 * here rather than wiped out when the page is carved again. */
void ward_guard_check_page(ward_page_t *page) {
    if (page->bin == WARD_BIN_LARGE || page->bin == 0) return;
    /* No block is in use and guard builds never purge blocks out of the
     * lists, so every carved block is on the free or local free list: its
     * first word is a free-list link, which the pattern does not cover (a
     * page given back as soon as its last block comes home would otherwise
     * take a write after free to it unseen). Checked in address order, not
     * by following the lists, whose order is random: that missed the cache
     * at every block. */
    uint8_t *start = ward_page_blocks(page);
    for (size_t i = 0; i < page->capacity; i++) {
        uint8_t *block = start + i * page->block_size;
        if (!ward_page_link_ok(page, ward_block_next((ward_block_t *)block))) {
            ward_guard_bad_link(page, (ward_block_t *)block);
            return;
        }
        if (!freed_intact(block, page->block_size, "found here:    ")) return;
    }
}

/* ---- quarantine ------------------------------------------------------------------------------ */

/* A freed block's free-list link (its first word) fails the bounds check:
 * written after the block was freed. Reported; the rest of the page's free
 * list is dropped (leaked), as nothing in it can be trusted. */
ward_block_t *ward_guard_bad_link(const ward_page_t *page, ward_block_t *block) {
    uint8_t *b = (uint8_t *)block;
    report_block("write after free", b + REDZONE, b, asked_size(b, page->block_size),
                 "its free-list link, in the block's first 8 bytes, was overwritten", -1, "found here:    ",
                 "freed at:      ");
    return NULL;
}

/* Hardened builds: the first word of a quarantined block holds the pattern
 * too (the free-list link is written there only when the block leaves the
 * quarantine), so that a write after free to it is caught then. */
static inline bool link_word_intact(const uint8_t *block) {
    if (REDZONE > 0) return true;
    uint64_t w;
    memcpy(&w, block, 8);
    return w == FREE_WORD;
}

/* A quarantined block's first word is not the pattern: written after the
 * free - or the block is in the quarantine twice, freed a second time with
 * its freed trailer replaced by a live one it had (a use after free can do
 * that), and the other copy has left already: the word is then a free-list
 * link, or the block has been handed out again (its trailer live). Out of
 * line, so that the paths that check stay free of calls but tail calls. */
static WARD_NOINLINE WARD_COLD void report_link_word(uint8_t *block, const char *where) {
    uint64_t w;
    memcpy(&w, block, 8);
    ward_page_t *page = ward_page_of(ward_segment_of(block), block);
    size_t size = page->block_size;
    uint64_t t;
    bool reused = size <= WARD_MEDIUM_MAX && trailer_read(block, size, &t) == STATE_LIVE;
    if (reused || ward_page_link_ok(page, ward_block_next((ward_block_t *)block)))
        report_block("double free", block + REDZONE, block, asked_size(block, size),
                     "freed twice, its trailer restored in between; found when the second copy left the quarantine",
                     -1, where, "freed at:      ");
    else
        report_block("write after free", block, block, asked_size(block, size), "written after it was freed",
                     (long long)__builtin_ctzll(w ^ FREE_WORD) / 8, where, "freed at:      ");
}

static inline void release_raw(void *block) {
    ward_free_inline(block);
}

/* A block leaving the quarantine. Hardened builds check a small block's
 * pattern once, when it is handed out again (or its page is released), as
 * production costs demand; debug builds check it now as well, so a write
 * to a block that is never reused still gets reported. A large block's page
 * goes away with it: checked now in both. */
static inline void release_quarantined(void *block, size_t size) {
    if (unlikely(!link_word_intact(block))) {
        report_link_word(block, "found here:    ");
        return; /* WARD_ON_ERROR=report: leak it */
    }
    if ((WARD_GUARD >= 2 || size > WARD_MEDIUM_MAX) && !freed_intact(block, size, "found here:    ")) return;
    if (size > WARD_MEDIUM_MAX) {
        /* Its page goes now: a later free of it is still called a double free. */
        const ward_page_t *page = ward_page_of(ward_segment_of(block), block);
        recent_free_note((uint8_t *)block + (size_t)(page->guard >> 32));
    }
    release_raw(block);
}

/* A block of the small ring leaving it (its size is its page's). */
static inline void release_small(void *block) {
    if (WARD_GUARD >= 2) {
        size_t size = ward_page_of(ward_segment_of(block), block)->block_size;
        if (!freed_intact(block, size, "found here:    ")) return;
    }
    if (unlikely(!link_word_intact(block))) {
        report_link_word(block, "found here:    ");
        return;
    }
    release_raw(block);
}

_Static_assert((WARD_QUARANTINE_SLOTS & (WARD_QUARANTINE_SLOTS - 1)) == 0, "quarantine slots: a power of two");
_Static_assert((WARD_QUARANTINE_SMALL & (WARD_QUARANTINE_SMALL - 1)) == 0, "quarantine ring: a power of two");

static WARD_NOINLINE void quarantine_push_big(ward_quarantine_t *q, uint8_t *block, size_t size) {
    while (q->count == WARD_QUARANTINE_SLOTS || q->bytes + size > WARD_QUARANTINE_BYTES) {
        uint32_t old = (q->head - q->count) & (WARD_QUARANTINE_SLOTS - 1);
        void *victim = q->blocks[old];
        q->bytes -= q->sizes[old];
        q->count--;
        release_quarantined(victim, q->sizes[old]);
    }
    q->blocks[q->head] = block;
    q->sizes[q->head] = (uint32_t)size;
    q->head = (q->head + 1) & (WARD_QUARANTINE_SLOTS - 1);
    q->count++;
    q->bytes += size;
}

/* Where a freed, filled block goes: the quarantine of the calling thread's
 * heap, or straight back when it cannot wait there (no thread heap;
 * first-class heaps, whose destroy would release the segment under it;
 * blocks too big). A small block takes the place of the oldest in the ring,
 * which goes back to its page. */
static inline void release_freed(ward_segment_t *seg, uint8_t *block, size_t size) {
    ward_heap_t *heap = ward_tls_heap;
    if (unlikely(!heap->is_thread_heap || seg->first_class || size > WARD_QUARANTINE_BYTES / 4)) {
        release_raw(block);
        return;
    }
    ward_quarantine_t *q = &heap->quarantine;
    if (likely(size <= WARD_DIRECT_MAX)) {
        uint32_t h = q->small_head;
        void *victim = q->small[h];
        q->small[h] = block;
        q->small_head = (h + 1) & (WARD_QUARANTINE_SMALL - 1);
        if (likely(victim != NULL)) release_small(victim);
        return;
    }
    quarantine_push_big(q, block, size);
}

/* At exit: writes to blocks still waiting in the quarantine. */
void ward_guard_at_exit(void) {
    ward_heap_t *heap = ward_tls_heap;
    if (heap == &ward_empty_heap) return;
    ward_quarantine_t *q = &heap->quarantine;
    for (uint32_t i = 0; i < WARD_QUARANTINE_SMALL; i++) {
        uint8_t *block = q->small[i];
        if (block == NULL) continue;
        size_t size = ward_page_of(ward_segment_of(block), block)->block_size;
        if (!link_word_intact(block)) {
            report_link_word(block, "found at exit: ");
            return;
        }
        if (!freed_intact(block, size, "found at exit: ")) return;
    }
    for (uint32_t k = 0; k < q->count; k++) {
        uint32_t i = (q->head - q->count + k) & (WARD_QUARANTINE_SLOTS - 1);
        if (!link_word_intact(q->blocks[i])) {
            report_link_word(q->blocks[i], "found at exit: ");
            return;
        }
        if (!freed_intact(q->blocks[i], q->sizes[i], "found at exit: ")) return;
    }
}

void ward_guard_quarantine_flush(ward_heap_t *heap) {
    ward_quarantine_t *q = &heap->quarantine;
    for (uint32_t k = 0; k < WARD_QUARANTINE_SMALL; k++) {
        uint32_t i = (q->small_head + k) & (WARD_QUARANTINE_SMALL - 1);
        void *block = q->small[i];
        q->small[i] = NULL;
        if (block != NULL) release_small(block);
    }
    while (q->count > 0) {
        uint32_t old = (q->head - q->count) & (WARD_QUARANTINE_SLOTS - 1);
        q->count--;
        q->bytes -= q->sizes[old];
        release_quarantined(q->blocks[old], q->sizes[old]);
    }
    q->bytes = 0;
}

/* ---- allocation ------------------------------------------------------------------------------ */

static inline void debug_record_alloc(uint8_t *block) {
    if (REDZONE > 0) {
        debug_info_t *info = block_info(block);
        info->alloc_stack = ward_stack_record();
        info->free_stack = 0;
        info->alloc_thread = (uint32_t)os_thread_id();
        info->free_thread = 0;
        info->magic = INFO_MAGIC ^ (uintptr_t)block;
    }
}

static inline void debug_record_free(uint8_t *block) {
    if (REDZONE > 0) {
        debug_info_t *info = block_info(block);
        info->free_stack = ward_stack_record();
        info->free_thread = (uint32_t)os_thread_id();
    }
}

/* The general path: every size and alignment, sampling, and the reports
 * about blocks the free lists were about to hand out. */
static WARD_NOINLINE void *guard_malloc_general(ward_heap_t *heap, size_t size, size_t align, bool zero) {
    if (unlikely(heap == &ward_empty_heap)) {
        heap = ward_heap_for_thread();
        if (heap == NULL) {
            errno = ENOMEM;
            return NULL;
        }
    }
    if (size <= 4096 && align <= WARD_ALIGNMENT && unlikely(--heap->sample_countdown <= 0)) {
        heap->sample_countdown = ward_heap_sample_interval(heap);
        void *p = ward_sample_alloc(size, zero);
        if (p != NULL) return p;
    }
    if (align < WARD_ALIGNMENT) align = WARD_ALIGNMENT;
    size_t pad = align > WARD_ALIGNMENT ? align : 0;
    if (size > WARD_MAX_REQUEST || pad > WARD_MAX_REQUEST / 2 ||
        size + pad > WARD_MAX_REQUEST - REDZONE - TRAILER - CANARY_MIN) {
        errno = ENOMEM;
        return NULL;
    }
    size_t raw = REDZONE + size + pad + TRAILER + CANARY_MIN;
    /* Large and huge blocks, whose pattern is not checked here, come zeroed
     * from the heap when asked for, which touches only memory that may not
     * be zero: a fresh mapping is left alone (a calloc of gigabytes would
     * otherwise write all of it). */
    bool heap_zeroes = zero && raw > WARD_MEDIUM_MAX;
    for (int attempt = 0;; attempt++) {
        uint8_t *block = heap_zeroes ? ward_heap_malloc_slow(heap, raw, true) : ward_heap_malloc_inline(heap, raw);
        if (block == NULL) return NULL;
        guarded_t g;
        g.seg = ward_segment_of(block);
        g.block = block;
        if (g.seg->kind == SEGMENT_HUGE) {
            g.page = NULL;
            g.size = g.seg->huge_usable;
            atomic_store(&g.seg->huge_live, 1);
            huge_track(g.seg, true);
        } else {
            g.page = ward_page_of(g.seg, block);
            g.size = g.page->block_size;
            uint64_t t;
            bool live = has_trailer(&g) ? trailer_read(block, g.size, &t) == STATE_LIVE : live_set(g.seg, block);
            if (live) {
                report_block("heap corruption", block, NULL, g.size, "the allocator was about to hand out a live block",
                             -1, "found here:    ", NULL);
                /* WARD_ON_ERROR=report: leave it alone; the rest of that
                 * free list cannot be trusted (it may lead back here), so
                 * the page hands out nothing more until it is collected. */
                if (has_trailer(&g)) g.page->free = NULL;
                if (attempt < 8) continue;
                errno = ENOMEM;
                return NULL;
            }
            /* WARD_ON_ERROR=report: a block written after its free is
             * leaked (its state stays freed: no leak report for it at
             * exit), and another taken. */
            if (has_trailer(&g) && !freed_intact(block, g.size, "found here:    ") && attempt < 8) continue;
        }
        uint8_t *user = (uint8_t *)ward_align_up((uintptr_t)block + REDZONE, align);
        if (!has_trailer(&g)) recent_free_forget(user);
        g.uoff = (size_t)(user - block);
        g.end = g.uoff + size;
        if (has_trailer(&g) && user != block + REDZONE)
            page_flags_set(g.page, (uint8_t)(page_flags(g.page) | PAGE_ALIGNED));
        write_geometry(&g);
        debug_record_alloc(block);
        if (zero && !heap_zeroes) memset(user, 0, size);
        return user;
    }
}

/* The canary range after a small block's user data, which ends at `end`
 * (hardened: exactly the 8-byte word, for which there is always room). */
static inline void small_canary_after(uint8_t *block, size_t bsize, size_t end) {
    if (CANARY_MAX == 8) {
        uint64_t c = canary_word(block);
        memcpy(block + end, &c, 8);
    } else {
        canary_fill(block, end, bsize - TRAILER);
    }
}

/* Canaries of a small block whose user data is [uoff, end): the range
 * after end, and what lies before the block: debug builds' left redzone,
 * or (checked only) the trailer of the block before it. */
static inline void small_canaries_write(uint8_t *block, size_t bsize, size_t uoff, size_t end) {
    small_canary_after(block, bsize, end);
    if (REDZONE > 0) canary_fill(block, INFO_END, uoff);
}

static inline bool small_canaries_intact(uint8_t *block, size_t bsize, size_t uoff, size_t end) {
    bool ok;
    if (CANARY_MAX == 8) {
        uint64_t v;
        memcpy(&v, block + end, 8);
        ok = v == canary_word(block);
    } else {
        ok = canary_first_bad(block, end, bsize - TRAILER) == bsize - TRAILER;
    }
    if (REDZONE > 0) ok = ok && canary_first_bad(block, INFO_END, uoff) == uoff;
    else ok = ok && neighbour_intact(block);
    return ok;
}

/* The fast path: a request of up to SMALL_USER_MAX bytes whose page has a
 * free block, when no sample is due. Anything else, and anything wrong with
 * the block found, goes to the general path (which reports it). Every call
 * here is a tail call, so that hardened builds run it without saving
 * registers; plain malloc comes in without the alignment and zero
 * arguments, which would otherwise take two of the registers it has. */
static inline void *guard_malloc_small(ward_heap_t *heap, size_t size, bool zero) {
    if (unlikely(size > SMALL_USER_MAX)) return guard_malloc_general(heap, size, 0, zero);
    size_t raw = REDZONE + size + TRAILER + CANARY_MIN;
    ward_page_t *page = heap->direct[(raw + WARD_ALIGNMENT - 1) / WARD_ALIGNMENT];
    uint8_t *block = (uint8_t *)page->free;
    if (unlikely(block == NULL || heap->sample_countdown <= 1)) return guard_malloc_general(heap, size, 0, zero);
    size_t bsize = page->block_size;
    _Atomic(uint64_t) *tp = trailer_of(block, bsize);
    ward_block_t *next = ward_block_next((ward_block_t *)block);
    /* A bad link goes to the general path, which reports it: no call here
     * but tail calls. */
    if (unlikely(trailer_state(atomic_load_explicit(tp, memory_order_relaxed)) == STATE_LIVE ||
                 !freed_block_intact(block, bsize, true) || !ward_page_link_ok(page, next)))
        return guard_malloc_general(heap, size, 0, zero);
    page->free = next;
    page->used++;
    heap->sample_countdown--;
    atomic_store_explicit(tp, trailer_make(block, REDZONE, size, STATE_LIVE), memory_order_relaxed);
    small_canaries_write(block, bsize, REDZONE, REDZONE + size);
    debug_record_alloc(block);
    if (zero) return memset(block + REDZONE, 0, size);
    return block + REDZONE;
}

void *ward_guard_malloc(ward_heap_t *heap, size_t size, size_t align, bool zero) {
    if (unlikely(align > WARD_ALIGNMENT)) return guard_malloc_general(heap, size, align, zero);
    return guard_malloc_small(heap, size, zero);
}

void *ward_guard_malloc_plain(ward_heap_t *heap, size_t size) {
    return guard_malloc_small(heap, size, false);
}

/* ---- free ------------------------------------------------------------------------------------ */

/* A block's canaries were damaged after the fast path of free took it:
 * reported; with WARD_ON_ERROR=report the block is leaked, its state freed. */
static WARD_COLD void report_damage(const void *p, ward_segment_t *seg, ward_page_t *page, uint8_t *block,
                                    size_t size, size_t end) {
    guarded_t g = {seg, page, block, size, REDZONE, end, 0, false};
    canaries_intact(p, &g, canary_damage(&g), redzone_damage(&g));
}

static WARD_NOINLINE void guard_free_general(void *p) {
    if (ward_sample_owns(p)) {
        ward_sample_free(p);
        return;
    }
    guarded_t g;
    if (!check_live(p, &g, "invalid free", true)) return;
    debug_record_free(g.block);
    if (g.page == NULL) {
        recent_free_note(p);
        huge_track(g.seg, false);
        ward_huge_free(g.seg);
        return;
    }
    fill_freed_block(g.block, g.size, has_trailer(&g));
    if (!has_trailer(&g) && (ward_tls_heap == &ward_empty_heap || g.size > WARD_QUARANTINE_BYTES / 4 ||
                             !ward_tls_heap->is_thread_heap || g.seg->first_class))
        recent_free_note(p);
    release_freed(g.seg, g.block, g.size);
}

/* What free's and realloc's fast paths know of a block they take. */
typedef struct {
    ward_segment_t *seg;
    ward_page_t *page;
    uint8_t *block;
    size_t size;               /* the raw block's */
    _Atomic(uint64_t) *trailer;
    uint64_t t;                /* the trailer as read: live, valid */
} live_small_t;

/* Whether p is the start of a live small or medium block of an unaligned
 * page (its trailer read into b->t); anything else is the general path's,
 * which reports. The block start is not checked here: a pointer inside a
 * block finds no valid trailer where the block's would be (it would need
 * the right state, offset and 24-bit keyed checksum: 48 bits). */
static inline bool live_small_block(void *p, live_small_t *b) {
    ward_segment_t *seg = ward_segment_of(p);
    if (unlikely(segmap_get(p) != SEGMAP_SEGMENT || (uintptr_t)p == (uintptr_t)seg)) return false;
    if (unlikely(seg->magic != WARD_SEGMENT_MAGIC || seg->kind != SEGMENT_NORMAL)) return false;
    ward_page_t *page = ward_page_of(seg, p);
    if (unlikely((page_flags(page) & (PAGE_INVALID | PAGE_OWNED | PAGE_ALIGNED)) != 0 ||
                 page->bin > WARD_BIN_MEDIUM_LAST))
        return false;
    uint8_t *block = (uint8_t *)p - REDZONE;
    size_t size = page->block_size;
    /* The trailer read must stay inside the page's carved blocks (p is
     * inside the page's span, so only the upper bound can fail; a block
     * start below the page, p in a debug redzone's reach, reads the page's
     * own slices). */
    if (unlikely((uint64_t)(uintptr_t)block > __atomic_load_n(&page->guard, __ATOMIC_RELAXED))) return false;
    _Atomic(uint64_t) *tp = trailer_of(block, size);
    uint64_t t = atomic_load_explicit(tp, memory_order_relaxed);
    if (unlikely((t & TRAILER_TAG) != live_tag || !trailer_valid_live(block, t))) return false;
    *b = (live_small_t){seg, page, block, size, tp, t};
    return true;
}

/* Replaces b's live trailer with `to`; false when another thread changed it
 * since it was read (a free racing with this call: the general path reports
 * it). One thread only: no other call can race with this one, and a plain
 * store does what the compare-and-swap does at a fraction of its cost (the
 * locked instruction drains the store buffer: a quarter of a malloc/free
 * pair). With more threads, even the block's owner could not store plainly:
 * a racing free could pass too, and the two copies could then leave their
 * quarantines at once (guard_metadata.owner_race). */
static inline bool trailer_swap(const live_small_t *b, uint64_t to) {
    if (likely(os_single_threaded())) {
        atomic_store_explicit(b->trailer, to, memory_order_relaxed);
        return true;
    }
    uint64_t expect = b->t; /* a copy: b stays in registers */
    return atomic_compare_exchange_strong_explicit(b->trailer, &expect, to, memory_order_acq_rel,
                                                   memory_order_relaxed);
}

/* The fast path: a live small or medium block (live_small_block). Every
 * call is a tail call, as in malloc. */
void ward_guard_free(void *p) {
    live_small_t b;
    if (unlikely(!live_small_block(p, &b) || !trailer_swap(&b, trailer_freed(b.t)))) {
        if (p != NULL) guard_free_general(p);
        return;
    }
    size_t end = REDZONE + trailer_n(b.t);
    if (unlikely(!small_canaries_intact(b.block, b.size, REDZONE, end))) {
        report_damage(p, b.seg, b.page, b.block, b.size, end);
        return;
    }
    debug_record_free(b.block);
    fill_freed_block(b.block, b.size, true);
    release_freed(b.seg, b.block, b.size);
}

size_t ward_guard_usable(const void *p) {
    if (p == NULL) return 0;
    if (ward_sample_owns(p)) {
        size_t size;
        ward_sample_kind_t kind = ward_sample_lookup(p, &size);
        if (kind == WARD_SAMPLE_FREED) ward_report_error("use after free", p, "a sampled block, freed already");
        else if (kind == WARD_SAMPLE_OTHER) ward_report_error("invalid pointer", p, "not a sampled block's start");
        return size;
    }
    guarded_t g;
    if (!check_live(p, &g, "invalid pointer", false)) return 0;
    return g.end - g.uoff;
}

/* Takes a live block that check_live found damaged out of the live ones
 * without releasing it; false when another thread did first (a racing free,
 * which reports itself). */
static bool leak_damaged(guarded_t *g) {
    if (g->page == NULL) {
        uint8_t expect = 1;
        return atomic_compare_exchange_strong(&g->seg->huge_live, &expect, 0);
    }
    if (!has_trailer(g)) return live_clear(g->seg, g->block);
    return atomic_compare_exchange_strong_explicit(trailer_of(g->block, g->size), &g->trailer,
                                                   trailer_freed(g->trailer), memory_order_acq_rel,
                                                   memory_order_relaxed);
}

/* Whether `size` user bytes fit a raw block of bsize bytes at uoff and use
 * at least half of the room: the canary keeps its room, small blocks their
 * trailer. */
static inline bool fits_in_place(size_t bsize, size_t uoff, bool trailer, size_t size) {
    size_t room = bsize - uoff - CANARY_MIN - (trailer ? TRAILER : 0);
    return size <= room && size >= room / 2;
}

/* Debug builds: a block resized in place was allocated here. */
static inline void debug_record_realloc(uint8_t *block) {
    if (REDZONE > 0) block_info(block)->alloc_stack = ward_stack_record();
}

/* realloc within the raw block when the new size fits and uses at least
 * half of it: only the end and its canary move (growth by appending then
 * copies as rarely as in fast mode). */
static bool guard_resize_in_place(guarded_t *g, size_t size) {
    if (!fits_in_place(g->size, g->uoff, has_trailer(g), size)) return false;
    g->end = g->uoff + size;
    if (!has_trailer(g)) {
        write_geometry(g);
        return true;
    }
    /* From the trailer check_live saw: a free that took the block meanwhile
     * (a program bug) makes this fail, and realloc's own free of the old
     * block then reports it. */
    uint64_t live = trailer_make(g->block, g->uoff, size, STATE_LIVE);
    if (!atomic_compare_exchange_strong_explicit(trailer_of(g->block, g->size), &g->trailer, live,
                                                 memory_order_acq_rel, memory_order_relaxed))
        return false;
    canary_fill(g->block, g->end, canary_stop(g));
    return true;
}

/* realloc's fast path: a live small or medium block (live_small_block)
 * whose canaries are intact, resized within its raw block as
 * guard_resize_in_place does (growth by appending takes this path on most
 * calls). False leaves everything to the general path. */
static inline bool realloc_small_fast(void *p, size_t size) {
    live_small_t b;
    if (!live_small_block(p, &b) || !fits_in_place(b.size, REDZONE, true, size) ||
        unlikely(!small_canaries_intact(b.block, b.size, REDZONE, REDZONE + trailer_n(b.t))))
        return false;
    if (unlikely(!trailer_swap(&b, trailer_make(b.block, REDZONE, size, STATE_LIVE)))) return false;
    small_canary_after(b.block, b.size, REDZONE + size);
    debug_record_realloc(b.block);
    return true;
}

void *ward_guard_realloc(ward_heap_t *heap, void *p, size_t size) {
    if (p == NULL) return ward_guard_malloc(heap, size, 0, false);
    if (size == 0) {
        ward_guard_free(p);
        return NULL;
    }
    if (realloc_small_fast(p, size)) return p;
    guarded_t g;
    size_t old;
    if (ward_sample_owns(p)) {
        /* A live block of size 0 (malloc(0)) is live all the same. */
        ward_sample_kind_t kind = ward_sample_lookup(p, &old);
        if (kind != WARD_SAMPLE_LIVE) {
            if (kind == WARD_SAMPLE_FREED) ward_report_error("use after free", p, "a sampled block, freed already");
            else ward_report_error("invalid realloc", p, "not a sampled block's start");
            errno = EINVAL;
            return NULL;
        }
    } else if (!check_live(p, &g, "invalid realloc", false)) {
        if (!g.damaged) {
            errno = EINVAL;
            return NULL;
        }
        /* WARD_ON_ERROR=report, canaries damaged: the program goes on with
         * a copy, as realloc would have, and the block is leaked (no longer
         * live, never reused; a later free of it is a double free, whose
         * report shows this realloc as the first free). Without a copy it
         * stays the program's, as after any failed realloc. */
        void *q = ward_guard_malloc(heap, size, 0, false);
        if (q == NULL) return NULL;
        if (!leak_damaged(&g)) {
            ward_guard_free(q);
            errno = EINVAL;
            return NULL;
        }
        debug_record_free(g.block);
        memcpy(q, p, g.end - g.uoff < size ? g.end - g.uoff : size);
        return q;
    } else {
        old = g.end - g.uoff;
        if (guard_resize_in_place(&g, size)) {
            debug_record_realloc(g.block);
            return p;
        }
    }
    void *q = ward_guard_malloc(heap, size, 0, false);
    if (q == NULL) return NULL;
    memcpy(q, p, old < size ? old : size);
    ward_guard_free(p);
    return q;
}

#endif
