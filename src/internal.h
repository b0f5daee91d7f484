/* Types, constants and fast-path inlines shared by ward's layers.
 *
 * Terms and invariants (the rest of the code relies on them):
 *
 * - A *segment* is WARD_SEGMENT_SIZE bytes aligned to its size, so the
 *   segment of any block is found by masking the block's address. Slice 0
 *   holds the segment header (metadata lives apart from user data); slices
 *   1..63 are cut into *pages* (runs of slices).
 * - A *huge* block lives in a mapping of its own whose first bytes are a
 *   segment header of kind SEGMENT_HUGE; masking its address also finds it,
 *   except when the block is itself segment-aligned (alignment >= segment
 *   size): then the header is exactly one segment below. No other block ever
 *   starts on a segment boundary, so `p == segment_of(p)` singles out NULL
 *   and those blocks with one comparison.
 * - Every normal segment belongs to exactly one heap (segment->heap). Only
 *   that heap's current thread touches the segment's span bitmaps and its
 *   pages' `free`, `local_free`, `used` and queue links. Other threads only
 *   push onto a page's atomic `thread_free` list (and, for a full page, hand
 *   the block to the heap's `delayed_free` list, see page.c). A segment whose
 *   heap went away (thread exit) is *abandoned*: heap == NULL, it sits on the
 *   global abandoned list and a heap that needs memory adopts it.
 * - A page holds blocks of one size: `capacity` of its `reserved` blocks
 *   have been carved so far; `used` counts blocks handed out and not yet
 *   freed locally or collected from thread_free.
 * - A free slice maps to the segment's sentinel page pages[0] (flags
 *   PAGE_INVALID), so a free of a pointer into free memory is caught.
 */
#ifndef WARD_INTERNAL_H
#define WARD_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "os.h"
/* The library defines ward_arena_alloc itself: no inline copy. */
#define WARD_NO_INLINE 1
#include "ward.h"

/* Build mode, fixed at compile time so that the fast build carries no mode
 * checks: 0 fast, 1 hardened, 2 debug (see src/guard.c). */
#ifndef WARD_GUARD
#define WARD_GUARD 0
#endif

#if WARD_GUARD >= 2
#define WARD_MODE_NAME "debug"
#elif WARD_GUARD == 1
#define WARD_MODE_NAME "hardened"
#else
#define WARD_MODE_NAME "fast"
#endif

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define WARD_INTERNAL __attribute__((visibility("hidden")))
#define WARD_NOINLINE __attribute__((noinline))
#define WARD_COLD __attribute__((cold, noinline))

/* ---- geometry ---------------------------------------------------------- */

#define WARD_SEGMENT_SHIFT 22
#define WARD_SEGMENT_SIZE ((size_t)1 << WARD_SEGMENT_SHIFT) /* 4 MiB */
#define WARD_SEGMENT_MASK (WARD_SEGMENT_SIZE - 1)
#define WARD_SLICE_SHIFT 16
#define WARD_SLICE_SIZE ((size_t)1 << WARD_SLICE_SHIFT) /* 64 KiB */
#define WARD_SLICES (WARD_SEGMENT_SIZE / WARD_SLICE_SIZE) /* 64 */
#define WARD_DATA_SLICES_MASK (~(uint64_t)1)          /* slice 0 is the header */

#define WARD_ALIGNMENT 16
#define WARD_DIRECT_MAX 1024                 /* sizes served by heap->direct */
#define WARD_DIRECT_SLOTS (WARD_DIRECT_MAX / WARD_ALIGNMENT + 1)
#define WARD_EMPTIED_PAGES 64                /* emptied pages a heap keeps a while (heap.c) */
#define WARD_SMALL_MAX 8192                  /* blocks in one-slice pages */
#define WARD_MEDIUM_MAX 65536                /* blocks in medium pages */
#define WARD_MEDIUM_PAGE_SLICES 8
#define WARD_LARGE_MAX ((size_t)2 << 20)     /* one-block pages inside segments */
/* WARD_SAMPLE's default: about one allocation in this many gets a guarded
 * slot in every mode (measured cost in bench/RESULTS.md, well under 1 %). */
#define WARD_SAMPLE_DEFAULT 100000
#define WARD_HUGE_HEADER 4096                /* header page of a huge mapping */
#define WARD_MAX_REQUEST ((size_t)PTRDIFF_MAX - WARD_SEGMENT_SIZE * 2)

/* Bins 1..44 hold blocks of 16 B .. 64 KiB, four classes per doubling above
 * 128 B; the two last count large and huge blocks in statistics. */
#define WARD_BIN_SMALL_LAST 32
#define WARD_BIN_MEDIUM_LAST 44
#define WARD_BIN_LARGE 45
#define WARD_BIN_HUGE 46
#define WARD_BIN_COUNT 47

/* ---- blocks, pages, segments ------------------------------------------ */

typedef struct ward_block_s {
    struct ward_block_s *next;
} ward_block_t;

/* page->flags: any bit set sends free() off the fast path. */
#define PAGE_FULL 0x01     /* in the heap's full list */
#define PAGE_ALIGNED 0x02  /* some block was handed out at an inner offset */
#define PAGE_SLOW 0x04     /* counting statistics: every free goes slow */
#define PAGE_INVALID 0x08  /* sentinel: not a page of blocks */
#define PAGE_OWNED 0x10    /* a chunk of an arena or pool: free() must refuse it */

/* Delayed-free states, in the low two bits of page->thread_free. */
#define DELAY_NONE 0u     /* remote frees only push onto thread_free */
#define DELAY_USE 1u      /* page is full: next remote free tells the heap */
#define DELAY_FREEING 2u  /* a remote thread is telling the heap right now */
#define DELAY_NEVER 3u    /* heap is going away: only push */
#define DELAY_MASK 3u

typedef struct ward_page_s {
    ward_block_t *free;       /* blocks to allocate from */
    ward_block_t *local_free; /* blocks freed by the owning thread */
    _Atomic(uintptr_t) thread_free; /* blocks freed by others | delay state */
    struct ward_page_s *next; /* in a bin queue or the full list */
    struct ward_page_s *prev;
    uint64_t guard;           /* guard builds: large pages, user offset << 32 | end of user data;
                                 other pages, the address of their last carved block */
    uint32_t block_size;
    uint16_t used;
    uint16_t capacity;
    uint16_t reserved;
    _Atomic(uint8_t) flags;   /* written by the owner only; see page_flags() */
    uint8_t bin;
    uint8_t slice_index;
    uint8_t slice_count;
    uint8_t free_is_zero;     /* `free` holds only never-used blocks of zero memory */
    uint8_t mem_is_zero;      /* uncarved blocks are zero memory */
} ward_page_t;

_Static_assert(sizeof(ward_page_t) == 64, "page descriptors are one cache line");

enum { SEGMENT_NORMAL = 1, SEGMENT_HUGE = 2, SEGMENT_SAMPLE = 3 };
#define WARD_SEGMENT_MAGIC 0x77617264u /* "ward" */

struct ward_heap_s;

typedef struct ward_segment_s {
    _Atomic(struct ward_heap_s *) heap;    /* owner; NULL when abandoned or huge */
    ward_page_t *slice_page[WARD_SLICES];  /* page of each slice */
    uint32_t magic;
    uint8_t kind;
    uint8_t in_full_list;                  /* no free slices: in heap->segs_full */
    uint8_t abandoned;
    uint8_t max_free_run;                  /* longest run of free slices */
    uint8_t first_class;                   /* belongs to a heap from ward_heap_new */
    uint64_t free_slices;                  /* bit i: slice i belongs to no page */
    uint64_t clean_slices;                 /* free slices known to read as zero */
    uint64_t purge_deadline_ms;            /* 0: no dirty free slices */
    uint64_t released_ms;                  /* when it went back to its region */
    struct ward_segment_s *next;           /* heap list or abandoned list */
    struct ward_segment_s *prev;
    /* huge blocks only */
    size_t huge_map_size;                  /* the whole mapping */
    size_t huge_usable;                    /* bytes from user pointer to the end */
    size_t huge_align;
    uint8_t *huge_user;
    struct ward_heap_s *huge_owner;        /* first-class heap holding it, or NULL */
    uint64_t huge_freed_ms;
    uint8_t huge_purged;
    uint8_t huge_cached;                   /* freed, waiting in the huge cache */
    uint8_t huge_owned;                    /* a chunk of an arena or pool */
    _Atomic(uint8_t) huge_live;            /* guard builds: the block is allocated */
    _Atomic(uint64_t) large_live;          /* guard builds: bit i, the large block at slice i is allocated */
    size_t huge_guard_uoff;                /* guard builds: user offset and end */
    size_t huge_guard_end;
    /* Fast builds: 4 KiB pages purged inside pages of small blocks (bit k of
     * entry i: OS page k of slice i), and each page's use at its last scan
     * (page.c, "sparse pages"); indexed by the page's first slice. */
    uint16_t sparse_purged[WARD_SLICES];
    uint16_t sparse_scan_used[WARD_SLICES];
    ward_page_t pages[WARD_SLICES];        /* pages[0] is the invalid sentinel */
} ward_segment_t;

_Static_assert(offsetof(ward_segment_t, pages) + sizeof(ward_page_t) <= WARD_HUGE_HEADER,
               "a huge block's header fits its header page");
_Static_assert(sizeof(ward_segment_t) <= WARD_SLICE_SIZE, "segment header fits slice 0");

/* ---- heaps ---------------------------------------------------------------- */

typedef struct ward_page_queue_s {
    ward_page_t *first;
    ward_page_t *last;
} ward_page_queue_t;

#if WARD_GUARD
/* Freed blocks wait here before going back to their page (guard.c): blocks
 * of up to WARD_DIRECT_MAX bytes in a ring bounded in count, bigger ones in
 * a queue bounded in count and bytes. */
#define WARD_QUARANTINE_SMALL (WARD_GUARD >= 2 ? 16384 : 1024)
#define WARD_QUARANTINE_SLOTS (WARD_GUARD >= 2 ? 4096 : 256)
#define WARD_QUARANTINE_BYTES ((size_t)(WARD_GUARD >= 2 ? 32 : 4) << 20)
typedef struct ward_quarantine_s {
    void *small[WARD_QUARANTINE_SMALL]; /* NULL: an empty slot */
    uint32_t small_head;                /* next slot to fill: the oldest entry */
    uint32_t head;
    uint32_t count;
    void *blocks[WARD_QUARANTINE_SLOTS];
    uint32_t sizes[WARD_QUARANTINE_SLOTS];
    size_t bytes;
} ward_quarantine_t;
#endif


typedef struct ward_heap_counters_s {
    /* Written by the owning thread only, read by statistics: relaxed atomics
     * so that reads from other threads are well defined. */
    _Atomic(uint64_t) allocs[WARD_BIN_COUNT];
    _Atomic(uint64_t) frees;
    _Atomic(int64_t) pending_bytes; /* in-use delta not yet in the global sum */
} ward_heap_counters_t;

struct ward_heap_s {
    ward_page_t *direct[WARD_DIRECT_SLOTS];   /* size/16 -> page to allocate from */
    ward_page_queue_t bins[WARD_BIN_COUNT];
    ward_page_queue_t full;
    _Atomic(ward_block_t *) delayed_free;     /* blocks of full pages freed remotely */
    ward_segment_t *segs_avail;               /* segments with free slices */
    ward_segment_t *segs_full;
    uint64_t now_ms;                          /* clock as of the last slow path */
    uint64_t next_maintenance_ms;
    /* Pages a free left empty, not the first of their bin, the oldest given
     * back when another comes (heap.c, ward_heap_page_emptied); NULL: none. */
    ward_page_t *emptied[WARD_EMPTIED_PAGES];
    uint32_t emptied_next;
    uint32_t slow_calls;
    uint8_t page_flags;                       /* flags every new page starts with */
    uint8_t is_thread_heap;
    uint8_t in_use;                           /* taken from the heap pool */
    struct ward_heap_s *pool_next;            /* heap pool free list */
    struct ward_heap_s *all_next;             /* every heap ever made */
    pthread_mutex_t huge_lock;                /* first-class heaps: huge list */
    ward_segment_t *huge_list;
    ward_heap_counters_t counters;
    uint64_t random;                          /* guard builds: carving order */
    int64_t sample_countdown;                 /* WARD_SAMPLE: allocations until the next sample */
#if WARD_GUARD
    ward_quarantine_t quarantine;
#endif
};

typedef struct ward_heap_s ward_heap_t;

/* ---- globals ---------------------------------------------------------------- */

typedef struct ward_options_s {
    uint64_t purge_delay_ms;
    size_t huge_unmap_bytes;    /* freed huge blocks at least this big are unmapped at once */
    size_t huge_cache_bytes;    /* most bytes of freed huge mappings kept for reuse */
    bool stats;                 /* count every allocation; print a summary at exit */
    bool verbose;
    bool abort_on_error;
    bool leaks;                 /* leak report at exit (guard builds) */
    uint64_t sample;            /* WARD_SAMPLE: one allocation in this many gets a guard slot; 0 off */
    bool sample_requested;      /* WARD_SAMPLE set by the user (not the default) */
    int log_fd;
} ward_options_t;

typedef struct ward_global_stats_s {
    _Atomic(int64_t) in_use;          /* exact with options.stats, else page granularity */
    _Atomic(int64_t) peak_in_use;
    _Atomic(int64_t) reserved;
    _Atomic(int64_t) committed;
    _Atomic(uint64_t) purges;
    _Atomic(int64_t) segments;
    _Atomic(int64_t) huge_blocks;
    _Atomic(uint64_t) allocs[WARD_BIN_COUNT]; /* from heaps that went away */
    _Atomic(uint64_t) frees;
} ward_global_stats_t;

WARD_INTERNAL extern ward_options_t ward_options;
WARD_INTERNAL extern ward_global_stats_t ward_stats;
WARD_INTERNAL extern ward_page_t ward_empty_page;
WARD_INTERNAL extern ward_heap_t ward_empty_heap;
WARD_INTERNAL extern _Atomic(int) ward_init_state; /* 0 no, 1 running, 2 done */
WARD_INTERNAL extern __thread ward_heap_t *ward_tls_heap __attribute__((tls_model("initial-exec")));
WARD_INTERNAL extern __thread bool ward_thread_done __attribute__((tls_model("initial-exec")));

/* ---- size classes ------------------------------------------------------------ */

static inline unsigned ward_bin_of(size_t size) {
    size_t w = (size + WARD_ALIGNMENT - 1) / WARD_ALIGNMENT;
    if (w <= 8) return w == 0 ? 1 : (unsigned)w;
    w--;
    unsigned b = 63u - (unsigned)__builtin_clzll(w);
    return (b << 2) + (unsigned)((w >> (b - 2)) & 3) - 3;
}

static inline size_t ward_bin_size(unsigned bin) {
    if (bin <= 8) return (size_t)bin * WARD_ALIGNMENT;
    unsigned b = (bin + 3) >> 2, r = (bin + 3) & 3;
    return ((size_t)(5 + r) << (b - 2)) * WARD_ALIGNMENT;
}

static inline size_t ward_align_up(size_t n, size_t align) {
    return (n + align - 1) & ~(align - 1);
}

/* ---- address arithmetic ------------------------------------------------------- */

static inline ward_segment_t *ward_segment_of(const void *p) {
    return (ward_segment_t *)((uintptr_t)p & ~(uintptr_t)WARD_SEGMENT_MASK);
}

static inline ward_page_t *ward_page_of(const ward_segment_t *seg, const void *p) {
    return seg->slice_page[((uintptr_t)p - (uintptr_t)seg) >> WARD_SLICE_SHIFT];
}

static inline uint8_t *ward_slice_address(const ward_segment_t *seg, size_t index) {
    return (uint8_t *)seg + (index << WARD_SLICE_SHIFT);
}

/* Guard builds keep an inaccessible page at the end of every segment, of
 * every large block and of every huge mapping (and one between a segment's
 * header and its first page). */
#if WARD_GUARD
#define WARD_GUARD_PAGE ((size_t)4096)
#else
#define WARD_GUARD_PAGE ((size_t)0)
#endif

/* Bytes of a page's span that blocks may use. */
static inline size_t ward_page_span_bytes(unsigned slice_index, unsigned slice_count, bool large) {
    size_t bytes = (size_t)slice_count << WARD_SLICE_SHIFT;
    if (WARD_GUARD && (large || slice_index + slice_count == WARD_SLICES)) bytes -= WARD_GUARD_PAGE;
    return bytes;
}

/* The start of a page (pages of normal segments start on a slice). */
static inline uint8_t *ward_page_start(const ward_page_t *page) {
    return ward_slice_address(ward_segment_of(page), page->slice_index);
}

/* Hardened builds start the blocks of a page of small or medium blocks
 * WARD_PAGE_HEAD bytes in when the page's slack leaves room (so it costs no
 * block): the head holds the free pattern, and the byte before the first
 * block is known (guard.c checks the byte before a block). */
#define WARD_PAGE_HEAD ((size_t)(WARD_GUARD == 1 ? 16 : 0))

static inline size_t ward_page_head(const ward_page_t *page) {
#if WARD_GUARD == 1
    if (page->bin == WARD_BIN_LARGE) return 0;
    size_t span = ward_page_span_bytes(page->slice_index, page->slice_count, false);
    return span % page->block_size >= WARD_PAGE_HEAD ? WARD_PAGE_HEAD : 0;
#else
    (void)page;
    return 0;
#endif
}

/* The first block of a page. */
static inline uint8_t *ward_page_blocks(const ward_page_t *page) {
    return ward_page_start(page) + ward_page_head(page);
}

/* Other threads read a page's flags (free and usable_size look at
 * PAGE_ALIGNED and PAGE_INVALID, which cannot change while the block they
 * hold is live); only the owner writes them, so relaxed loads and stores
 * suffice and compile to plain moves. */
static inline uint8_t page_flags(const ward_page_t *page) {
    return atomic_load_explicit(&((ward_page_t *)page)->flags, memory_order_relaxed);
}

static inline void page_flags_set(ward_page_t *page, uint8_t flags) {
    atomic_store_explicit(&page->flags, flags, memory_order_relaxed);
}

static inline ward_heap_t *ward_segment_heap(const ward_segment_t *seg) {
    return atomic_load_explicit(&((ward_segment_t *)seg)->heap, memory_order_relaxed);
}

/* ---- free-list links -----------------------------------------------------------------
 * Guard builds store links encoded with a process secret and the link's own
 * address, so a write into a freed block cannot make a later malloc return
 * an address of the writer's choosing (a decoded link outside its page is
 * reported as heap corruption). */

WARD_INTERNAL extern uintptr_t ward_secret;

static inline ward_block_t *ward_block_next(const ward_block_t *b) {
#if WARD_GUARD
    return (ward_block_t *)((uintptr_t)b->next ^ ward_secret ^ ((uintptr_t)b >> 4));
#else
    return b->next;
#endif
}

static inline void ward_block_set_next(ward_block_t *b, ward_block_t *next) {
#if WARD_GUARD
    b->next = (ward_block_t *)((uintptr_t)next ^ ward_secret ^ ((uintptr_t)b >> 4));
#else
    b->next = next;
#endif
}

/* The pages of a segment in slice order, into out (room for WARD_SLICES);
 * returns how many. Taken before acting on them, since freeing a page
 * changes the slice map being walked. */
static inline size_t ward_segment_pages(ward_segment_t *seg, ward_page_t **out) {
    size_t n = 0;
    for (size_t i = 1; i < WARD_SLICES;) {
        ward_page_t *page = seg->slice_page[i];
        if (page == &seg->pages[0]) {
            i++;
            continue;
        }
        out[n++] = page;
        i += page->slice_count;
    }
    return n;
}

/* ---- counters (single writer) --------------------------------------------------- */

static inline void ward_counter_add(_Atomic(uint64_t) *c, uint64_t n) {
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

/* ---- layer entry points ----------------------------------------------------------- */

/* init.c */
WARD_INTERNAL void ward_init(void);
WARD_INTERNAL void ward_lock_all(void);
WARD_INTERNAL void ward_unlock_all(bool child);

/* options.c */
WARD_INTERNAL void ward_options_init(void);
WARD_INTERNAL void ward_options_print(int fd);

/* report.c: formatting without malloc */
typedef struct ward_buf_s {
    char *data;
    size_t len;
    size_t cap;
} ward_buf_t;
WARD_INTERNAL void ward_buf_str(ward_buf_t *b, const char *s);
WARD_INTERNAL void ward_buf_u64(ward_buf_t *b, uint64_t v);
WARD_INTERNAL void ward_buf_hex(ward_buf_t *b, uint64_t v);
WARD_INTERNAL void ward_buf_size(ward_buf_t *b, uint64_t bytes); /* "12.3 MiB" */
WARD_INTERNAL void ward_buf_pad(ward_buf_t *b, size_t column);
WARD_INTERNAL void ward_buf_flush(ward_buf_t *b, int fd);
WARD_INTERNAL void ward_report_error(const char *kind, const void *addr, const char *detail);
WARD_INTERNAL void ward_report(const char *kind, const void *addr, const char *detail, const char *here,
                               uint32_t alloc_stack, uint32_t free_stack, const char *free_label);

/* sample.c */
WARD_INTERNAL void *ward_sample_alloc(size_t size, bool zero);
WARD_INTERNAL void ward_sample_lock(void);
WARD_INTERNAL void ward_sample_unlock(bool child);
WARD_INTERNAL void ward_sample_free(void *p);
WARD_INTERNAL extern _Atomic(ward_segment_t *) ward_sample_segment;
/* Whether p lies in the sample segment (checked on every free). */
static inline bool ward_sample_owns(const void *p) {
    ward_segment_t *seg = atomic_load_explicit(&ward_sample_segment, memory_order_acquire);
    return seg != NULL && ward_segment_of(p) == seg;
}
/* Destroyed arena and pool handles are not freed at once: they wait, dead
 * (magic cleared, cursors empty so that every inline path calls the
 * library), in a ring of the last WARD_RETIRED_HANDLES destroyed of their
 * kind, so that a call on a destroyed handle is reported instead of reading
 * freed memory. Lock-free (fork needs nothing). */
#define WARD_RETIRED_HANDLES 64u
typedef struct ward_retired_s {
    _Atomic(void *) ring[WARD_RETIRED_HANDLES];
    _Atomic(unsigned) next;
} ward_retired_t;

static inline void ward_handle_retire(ward_retired_t *r, void *handle) {
    unsigned i = atomic_fetch_add_explicit(&r->next, 1, memory_order_relaxed) % WARD_RETIRED_HANDLES;
    void *oldest = atomic_exchange_explicit(&r->ring[i], handle, memory_order_acq_rel);
    if (oldest != NULL) ward_free(oldest);
}

/* What p is to the sampled slots: the start of a live block (its size, which
 * may be 0, in *size), of a freed one, or neither. */
typedef enum { WARD_SAMPLE_OTHER, WARD_SAMPLE_LIVE, WARD_SAMPLE_FREED } ward_sample_kind_t;
WARD_INTERNAL ward_sample_kind_t ward_sample_lookup(const void *p, size_t *size);
/* A live sampled block's size, else 0. */
WARD_INTERNAL size_t ward_sample_usable(const void *p);
WARD_INTERNAL void ward_sample_visit(void (*add)(void *arg, uintptr_t lo, uintptr_t hi, uint32_t stack), void *arg);

/* stack.c */
#define WARD_STACK_DEPTH 16
WARD_INTERNAL void ward_stack_init(bool record);
WARD_INTERNAL void ward_stack_load_unwinder(void);
WARD_INTERNAL size_t ward_stack_capture_user(uintptr_t *pcs, size_t max, bool exact);
WARD_INTERNAL bool ward_stack_exact_available(void); /* the DWARF unwinder is there */
WARD_INTERNAL uint32_t ward_stack_record(void);
WARD_INTERNAL size_t ward_stack_get(uint32_t id, uintptr_t *pcs, size_t max);
WARD_INTERNAL void ward_stack_print(ward_buf_t *b, const char *label, const uintptr_t *pcs, size_t n);
WARD_INTERNAL void ward_stack_print_id(ward_buf_t *b, const char *label, uint32_t id);
WARD_INTERNAL bool ward_stack_from_loader(uint32_t id);
WARD_INTERNAL void ward_message(const char *text);

/* segment.c */
WARD_INTERNAL ward_segment_t *ward_segment_new(ward_heap_t *heap);
WARD_INTERNAL void ward_segment_release(ward_segment_t *seg);
WARD_INTERNAL ward_page_t *ward_segment_find_span(ward_heap_t *heap, size_t slices);
WARD_INTERNAL void ward_segment_free_span(ward_heap_t *heap, ward_page_t *page);
WARD_INTERNAL bool ward_segment_grow_span(ward_heap_t *heap, ward_page_t *page, size_t slices);
WARD_INTERNAL void ward_segment_purge_dirty(ward_segment_t *seg, uint64_t now, bool force);
WARD_INTERNAL void ward_segment_abandon(ward_segment_t *seg);
WARD_INTERNAL ward_segment_t *ward_segment_take_abandoned(ward_segment_t *want);
/* An abandoned segment worth adopting for a page of `bin` (0: a span of
 * `slices`), or NULL; what others freed into the segments it looked at is
 * collected. */
WARD_INTERNAL ward_segment_t *ward_segment_take_abandoned_for(unsigned bin, unsigned slices, uint64_t now);
WARD_INTERNAL bool ward_regions_purge(uint64_t now, bool force);
WARD_INTERNAL bool ward_abandoned_sweep(uint64_t now, bool force);
WARD_INTERNAL void ward_segments_release_cached(void);
WARD_INTERNAL void ward_segment_lock_all(void);
WARD_INTERNAL void ward_segment_unlock_all(bool child);
WARD_INTERNAL void ward_segment_adopt(ward_heap_t *heap, ward_segment_t *seg);
WARD_INTERNAL void ward_segments_visit(void (*visit)(ward_segment_t *seg, void *arg), void *arg);

/* page.c */
WARD_INTERNAL void ward_page_init(ward_page_t *page, unsigned bin, size_t block_size, uint8_t flags);
WARD_INTERNAL void ward_page_extend(ward_page_t *page);
WARD_INTERNAL void ward_page_collect(ward_page_t *page);
WARD_INTERNAL void ward_page_set_delay(ward_page_t *page, uintptr_t state, bool override_never);
WARD_INTERNAL void ward_page_free_remote(ward_segment_t *seg, ward_page_t *page, ward_block_t *block);
WARD_INTERNAL ward_block_t *ward_page_block_start(const ward_page_t *page, const void *p);
WARD_INTERNAL size_t ward_page_purge_sparse(ward_page_t *page);
WARD_INTERNAL void ward_page_forget_sparse(ward_page_t *page);

/* heap.c */
WARD_INTERNAL void *ward_heap_malloc_slow(ward_heap_t *heap, size_t size, bool zero) WARD_NOINLINE;
WARD_INTERNAL void *ward_heap_alloc_aligned(ward_heap_t *heap, size_t size, size_t align, bool zero);
WARD_INTERNAL void ward_free_slow(void *p) WARD_NOINLINE;
/* Chunks for arenas and pools: blocks that free() refuses (it reports an
 * invalid free), given back only through ward_chunk_free. */
WARD_INTERNAL void *ward_chunk_alloc(size_t size, size_t *usable);
WARD_INTERNAL void ward_chunk_free(void *chunk);
WARD_INTERNAL void ward_page_retire(ward_heap_t *heap, ward_page_t *page) WARD_NOINLINE;
WARD_INTERNAL void ward_heap_page_emptied(ward_heap_t *heap, ward_page_t *page) WARD_COLD;
WARD_INTERNAL ward_heap_t *ward_heap_for_thread(void);
WARD_INTERNAL void ward_heap_thread_done(void *heap);
WARD_INTERNAL void ward_heap_collect(ward_heap_t *heap, bool force, bool purge_now);
WARD_INTERNAL int64_t ward_heap_sample_interval(ward_heap_t *heap);
WARD_INTERNAL size_t ward_block_usable(const void *p);
WARD_INTERNAL bool ward_block_is_malloc(const void *p);
WARD_INTERNAL void ward_heap_adopt_abandoned(ward_heap_t *heap);
WARD_INTERNAL bool ward_heap_grow_in_place(ward_heap_t *heap, void *p, size_t size);
WARD_INTERNAL void ward_heap_stats_add(uint64_t *allocs, uint64_t *frees, int64_t *pending);
WARD_INTERNAL void ward_heaps_lock(void);
WARD_INTERNAL void ward_heaps_unlock(bool child);
WARD_INTERNAL void ward_stats_account(ward_heap_t *heap, int64_t bytes);

/* huge.c */
WARD_INTERNAL void *ward_huge_alloc(ward_heap_t *owner, size_t size, size_t align, bool zero);
WARD_INTERNAL void ward_huge_free(ward_segment_t *seg);
WARD_INTERNAL void *ward_huge_realloc(ward_segment_t *seg, size_t size);
WARD_INTERNAL void ward_huge_destroy_owned(ward_heap_t *heap);
WARD_INTERNAL bool ward_huge_cache_purge(uint64_t now, bool force);
WARD_INTERNAL void ward_huge_cache_release(void);
WARD_INTERNAL ward_segment_t *ward_huge_header_of_aligned(const void *p);
WARD_INTERNAL void ward_huge_lock(void);
WARD_INTERNAL void ward_huge_unlock(bool child);

/* stats.c */
WARD_INTERNAL void ward_stats_at_exit(void);
WARD_INTERNAL bool ward_purge_global(uint64_t now, bool force);

/* guard.c */
WARD_INTERNAL void ward_guard_init(void);
WARD_INTERNAL ward_block_t *ward_guard_bad_link(const ward_page_t *page, ward_block_t *block) WARD_COLD;
#if WARD_GUARD
WARD_INTERNAL void *ward_guard_malloc(ward_heap_t *heap, size_t size, size_t align, bool zero);
WARD_INTERNAL void *ward_guard_malloc_plain(ward_heap_t *heap, size_t size); /* align 0, not zeroed */
WARD_INTERNAL void ward_guard_free(void *p);
WARD_INTERNAL void *ward_guard_realloc(ward_heap_t *heap, void *p, size_t size);
WARD_INTERNAL size_t ward_guard_usable(const void *p);
WARD_INTERNAL void ward_guard_quarantine_flush(ward_heap_t *heap);
WARD_INTERNAL void ward_guard_fresh_blocks(uint8_t *first, size_t bytes);
WARD_INTERNAL void ward_guard_check_page(ward_page_t *page);
WARD_INTERNAL void ward_guard_at_exit(void);
WARD_INTERNAL void ward_leak_report(void);
WARD_INTERNAL void ward_segmap_set(const void *addr, size_t size, uint8_t kind);
WARD_INTERNAL bool ward_guard_block_info(ward_segment_t *seg, ward_page_t *page, uint8_t *block, size_t *uoff,
                                         size_t *end, uint32_t *stack);
WARD_INTERNAL void ward_guard_huge_visit(void (*add)(void *arg, uintptr_t lo, uintptr_t hi, uint32_t stack),
                                         void *arg);
#endif

/* Whether a decoded free-list link stays in its page (or ends the list). */
static inline bool ward_page_link_ok(const ward_page_t *page, const ward_block_t *next) {
    return next == NULL || (uintptr_t)next - (uintptr_t)ward_page_start(page) <
                               ((size_t)page->slice_count << WARD_SLICE_SHIFT);
}

/* The next block of a page's free list; guard builds check that it lies in
 * the page (a bad link is reported, and the rest of the list dropped). */
static inline ward_block_t *ward_page_pop_next(const ward_page_t *page, ward_block_t *block) {
    ward_block_t *next = ward_block_next(block);
#if WARD_GUARD
    if (unlikely(!ward_page_link_ok(page, next))) next = ward_guard_bad_link(page, block);
#else
    (void)page;
#endif
    return next;
}

/* ---- the fast paths ------------------------------------------------------------------ */

static inline void *ward_heap_malloc_inline(ward_heap_t *heap, size_t size) {
    if (likely(size <= WARD_DIRECT_MAX)) {
        ward_page_t *page = heap->direct[(size + WARD_ALIGNMENT - 1) / WARD_ALIGNMENT];
        ward_block_t *block = page->free;
        if (likely(block != NULL)) {
            page->free = ward_page_pop_next(page, block);
            page->used++;
            return block;
        }
    }
    return ward_heap_malloc_slow(heap, size, false);
}

static inline void ward_free_inline(void *p) {
    ward_segment_t *seg = ward_segment_of(p);
    if (likely((uintptr_t)p != (uintptr_t)seg)) {
        ward_page_t *page = ward_page_of(seg, p);
        ward_heap_t *heap = ward_tls_heap;
        if (likely(ward_segment_heap(seg) == heap && page_flags(page) == 0)) {
            ward_block_t *block = (ward_block_t *)p;
            ward_block_set_next(block, page->local_free);
            page->local_free = block;
            /* A page this leaves empty is given back a little later, so
             * that a thread that frees and then only waits keeps no pages
             * other threads could use; not the first of its bin (no page
             * before it in the queue), which malloc takes blocks from: a
             * loop that allocates and frees one block must not pay for it
             * each time. */
            if (unlikely(--page->used == 0) && page->prev != NULL) ward_heap_page_emptied(heap, page);
            return;
        }
    }
    ward_free_slow(p);
}

#endif
