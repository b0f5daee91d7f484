/* Segments: 4 MiB of address space, aligned to 4 MiB, cut into 64 slices of
 * 64 KiB. Slice 0 is the header; pages are runs of the other slices.
 *
 * Where segments come from: *regions* of up to 64 segments reserved from the
 * OS in one mapping (so a 10 GiB heap is ~40 mappings, far below the
 * kernel's vm.max_map_count). A region slot is used, free-dirty (released
 * recently, its memory still resident, `released_ms` in its header) or
 * free-clean (purged or never touched). New segments prefer dirty slots, so
 * memory just released is reused before it is purged; slots left dirty past
 * the purge delay are purged by ward_regions_purge.
 *
 * Inside a segment two bitmaps describe the slices: `free_slices` (not in any
 * page) and `clean_slices` (free and known zero). Finding a run of n free
 * slices is a handful of shifts and ands on one 64-bit word. Spans prefer
 * dirty slices for the same reason slots do.
 *
 * Locking: the region table and the abandoned list each have a mutex; both
 * are taken only on slow paths (a segment's worth of allocation, a thread
 * exit). A segment's bitmaps belong to its heap's thread, or to whoever
 * holds the abandoned lock while it is abandoned.
 */
#include "internal.h"

#define REGION_SEGMENTS 64
#define MAX_REGIONS 8192

typedef struct region_s {
    uint8_t *base;      /* NULL: slot unused */
    uint32_t count;     /* segments in the region */
    uint64_t used;      /* bit i: segment i is in use */
    uint64_t clean;     /* bit i: segment i is free and zero */
} region_t;

static pthread_mutex_t region_lock = PTHREAD_MUTEX_INITIALIZER;
static region_t regions[MAX_REGIONS];
static size_t region_count;
static _Atomic(uint64_t) regions_purge_due; /* earliest dirty slot deadline, 0: none */

static pthread_mutex_t abandoned_lock = PTHREAD_MUTEX_INITIALIZER;
static ward_segment_t *abandoned_head;
static ward_segment_t *abandoned_tail; /* searches move segments they leave here */
static _Atomic(size_t) abandoned_count;

static inline uint64_t region_all(const region_t *r) {
    return r->count >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << r->count) - 1);
}

static inline uint64_t run_mask(unsigned index, unsigned count) {
    uint64_t m = count >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << count) - 1);
    return m << index;
}

/* Bit i of the result is set when bits i .. i+n-1 of `bits` are all set. */
static inline uint64_t runs_of(uint64_t bits, unsigned n) {
    unsigned have = 1;
    while (have < n && bits != 0) {
        unsigned step = have < n - have ? have : n - have;
        bits &= bits >> step;
        have += step;
    }
    return bits;
}

static unsigned longest_run(uint64_t bits) {
    unsigned n = 0;
    while (bits) {
        bits &= bits >> 1;
        n++;
    }
    return n;
}

static void segment_update_run(ward_segment_t *seg) {
    seg->max_free_run = (uint8_t)longest_run(seg->free_slices & WARD_DATA_SLICES_MASK);
}

/* ---- heap segment lists --------------------------------------------------------- */

static void list_push(ward_segment_t **head, ward_segment_t *seg) {
    seg->prev = NULL;
    seg->next = *head;
    if (*head) (*head)->prev = seg;
    *head = seg;
}

static void list_remove(ward_segment_t **head, ward_segment_t *seg) {
    if (seg->prev) seg->prev->next = seg->next;
    else *head = seg->next;
    if (seg->next) seg->next->prev = seg->prev;
    seg->next = seg->prev = NULL;
}

/* ---- regions ------------------------------------------------------------------------ */

static region_t *region_reserve_locked(void) {
    size_t slot = region_count;
    for (size_t i = 0; i < region_count; i++) {
        if (regions[i].base == NULL) {
            slot = i;
            break;
        }
    }
    if (slot == MAX_REGIONS) return NULL;
    uint32_t count = REGION_SEGMENTS;
    uint8_t *base = os_reserve((size_t)count * WARD_SEGMENT_SIZE, WARD_SEGMENT_SIZE);
    if (base == NULL) {
        /* Address space is tight (ulimit -v): one segment at a time. */
        count = 1;
        base = os_reserve(WARD_SEGMENT_SIZE, WARD_SEGMENT_SIZE);
        if (base == NULL) return NULL;
    }
    region_t *r = &regions[slot];
    r->base = base;
    r->count = count;
    r->used = 0;
    r->clean = region_all(r);
    if (slot == region_count) region_count++;
#if WARD_GUARD
    ward_segmap_set(base, (size_t)count * WARD_SEGMENT_SIZE, 1);
    /* Guard pages: between each segment's header and its first page, and at
     * its end. They stay through purges and reuse. */
    for (uint32_t i = 0; i < count; i++) {
        uint8_t *seg = base + (size_t)i * WARD_SEGMENT_SIZE;
        os_protect(seg + WARD_SLICE_SIZE - WARD_GUARD_PAGE, WARD_GUARD_PAGE, false);
        os_protect(seg + WARD_SEGMENT_SIZE - WARD_GUARD_PAGE, WARD_GUARD_PAGE, false);
    }
#endif
    atomic_fetch_add_explicit(&ward_stats.reserved, (int64_t)count * (int64_t)WARD_SEGMENT_SIZE,
                              memory_order_relaxed);
    return r;
}

/* Takes a free slot, dirty first. Returns the segment; *clean says whether
 * its memory is known zero. */
static ward_segment_t *region_take_slot(bool *clean) {
    pthread_mutex_lock(&region_lock);
    region_t *pick = NULL;
    uint64_t pick_bits = 0;
    for (size_t i = 0; i < region_count; i++) {
        region_t *r = &regions[i];
        if (r->base == NULL) continue;
        uint64_t free_bits = ~r->used & region_all(r);
        if (free_bits == 0) continue;
        uint64_t dirty = free_bits & ~r->clean;
        if (dirty) {
            pick = r;
            pick_bits = dirty;
            break;
        }
        if (pick == NULL) {
            pick = r;
            pick_bits = free_bits;
        }
    }
    if (pick == NULL) {
        pick = region_reserve_locked();
        if (pick != NULL) pick_bits = region_all(pick);
    }
    ward_segment_t *seg = NULL;
    if (pick != NULL) {
        unsigned i = (unsigned)__builtin_ctzll(pick_bits);
        *clean = (pick->clean >> i) & 1;
        pick->used |= (uint64_t)1 << i;
        pick->clean &= ~((uint64_t)1 << i);
        seg = (ward_segment_t *)(pick->base + (size_t)i * WARD_SEGMENT_SIZE);
    }
    pthread_mutex_unlock(&region_lock);
    return seg;
}

static region_t *region_of_locked(const ward_segment_t *seg) {
    const uint8_t *p = (const uint8_t *)seg;
    for (size_t i = 0; i < region_count; i++) {
        region_t *r = &regions[i];
        if (r->base != NULL && p >= r->base && p < r->base + (size_t)r->count * WARD_SEGMENT_SIZE)
            return r;
    }
    return NULL;
}

static void purge_due_lower(_Atomic(uint64_t) *due, uint64_t when) {
    uint64_t cur = atomic_load_explicit(due, memory_order_relaxed);
    while ((cur == 0 || when < cur) &&
           !atomic_compare_exchange_weak_explicit(due, &cur, when, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

void ward_segment_release(ward_segment_t *seg) {
    uint64_t now = os_clock_ms();
    seg->released_ms = now;
    seg->magic = 0;
    pthread_mutex_lock(&region_lock);
    region_t *r = region_of_locked(seg);
    if (r != NULL) {
        unsigned i = (unsigned)(((uint8_t *)seg - r->base) / WARD_SEGMENT_SIZE);
        r->used &= ~((uint64_t)1 << i);
    }
    pthread_mutex_unlock(&region_lock);
    atomic_fetch_sub_explicit(&ward_stats.segments, 1, memory_order_relaxed);
    purge_due_lower(&regions_purge_due, now + ward_options.purge_delay_ms);
}

/* Calls visit on every segment in use (for the leak report at exit). */
void ward_segments_visit(void (*visit)(ward_segment_t *seg, void *arg), void *arg) {
    pthread_mutex_lock(&region_lock);
    for (size_t i = 0; i < region_count; i++) {
        region_t *r = &regions[i];
        if (r->base == NULL) continue;
        uint64_t used = r->used;
        while (used) {
            unsigned j = (unsigned)__builtin_ctzll(used);
            used &= used - 1;
            ward_segment_t *seg = (ward_segment_t *)(r->base + (size_t)j * WARD_SEGMENT_SIZE);
            if (seg->magic == WARD_SEGMENT_MAGIC) visit(seg, arg);
        }
    }
    pthread_mutex_unlock(&region_lock);
}

bool ward_regions_purge(uint64_t now, bool force) {
    uint64_t due = atomic_load_explicit(&regions_purge_due, memory_order_relaxed);
    if (!force && (due == 0 || now < due)) return false;
    if (force) pthread_mutex_lock(&region_lock);
    else if (pthread_mutex_trylock(&region_lock) != 0) return false;
    bool purged = false;
    uint64_t next_due = 0;
    for (size_t i = 0; i < region_count; i++) {
        region_t *r = &regions[i];
        if (r->base == NULL) continue;
        uint64_t dirty = ~r->used & ~r->clean & region_all(r);
        while (dirty) {
            unsigned j = (unsigned)__builtin_ctzll(dirty);
            dirty &= dirty - 1;
            ward_segment_t *seg = (ward_segment_t *)(r->base + (size_t)j * WARD_SEGMENT_SIZE);
            uint64_t deadline = seg->released_ms + ward_options.purge_delay_ms;
            if (force || now >= deadline) {
                uint64_t dirty_slices = ~seg->clean_slices & WARD_DATA_SLICES_MASK;
                atomic_fetch_sub_explicit(&ward_stats.committed,
                                          (int64_t)__builtin_popcountll(dirty_slices) << WARD_SLICE_SHIFT,
                                          memory_order_relaxed);
                os_purge(seg, WARD_SEGMENT_SIZE);
                r->clean |= (uint64_t)1 << j;
                atomic_fetch_add_explicit(&ward_stats.purges, 1, memory_order_relaxed);
                purged = true;
            } else if (next_due == 0 || deadline < next_due) {
                next_due = deadline;
            }
        }
    }
    atomic_store_explicit(&regions_purge_due, next_due, memory_order_relaxed);
    pthread_mutex_unlock(&region_lock);
    return purged;
}

void ward_segments_release_cached(void) {
    pthread_mutex_lock(&region_lock);
    for (size_t i = 0; i < region_count; i++) {
        region_t *r = &regions[i];
        if (r->base == NULL || r->used != 0) continue;
#if WARD_GUARD
        ward_segmap_set(r->base, (size_t)r->count * WARD_SEGMENT_SIZE, 0);
#endif
        os_release(r->base, (size_t)r->count * WARD_SEGMENT_SIZE);
        atomic_fetch_sub_explicit(&ward_stats.reserved,
                                  (int64_t)r->count * (int64_t)WARD_SEGMENT_SIZE,
                                  memory_order_relaxed);
        r->base = NULL;
    }
    pthread_mutex_unlock(&region_lock);
}

/* ---- segments ------------------------------------------------------------------------- */

static void segment_attach(ward_heap_t *heap, ward_segment_t *seg) {
    segment_update_run(seg);
    atomic_store_explicit(&seg->heap, heap, memory_order_release);
    seg->in_full_list = seg->free_slices == 0;
    list_push(seg->in_full_list ? &heap->segs_full : &heap->segs_avail, seg);
}

ward_segment_t *ward_segment_new(ward_heap_t *heap) {
    bool clean = false;
    ward_segment_t *seg = region_take_slot(&clean);
    if (seg == NULL) return NULL;
    seg->kind = SEGMENT_NORMAL;
    seg->abandoned = 0;
    seg->first_class = !heap->is_thread_heap;
    seg->free_slices = WARD_DATA_SLICES_MASK;
    /* A dirty slot's header still says which of its slices are zero: nothing
     * touched it since it was released. */
    if (clean) seg->clean_slices = WARD_DATA_SLICES_MASK;
    seg->clean_slices &= WARD_DATA_SLICES_MASK;
    /* Guard builds: large blocks of a destroyed heap may have left live bits. */
    atomic_store_explicit(&seg->large_live, 0, memory_order_relaxed);
    seg->purge_deadline_ms =
        seg->clean_slices == WARD_DATA_SLICES_MASK ? 0 : heap->now_ms + ward_options.purge_delay_ms;
    memset(&seg->pages[0], 0, sizeof seg->pages[0]);
    memset(seg->sparse_purged, 0, sizeof seg->sparse_purged);
    memset(seg->sparse_scan_used, 0, sizeof seg->sparse_scan_used);
    page_flags_set(&seg->pages[0], PAGE_INVALID);
    for (size_t i = 0; i < WARD_SLICES; i++) seg->slice_page[i] = &seg->pages[0];
    /* Last: a guard build's free of a stray pointer into this slot reads the
     * slice map only once the magic is there. */
    atomic_thread_fence(memory_order_release);
    seg->magic = WARD_SEGMENT_MAGIC;
    atomic_fetch_add_explicit(&ward_stats.segments, 1, memory_order_relaxed);
    segment_attach(heap, seg);
    return seg;
}

static bool segment_is_empty(const ward_segment_t *seg) {
    return (seg->free_slices & WARD_DATA_SLICES_MASK) == WARD_DATA_SLICES_MASK;
}

static int segment_find_run(const ward_segment_t *seg, unsigned n) {
    uint64_t dirty_runs = runs_of(seg->free_slices & ~seg->clean_slices, n);
    if (dirty_runs) return __builtin_ctzll(dirty_runs);
    uint64_t runs = runs_of(seg->free_slices, n);
    return runs ? __builtin_ctzll(runs) : -1;
}

static ward_page_t *segment_claim(ward_heap_t *heap, ward_segment_t *seg, unsigned index,
                                  unsigned count) {
    uint64_t mask = run_mask(index, count);
    ward_page_t *page = &seg->pages[index];
    page->slice_index = (uint8_t)index;
    page->slice_count = (uint8_t)count;
    page->mem_is_zero = (seg->clean_slices & mask) == mask;
    atomic_fetch_add_explicit(&ward_stats.committed,
                              (int64_t)__builtin_popcountll(seg->clean_slices & mask) << WARD_SLICE_SHIFT,
                              memory_order_relaxed);
    seg->free_slices &= ~mask;
    seg->clean_slices &= ~mask;
    for (unsigned i = index; i < index + count; i++) seg->slice_page[i] = page;
    segment_update_run(seg);
    if (seg->free_slices == 0) {
        list_remove(&heap->segs_avail, seg);
        list_push(&heap->segs_full, seg);
        seg->in_full_list = 1;
    }
    return page;
}

ward_page_t *ward_segment_find_span(ward_heap_t *heap, size_t slices) {
    /* Prefer a segment that already has pages over the spare empty one, so
     * the spare stays whole for large spans and can be purged as a unit. */
    ward_segment_t *empty = NULL;
    for (ward_segment_t *seg = heap->segs_avail; seg != NULL; seg = seg->next) {
        if (seg->max_free_run < slices) continue;
        if (segment_is_empty(seg) && slices < WARD_SLICES / 2) {
            if (empty == NULL) empty = seg;
            continue;
        }
        int index = segment_find_run(seg, (unsigned)slices);
        if (index >= 0) return segment_claim(heap, seg, (unsigned)index, (unsigned)slices);
    }
    if (empty != NULL) {
        int index = segment_find_run(empty, (unsigned)slices);
        if (index >= 0) return segment_claim(heap, empty, (unsigned)index, (unsigned)slices);
    }
    return NULL;
}

bool ward_segment_grow_span(ward_heap_t *heap, ward_page_t *page, size_t slices) {
    ward_segment_t *seg = ward_segment_of(page);
    unsigned index = page->slice_index, count = page->slice_count;
    if (slices <= count) return true;
    if (index + slices > WARD_SLICES) return false;
    uint64_t extra = run_mask(index + count, (unsigned)(slices - count));
    if ((seg->free_slices & extra) != extra) return false;
    atomic_fetch_add_explicit(&ward_stats.committed,
                              (int64_t)__builtin_popcountll(seg->clean_slices & extra) << WARD_SLICE_SHIFT,
                              memory_order_relaxed);
    seg->free_slices &= ~extra;
    seg->clean_slices &= ~extra;
    for (size_t i = index + count; i < index + slices; i++) seg->slice_page[i] = page;
    page->slice_count = (uint8_t)slices;
    segment_update_run(seg);
    if (seg->free_slices == 0) {
        list_remove(&heap->segs_avail, seg);
        list_push(&heap->segs_full, seg);
        seg->in_full_list = 1;
    }
    return true;
}

static void segment_purge_runs(ward_segment_t *seg, uint64_t dirty) {
    while (dirty) {
        unsigned start = (unsigned)__builtin_ctzll(dirty);
        uint64_t rest = dirty >> start;
        unsigned len = ~rest == 0 ? 64 - start : (unsigned)__builtin_ctzll(~rest);
        os_purge(ward_slice_address(seg, start), (size_t)len << WARD_SLICE_SHIFT);
        atomic_fetch_add_explicit(&ward_stats.purges, 1, memory_order_relaxed);
        atomic_fetch_sub_explicit(&ward_stats.committed, (int64_t)len << WARD_SLICE_SHIFT,
                                  memory_order_relaxed);
        dirty &= ~run_mask(start, len);
    }
}

void ward_segment_purge_dirty(ward_segment_t *seg, uint64_t now, bool force) {
    if (seg->purge_deadline_ms == 0 || (!force && now < seg->purge_deadline_ms)) return;
    uint64_t dirty = seg->free_slices & ~seg->clean_slices & WARD_DATA_SLICES_MASK;
    segment_purge_runs(seg, dirty);
    seg->clean_slices |= dirty;
    seg->purge_deadline_ms = 0;
}

/* Returns a page's slices to the segment's free bitmap. */
static void segment_unclaim(ward_segment_t *seg, ward_page_t *page, uint64_t now) {
    unsigned index = page->slice_index, count = page->slice_count;
    ward_page_forget_sparse(page);
#if WARD_GUARD
    ward_guard_check_page(page);
    if (page->bin == WARD_BIN_LARGE && index + count != WARD_SLICES)
        os_protect(ward_slice_address(seg, index + count) - WARD_GUARD_PAGE, WARD_GUARD_PAGE, true);
#endif
    for (unsigned i = index; i < index + count; i++) seg->slice_page[i] = &seg->pages[0];
    page_flags_set(page, PAGE_INVALID);
    page->free = page->local_free = NULL;
    seg->free_slices |= run_mask(index, count);
    segment_update_run(seg);
    if (seg->purge_deadline_ms == 0) seg->purge_deadline_ms = now + ward_options.purge_delay_ms;
}

void ward_segment_free_span(ward_heap_t *heap, ward_page_t *page) {
    ward_segment_t *seg = ward_segment_of(page);
    if (seg->free_slices == 0) {
        list_remove(&heap->segs_full, seg);
        list_push(&heap->segs_avail, seg);
        seg->in_full_list = 0;
    }
    segment_unclaim(seg, page, heap->now_ms);
    if (!segment_is_empty(seg)) return;
    /* Keep one empty segment per heap as a spare; give the rest back. */
    for (ward_segment_t *other = heap->segs_avail; other != NULL; other = other->next) {
        if (other != seg && segment_is_empty(other)) {
            list_remove(&heap->segs_avail, seg);
            ward_segment_release(seg);
            return;
        }
    }
}

/* ---- abandoned segments ------------------------------------------------------------------- */

static void abandoned_remove(ward_segment_t *seg) {
    if (abandoned_tail == seg) abandoned_tail = seg->prev;
    list_remove(&abandoned_head, seg);
}

static void abandoned_push_back(ward_segment_t *seg) {
    seg->next = NULL;
    seg->prev = abandoned_tail;
    if (abandoned_tail != NULL) abandoned_tail->next = seg;
    else abandoned_head = seg;
    abandoned_tail = seg;
}

void ward_segment_abandon(ward_segment_t *seg) {
    atomic_store_explicit(&seg->heap, NULL, memory_order_release);
    seg->next = seg->prev = NULL;
    pthread_mutex_lock(&abandoned_lock);
    seg->abandoned = 1;
    list_push(&abandoned_head, seg);
    if (abandoned_tail == NULL) abandoned_tail = seg;
    atomic_fetch_add_explicit(&abandoned_count, 1, memory_order_relaxed);
    pthread_mutex_unlock(&abandoned_lock);
}

static void abandoned_unlist(ward_segment_t *seg) {
    abandoned_remove(seg);
    seg->abandoned = 0;
    atomic_fetch_sub_explicit(&abandoned_count, 1, memory_order_relaxed);
}

ward_segment_t *ward_segment_take_abandoned(ward_segment_t *want) {
    if (atomic_load_explicit(&abandoned_count, memory_order_relaxed) == 0) return NULL;
    pthread_mutex_lock(&abandoned_lock);
    ward_segment_t *seg = want != NULL ? (want->abandoned ? want : NULL) : abandoned_head;
    if (seg != NULL) abandoned_unlist(seg);
    pthread_mutex_unlock(&abandoned_lock);
    return seg;
}

/* Collects what other threads freed into an abandoned segment and gives
 * the pages that became empty back to its free slices; true when the whole
 * segment is free. Nobody owns an abandoned segment: whoever holds
 * abandoned_lock may do this. */
static bool abandoned_collect(ward_segment_t *seg, uint64_t now) {
    ward_page_t *pages[WARD_SLICES];
    size_t count = ward_segment_pages(seg, pages);
    for (size_t k = 0; k < count; k++) {
        ward_page_t *page = pages[k];
        ward_page_collect(page);
        if (page->used == 0) {
            if (!ward_options.stats) ward_stats_account(NULL, -((int64_t)page->slice_count << WARD_SLICE_SHIFT));
            segment_unclaim(seg, page, now);
        }
    }
    return segment_is_empty(seg);
}

/* Whether an abandoned segment, collected, is worth adopting for a page of
 * `bin` (0: a span of `slices`): empty, or holding a page of the bin with
 * blocks to hand out, or half free. A segment that is mostly live blocks is
 * not: the thread that took it (say, one allocating a few blocks now and
 * then) would hold the memory that other threads free into it later, out of
 * reach of the threads that allocate. */
static bool abandoned_fits(ward_segment_t *seg, unsigned bin, unsigned slices) {
    if (__builtin_popcountll(seg->free_slices & WARD_DATA_SLICES_MASK) * 2 >=
            __builtin_popcountll(WARD_DATA_SLICES_MASK) &&
        seg->max_free_run >= slices)
        return true;
    if (bin == 0) return false;
    ward_page_t *pages[WARD_SLICES];
    size_t count = ward_segment_pages(seg, pages);
    for (size_t k = 0; k < count; k++)
        if (pages[k]->bin == bin &&
            (pages[k]->free != NULL || pages[k]->local_free != NULL || pages[k]->capacity < pages[k]->reserved))
            return true;
    return false;
}

/* Visits up to ABANDONED_VISITS abandoned segments (each at most once),
 * collecting each, and takes the first that fits (abandoned_fits); those it
 * leaves go to the back of the list, so the next search starts with others. */
#define ABANDONED_VISITS 8
ward_segment_t *ward_segment_take_abandoned_for(unsigned bin, unsigned slices, uint64_t now) {
    if (atomic_load_explicit(&abandoned_count, memory_order_relaxed) == 0) return NULL;
    pthread_mutex_lock(&abandoned_lock);
    ward_segment_t *found = NULL;
    size_t listed = atomic_load_explicit(&abandoned_count, memory_order_relaxed);
    for (unsigned visit = 0; visit < ABANDONED_VISITS && visit < listed && abandoned_head != NULL; visit++) {
        ward_segment_t *seg = abandoned_head;
        bool empty = abandoned_collect(seg, now);
        if (empty || abandoned_fits(seg, bin, slices)) {
            abandoned_unlist(seg);
            found = seg;
            break;
        }
        abandoned_remove(seg);
        abandoned_push_back(seg);
    }
    pthread_mutex_unlock(&abandoned_lock);
    return found;
}

/* Adopting heaps attach through this, after they took the segment. */
void ward_segment_adopt(ward_heap_t *heap, ward_segment_t *seg) {
    seg->next = seg->prev = NULL;
    segment_attach(heap, seg);
}

/* Collects what other threads freed into abandoned segments, frees the
 * pages that became empty, gives back segments that became empty, and purges
 * free slices past their deadline. Nobody owns an abandoned segment, so
 * whoever holds abandoned_lock may do all this. */
bool ward_abandoned_sweep(uint64_t now, bool force) {
    if (atomic_load_explicit(&abandoned_count, memory_order_relaxed) == 0) return false;
    if (force) pthread_mutex_lock(&abandoned_lock);
    else if (pthread_mutex_trylock(&abandoned_lock) != 0) return false;
    bool purged = false;
    ward_segment_t *next;
    for (ward_segment_t *seg = abandoned_head; seg != NULL; seg = next) {
        next = seg->next;
        if (abandoned_collect(seg, now)) {
            abandoned_unlist(seg);
            ward_segment_release(seg);
            continue;
        }
        if (seg->purge_deadline_ms != 0 && (force || now >= seg->purge_deadline_ms)) {
            ward_segment_purge_dirty(seg, now, true);
            purged = true;
        }
    }
    pthread_mutex_unlock(&abandoned_lock);
    return purged;
}

void ward_segment_lock_all(void) {
    pthread_mutex_lock(&region_lock);
    pthread_mutex_lock(&abandoned_lock);
}

void ward_segment_unlock_all(bool child) {
    if (child) {
        pthread_mutex_init(&region_lock, NULL);
        pthread_mutex_init(&abandoned_lock, NULL);
    } else {
        pthread_mutex_unlock(&abandoned_lock);
        pthread_mutex_unlock(&region_lock);
    }
}
