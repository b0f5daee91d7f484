/* Guard modes: the checks of the hardened (WARD_GUARD=1) and debug
 * (WARD_GUARD=2) builds. The fast build compiles none of this but the
 * secret's definition: the mode is chosen when the library is built, so the
 * fast paths carry no mode tests.
 *
 * A guarded block is a raw block B of S bytes from the normal allocator,
 * holding the user's n bytes at B + uoff (uoff > 0 for alignment, and for
 * the left redzone in debug builds):
 *
 *   B            B+uoff          B+end          B+S-8      B+S
 *   | redzone    | user data     | canary bytes  | trailer  |
 *
 * The trailer holds uoff and end (= uoff + n) XORed with a key derived from
 * B and the process secret; for large and huge blocks (one per page or
 * mapping) that information lives in the page descriptor or the mapping's
 * header instead, and the canary covers the 64 bytes after the user data.
 * malloc_usable_size reports n, so writing what it reports stays legal,
 * and one byte written past n is caught when the block is freed or
 * reallocated.
 *
 * Every block start has a "live" bit in its segment's metadata (slice 0,
 * apart from user data): set when handed out, tested and cleared atomically
 * when freed, so a second free of the same block - from any thread - is
 * caught before anything is done with it. A global map of the address
 * space ward holds (one byte per 4 MiB) tells a pointer ward never handed
 * out (stack, globals, wild values) without touching it.
 *
 * Freed blocks are filled with FREE_PATTERN and wait in a per-thread
 * quarantine (FIFO, bounded in count and bytes) before going back to their
 * page, so they are not reused at once; when a block is handed out again
 * the pattern is checked, which catches writes after free. Free-list links
 * are encoded (internal.h) and blocks are carved in random order.
 */
#include "internal.h"

#include <stdlib.h>

uintptr_t ward_secret;

void ward_guard_bad_link(const ward_page_t *page, const ward_block_t *block) {
    (void)page;
    ward_report_error("heap corruption", block, "a freed block's free-list link was overwritten");
    /* With WARD_ON_ERROR=report there is no safe way on: the list is lost. */
    abort();
}

#if !WARD_GUARD

void ward_guard_init(void) {
}

#else

#define FREE_PATTERN 0xdf
#define TRAILER 8
/* Freed blocks up to FULL_CHECK_MAX bytes are filled and checked whole,
 * bigger ones PARTIAL_CHECK bytes at each end (where stale pointers into
 * structures mostly write). Hardened mode, for production, keeps the fill
 * short; debug mode looks further. */
#if WARD_GUARD >= 2
#define FULL_CHECK_MAX 1024
#else
#define FULL_CHECK_MAX 256
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

void ward_guard_init(void) {
    ward_secret = (uintptr_t)os_random_seed() | 1;
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

static uint8_t segmap_get(const void *p) {
    uintptr_t i = (uintptr_t)p >> WARD_SEGMENT_SHIFT;
    if (segmap == NULL || i >= SEGMAP_ENTRIES) return SEGMAP_NONE;
    return atomic_load_explicit(&segmap[i], memory_order_acquire);
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

/* ---- live bits -------------------------------------------------------------------- */

#define LIVE_BITS_OFFSET WARD_LIVE_BITS_OFFSET

_Static_assert(sizeof(ward_segment_t) <= LIVE_BITS_OFFSET, "header fits below the live bits");

static inline _Atomic(uint64_t) *live_word(ward_segment_t *seg, const void *block, uint64_t *mask) {
    size_t granule = ((uintptr_t)block - (uintptr_t)seg) >> 4;
    *mask = (uint64_t)1 << (granule & 63);
    return (_Atomic(uint64_t) *)((uint8_t *)seg + LIVE_BITS_OFFSET) + (granule >> 6);
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
} guarded_t;

/* Index of the first of the n bytes at p that is not `byte`, or n. Word by
 * word: these scans run on every guarded allocation and free. */
static size_t first_other_byte(const uint8_t *p, size_t n, uint8_t byte) {
    const uint64_t pattern = 0x0101010101010101ull * byte;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint64_t a, b, c, d;
        memcpy(&a, p + i, 8);
        memcpy(&b, p + i + 8, 8);
        memcpy(&c, p + i + 16, 8);
        memcpy(&d, p + i + 24, 8);
        if (((a ^ pattern) | (b ^ pattern) | (c ^ pattern) | (d ^ pattern)) != 0) break;
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, sizeof w);
        if (w != pattern) break;
    }
    for (; i < n; i++)
        if (p[i] != byte) return i;
    return n;
}

static inline uint32_t trailer_key(const uint8_t *block) {
    uint64_t k = ((uintptr_t)block ^ ward_secret) * 0x9e3779b97f4a7c15ull;
    return (uint32_t)(k >> 32);
}

/* Per block, from the secret, and never a byte that overflows commonly
 * write: not zero (off-by-one string terminators), not ASCII text, not 0xff,
 * not the free pattern. A one-byte overflow of such a byte is always caught;
 * of arbitrary binary data, all but one time in about 127. */
static inline uint8_t canary_byte(const uint8_t *block) {
    uint8_t c = (uint8_t)(0x80 | (trailer_key(block) >> 8));
    return c == FREE_PATTERN || c == 0xff ? 0xa5 : c;
}

static size_t canary_end(const guarded_t *g) {
    if (g->page != NULL && g->page->bin != WARD_BIN_LARGE) return g->size - TRAILER;
    size_t lim = g->end + LARGE_CANARY;
    return lim < g->size ? lim : g->size;
}

static void write_geometry(guarded_t *g) {
    if (g->page == NULL) {
        g->seg->huge_guard_uoff = g->uoff;
        g->seg->huge_guard_end = g->end;
    } else if (g->page->bin == WARD_BIN_LARGE) {
        g->page->guard = ((uint64_t)g->uoff << 32) | (uint64_t)g->end;
    } else {
        uint32_t key = trailer_key(g->block);
        uint32_t words[2] = {(uint32_t)g->uoff ^ key, (uint32_t)g->end ^ ~key};
        memcpy(g->block + g->size - TRAILER, words, sizeof words);
    }
    memset(g->block + g->end, canary_byte(g->block), canary_end(g) - g->end);
    if (REDZONE > 0) memset(g->block + INFO_END, canary_byte(g->block), g->uoff - INFO_END);
}

/* Reads uoff/end back; false when the trailer was overwritten. */
static bool read_geometry(guarded_t *g) {
    if (g->page == NULL) {
        g->uoff = g->seg->huge_guard_uoff;
        g->end = g->seg->huge_guard_end;
    } else if (g->page->bin == WARD_BIN_LARGE) {
        g->uoff = (size_t)(g->page->guard >> 32);
        g->end = (size_t)(g->page->guard & 0xffffffffu);
    } else {
        uint32_t key = trailer_key(g->block), words[2];
        memcpy(words, g->block + g->size - TRAILER, sizeof words);
        g->uoff = words[0] ^ key;
        g->end = words[1] ^ ~key;
        if (g->end + 1 > g->size - TRAILER) return false;
    }
    return g->uoff <= g->end && g->end <= g->size;
}

/* Offset (from the user pointer) of the first canary byte after the block
 * that changed, or -1. */
static long long canary_damage(const guarded_t *g) {
    size_t stop = canary_end(g);
    size_t i = g->end + first_other_byte(g->block + g->end, stop - g->end, canary_byte(g->block));
    return i < stop ? (long long)(i - g->uoff) : -1;
}

/* How many bytes before the user pointer were overwritten (debug builds'
 * left redzone), or 0. */
static size_t underflow_damage(const guarded_t *g) {
    if (REDZONE == 0) return 0;
    size_t i = INFO_END + first_other_byte(g->block + INFO_END, g->uoff - INFO_END, canary_byte(g->block));
    return g->uoff - i;
}

/* Finds the raw block holding p. Reports and returns false for a pointer
 * ward never handed out. */
static bool locate(const void *p, guarded_t *g, const char *op) {
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
    if (page->bin == WARD_BIN_LARGE) {
        g->block = ward_page_start(page);
    } else if (!(flags & PAGE_ALIGNED) && ((uintptr_t)p & (WARD_ALIGNMENT - 1)) == 0 &&
               (const uint8_t *)p >= ward_page_start(page) + REDZONE) {
        /* Blocks of this page hold their data at B + REDZONE: no division
         * for the block start. A pointer that is not one fails the live-bit
         * test and is looked at again there. */
        g->block = (uint8_t *)p - REDZONE;
    } else {
        g->block = (uint8_t *)ward_page_block_start(page, p);
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

/* Checks that p is a live block's user pointer with intact canaries. */
static bool check_live(const void *p, guarded_t *g, const char *op, bool clear) {
    if (!locate(p, g, op)) return false;
    bool was_live;
    if (g->page == NULL) {
        uint8_t expect = 1;
        was_live = clear ? atomic_compare_exchange_strong(&g->seg->huge_live, &expect, 0)
                         : atomic_load(&g->seg->huge_live) != 0;
    } else {
        was_live = clear ? live_clear(g->seg, g->block) : live_test(g->seg, g->block);
    }
    if (!was_live) {
        /* Not a block start at all, or a block already freed? */
        if (g->page != NULL && g->page->bin != WARD_BIN_LARGE &&
            ward_page_block_start(g->page, p) != (ward_block_t *)g->block) {
            /* Inside the redzone or the data of another block: name that
             * block when it is live. */
            g->block = (uint8_t *)ward_page_block_start(g->page, p);
            if (!live_test(g->seg, g->block) || !read_geometry(g)) {
                ward_report_error(op, p, "pointer inside a block, not its start");
                return false;
            }
            clear = false;
            was_live = true;
        }
    }
    if (!was_live) {
        size_t size = g->size;
        if (read_geometry(g) && (const uint8_t *)p == g->block + g->uoff) size = g->end - g->uoff;
        report_block(clear ? "double free" : "use after free", p, g->block, size, NULL, -1,
                     clear ? "freed here:    " : "used here:     ", clear ? "first freed at:" : "freed at:      ");
        return false;
    }
    if (!read_geometry(g)) {
        report_block("heap buffer overflow", p, g->block, g->size, "the block's trailer was overwritten", -1,
                     "found here:    ", NULL);
        return false;
    }
    if ((const uint8_t *)p != g->block + g->uoff) {
        /* Put the bit back: the block stays allocated. */
        if (clear && g->page != NULL) live_set(g->seg, g->block);
        else if (clear) atomic_store(&g->seg->huge_live, 1);
        char what[128];
        ward_buf_t b = {what, 0, sizeof what - 1};
        long long off = (long long)((const uint8_t *)p - (g->block + g->uoff));
        ward_buf_str(&b, "pointer ");
        ward_buf_u64(&b, (uint64_t)(off < 0 ? -off : off));
        ward_buf_str(&b, off < 0 ? " bytes before a block of " : " bytes inside a block of ");
        ward_buf_u64(&b, g->end - g->uoff);
        ward_buf_str(&b, " bytes at ");
        ward_buf_hex(&b, (uint64_t)(uintptr_t)(g->block + g->uoff));
        what[b.len] = 0;
        uint32_t alloc_stack, free_stack;
        block_stacks(g->block, &alloc_stack, &free_stack);
        ward_report(op, p, what, "found here:    ", alloc_stack, 0, NULL);
        return false;
    }
    long long damage = canary_damage(g);
    if (damage >= 0) {
        report_block("heap buffer overflow", p, g->block, g->end - g->uoff, "written past its end", damage,
                     "found here:    ", NULL);
        return false;
    }
    size_t under = underflow_damage(g);
    if (under > 0) {
        char what[64];
        ward_buf_t b = {what, 0, sizeof what - 1};
        ward_buf_str(&b, "written ");
        ward_buf_u64(&b, under);
        ward_buf_str(&b, " bytes before its start");
        what[b.len] = 0;
        report_block("heap buffer underflow", p, g->block, g->end - g->uoff, what, -1, "found here:    ", NULL);
        return false;
    }
    return true;
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
    if (!live_test(seg, block)) return false;
    guarded_t g = {seg, page, block, page->block_size, 0, 0};
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
    guarded_t g;
    g.seg = ward_segment_of(block);
    g.page = ward_page_of(g.seg, block);
    g.block = block;
    g.size = raw;
    if (g.page->bin == WARD_BIN_LARGE || !read_geometry(&g)) return raw;
    return g.end - g.uoff;
}

/* ---- fresh and freed memory ----------------------------------------------------------- */

/* libc's memset, called through a pointer the compiler cannot see through:
 * it would otherwise expand the call into a string instruction that is
 * several times slower than libc's vector code at these sizes. */
static void *(*volatile const libc_memset)(void *, int, size_t) = memset;

static inline void pattern_fill(uint8_t *p, size_t n) {
    libc_memset(p, FREE_PATTERN, n);
}

void ward_guard_fresh_blocks(uint8_t *first, size_t bytes) {
    pattern_fill(first, bytes); /* trailers included: harmless, never read while free */
}

/* Fills a freed block with the pattern, keeping its trailer so that a
 * second free can still say how big the block was. */

static void fill_freed(guarded_t *g) {
    if (g->page == NULL) return;
    if (g->size <= FULL_CHECK_MAX) {
        pattern_fill(g->block + INFO_END, g->size - INFO_END - (g->page->bin == WARD_BIN_LARGE ? 0 : TRAILER));
    } else {
        pattern_fill(g->block + INFO_END, PARTIAL_CHECK);
        pattern_fill(g->block + g->size - PARTIAL_CHECK, PARTIAL_CHECK - TRAILER);
    }
}

/* Offset of the first byte of a block handed out again that differs from
 * the free pattern (the first word holds the free-list link), or -1. */
static const uint8_t free_pattern_bytes[256] = {[0 ... 255] = FREE_PATTERN};

/* first_other_byte(p, n, FREE_PATTERN), through memcmp against a buffer of
 * the pattern: libc's memcmp compares a vector at a time. */
static size_t first_not_freed(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i += sizeof free_pattern_bytes) {
        size_t k = n - i < sizeof free_pattern_bytes ? n - i : sizeof free_pattern_bytes;
        if (memcmp(p + i, free_pattern_bytes, k) != 0) return i + first_other_byte(p + i, k, FREE_PATTERN);
    }
    return n;
}

static long long freed_damage(const uint8_t *block, size_t size) {
    size_t head = size <= FULL_CHECK_MAX ? size - TRAILER : PARTIAL_CHECK + INFO_END;
    size_t i = INFO_END + first_not_freed(block + INFO_END, head - INFO_END);
    if (i < head) return (long long)i;
    if (size > FULL_CHECK_MAX) {
        size_t tail = size - PARTIAL_CHECK;
        i = tail + first_not_freed(block + tail, PARTIAL_CHECK - TRAILER);
        if (i < size - TRAILER) return (long long)i;
    }
    return -1;
}

/* Checks a freed block's pattern; reports a write after free and returns
 * false when it was written to. `where` labels the current stack. */
static bool freed_intact(uint8_t *block, size_t size, const char *where) {
    long long damage = freed_damage(block, size);
    if (damage < 0) return true;
    report_block("write after free", block + REDZONE, block, asked_size(block, size), "written after it was freed",
                 damage - (long long)REDZONE, where, NULL);
    return false;
}

/* Checks the free blocks of a page about to be released (all of them are
 * free): a write after free that no allocation came to find is reported
 * here rather than wiped out when the page is carved again. */
void ward_guard_check_page(ward_page_t *page) {
    if (page->bin == WARD_BIN_LARGE || page->bin == 0) return;
    uint8_t *start = ward_page_start(page);
    for (size_t i = 0; i < page->capacity; i++) {
        if (!freed_intact(start + i * page->block_size, page->block_size, "found here:    ")) return;
    }
}

/* ---- quarantine ------------------------------------------------------------------------------ */

static void release_raw(void *block) {
    ward_free_inline(block);
}

/* A block leaving the quarantine. Hardened builds check a small block's
 * pattern once, when it is handed out again (or its page is released), as
 * production costs demand; debug builds check it now as well, so a write
 * to a block that is never reused still gets reported. A large block's page
 * goes away with it: checked now in both. */
static void release_quarantined(void *block, size_t size) {
    if ((WARD_GUARD >= 2 || size > WARD_MEDIUM_MAX) && !freed_intact(block, size, "found here:    "))
        return; /* WARD_ON_ERROR=report: leak it */
    release_raw(block);
}

static void quarantine_push(ward_heap_t *heap, guarded_t *g) {
    ward_quarantine_t *q = &heap->quarantine;
    /* Blocks of first-class heaps skip the quarantine: ward_heap_destroy
     * would release their segment under it. */
    if (!heap->is_thread_heap || g->page == NULL || g->size > WARD_QUARANTINE_BYTES / 4 || g->seg->first_class) {
        if (g->page == NULL || g->page->bin == WARD_BIN_LARGE) recent_free_note(g->block + g->uoff);
        release_raw(g->block);
        return;
    }
    while (q->count == WARD_QUARANTINE_SLOTS || q->bytes + g->size > WARD_QUARANTINE_BYTES) {
        uint32_t old = (q->head + WARD_QUARANTINE_SLOTS - q->count) % WARD_QUARANTINE_SLOTS;
        void *victim = q->blocks[old];
        q->bytes -= q->sizes[old];
        q->count--;
        release_quarantined(victim, q->sizes[old]);
    }
    q->blocks[q->head] = g->block;
    q->sizes[q->head] = (uint32_t)g->size;
    q->head = (q->head + 1) % WARD_QUARANTINE_SLOTS;
    q->count++;
    q->bytes += g->size;
}

/* At exit: writes to blocks still waiting in the quarantine. */
void ward_guard_at_exit(void) {
    ward_heap_t *heap = ward_tls_heap;
    if (heap == &ward_empty_heap) return;
    ward_quarantine_t *q = &heap->quarantine;
    for (uint32_t k = 0; k < q->count; k++) {
        uint32_t i = (q->head + WARD_QUARANTINE_SLOTS - q->count + k) % WARD_QUARANTINE_SLOTS;
        if (!freed_intact(q->blocks[i], q->sizes[i], "found at exit: ")) return;
    }
}

void ward_guard_quarantine_flush(ward_heap_t *heap) {
    ward_quarantine_t *q = &heap->quarantine;
    while (q->count > 0) {
        uint32_t old = (q->head + WARD_QUARANTINE_SLOTS - q->count) % WARD_QUARANTINE_SLOTS;
        q->count--;
        q->bytes -= q->sizes[old];
        release_quarantined(q->blocks[old], q->sizes[old]);
    }
    q->bytes = 0;
}

/* ---- allocation ------------------------------------------------------------------------------ */

static void *raw_alloc(ward_heap_t *heap, size_t raw) {
    return ward_heap_malloc_inline(heap, raw);
}

void *ward_guard_malloc(ward_heap_t *heap, size_t size, size_t align, bool zero) {
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
        size + pad > WARD_MAX_REQUEST - REDZONE - TRAILER - 1) {
        errno = ENOMEM;
        return NULL;
    }
    size_t raw = REDZONE + size + pad + TRAILER + 1;
    for (int attempt = 0;; attempt++) {
        uint8_t *block = raw_alloc(heap, raw);
        if (block == NULL) return NULL;
        guarded_t g;
        g.seg = ward_segment_of(block);
        if (g.seg->kind == SEGMENT_HUGE) {
            g.page = NULL;
            g.block = block;
            g.size = g.seg->huge_usable;
            atomic_store(&g.seg->huge_live, 1);
            huge_track(g.seg, true);
        } else {
            g.page = ward_page_of(g.seg, block);
            g.block = block;
            g.size = g.page->block_size;
            if (live_set(g.seg, block)) {
                report_block("heap corruption", block, NULL, g.size, "the allocator was about to hand out a live block",
                             -1, "found here:    ", NULL);
                continue; /* WARD_ON_ERROR=report: leave it alone, take another */
            }
            if (g.page->bin != WARD_BIN_LARGE) {
                if (!freed_intact(block, g.size, "found here:    ")) {
                    /* WARD_ON_ERROR=report: leak it, not live (no leak report for
                     * it at exit), and take another. */
                    if (attempt < 8) {
                        live_clear(g.seg, block);
                        continue;
                    }
                }
            }
        }
        uint8_t *user = (uint8_t *)ward_align_up((uintptr_t)block + REDZONE, align);
        if (g.page == NULL || g.page->bin == WARD_BIN_LARGE) recent_free_forget(user);
        g.uoff = (size_t)(user - block);
        g.end = g.uoff + size;
        if (g.page != NULL && user != block + REDZONE && g.page->bin != WARD_BIN_LARGE)
            page_flags_set(g.page, (uint8_t)(page_flags(g.page) | PAGE_ALIGNED));
        write_geometry(&g);
        if (REDZONE > 0) {
            debug_info_t *info = block_info(block);
            info->alloc_stack = ward_stack_record();
            info->free_stack = 0;
            info->alloc_thread = (uint32_t)os_thread_id();
            info->free_thread = 0;
            info->magic = INFO_MAGIC ^ (uintptr_t)block;
        }
        if (zero) memset(user, 0, size);
        return user;
    }
}

void ward_guard_free(void *p) {
    if (p == NULL) return;
    if (ward_sample_owns(p)) {
        ward_sample_free(p);
        return;
    }
    guarded_t g;
    if (!check_live(p, &g, "invalid free", true)) return;
    if (REDZONE > 0) {
        debug_info_t *info = block_info(g.block);
        info->free_stack = ward_stack_record();
        info->free_thread = (uint32_t)os_thread_id();
    }
    if (g.page == NULL) {
        recent_free_note(p);
        huge_track(g.seg, false);
        ward_huge_free(g.seg);
        return;
    }
    fill_freed(&g);
    ward_heap_t *heap = ward_tls_heap;
    if (heap == &ward_empty_heap) release_raw(g.block);
    else quarantine_push(heap, &g);
}

size_t ward_guard_usable(const void *p) {
    if (p == NULL) return 0;
    if (ward_sample_owns(p)) return ward_sample_usable(p);
    guarded_t g;
    if (!check_live(p, &g, "invalid pointer", false)) return 0;
    return g.end - g.uoff;
}

/* realloc within the raw block when the new size fits and uses at least
 * half of it: only the end and its canary move (growth by appending then
 * copies as rarely as in fast mode). */
static bool guard_resize_in_place(guarded_t *g, size_t size) {
    /* At least one canary byte stays; small blocks keep their trailer. */
    size_t room = g->size - g->uoff - 1;
    if (g->page != NULL && g->page->bin != WARD_BIN_LARGE) room -= TRAILER;
    if (size > room || size < room / 2) return false;
    g->end = g->uoff + size;
    write_geometry(g);
    return true;
}

void *ward_guard_realloc(ward_heap_t *heap, void *p, size_t size) {
    if (p == NULL) return ward_guard_malloc(heap, size, 0, false);
    if (size == 0) {
        ward_guard_free(p);
        return NULL;
    }
    guarded_t g;
    size_t old;
    if (ward_sample_owns(p)) {
        old = ward_sample_usable(p);
        if (old == 0) {
            ward_report_error("invalid realloc", p, "a sampled block, freed already");
            errno = EINVAL;
            return NULL;
        }
    } else if (!check_live(p, &g, "invalid realloc", false)) {
        errno = EINVAL;
        return NULL;
    } else {
        old = g.end - g.uoff;
        if (guard_resize_in_place(&g, size)) {
            if (REDZONE > 0) block_info(g.block)->alloc_stack = ward_stack_record();
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
