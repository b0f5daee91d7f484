/* Heaps: the pages a thread (or a first-class heap's user) allocates from.
 *
 * A heap keeps, per size class (bin), a queue of pages that may have free
 * blocks; the page at the front is the one allocation pops from, and
 * heap->direct maps every size up to WARD_DIRECT_MAX straight to the front
 * page of its bin so the fast path does no size-class computation. Pages
 * with nothing free move to heap->full, which the heap never scans: they come
 * back through the delayed-free handshake described in page.c.
 *
 * Everything rare happens on the slow path, which also does the periodic
 * chores (collecting remote frees, returning empty pages, purging memory
 * left unused past the purge delay). ward has no background thread, so
 * memory goes back to the OS on the allocation activity that follows.
 *
 * Thread heaps live as long as their thread; on exit a heap frees what it
 * can and abandons the segments that still hold live blocks, which other
 * heaps adopt (when they need memory, or when they free into them).
 * First-class heaps live until ward_heap_destroy. Heap structs come from a
 * pool and are never unmapped, so statistics may read any heap's counters.
 */
#include "internal.h"

#include <sched.h>

ward_page_t ward_empty_page;

ward_heap_t ward_empty_heap = {
    .direct = {[0 ... WARD_DIRECT_SLOTS - 1] = &ward_empty_page},
};

__thread ward_heap_t *ward_tls_heap __attribute__((tls_model("initial-exec"))) = &ward_empty_heap;
/* Set once the thread's heap was abandoned at exit: frees then stay remote
 * rather than making a new heap. */
__thread bool ward_thread_done __attribute__((tls_model("initial-exec")));

pthread_key_t ward_heap_key;

static pthread_mutex_t heaps_lock = PTHREAD_MUTEX_INITIALIZER;
static ward_heap_t *heap_pool;       /* heaps free for reuse */
static ward_heap_t *heaps_all;       /* every heap ever made */
static ward_heap_t first_heap;       /* so the first thread needs no mapping */
static bool first_heap_taken;
static uint8_t *heap_chunk;
static size_t heap_chunk_left;

#define HEAP_CHUNK_SIZE ((size_t)256 << 10)

/* ---- page queues ------------------------------------------------------------------ */

static void heap_update_direct(ward_heap_t *heap, unsigned bin) {
    size_t size = ward_bin_size(bin);
    if (size > WARD_DIRECT_MAX || ward_options.stats) return;
    ward_page_t *page = heap->bins[bin].first;
    if (page == NULL) page = &ward_empty_page;
    size_t lo = bin == 1 ? 0 : ward_bin_size(bin - 1) / WARD_ALIGNMENT + 1;
    for (size_t w = lo; w <= size / WARD_ALIGNMENT; w++) heap->direct[w] = page;
}

static void queue_remove(ward_page_queue_t *q, ward_page_t *page) {
    if (page->prev) page->prev->next = page->next;
    else q->first = page->next;
    if (page->next) page->next->prev = page->prev;
    else q->last = page->prev;
    page->next = page->prev = NULL;
}

static void queue_push_front(ward_page_queue_t *q, ward_page_t *page) {
    page->prev = NULL;
    page->next = q->first;
    if (q->first) q->first->prev = page;
    else q->last = page;
    q->first = page;
}

static void queue_push_back(ward_page_queue_t *q, ward_page_t *page) {
    page->next = NULL;
    page->prev = q->last;
    if (q->last) q->last->next = page;
    else q->first = page;
    q->last = page;
}

static ward_page_queue_t *page_queue(ward_heap_t *heap, const ward_page_t *page) {
    return (page_flags(page) & PAGE_FULL) ? &heap->full : &heap->bins[page->bin];
}

/* ---- statistics ----------------------------------------------------------------------- */

void ward_stats_account(ward_heap_t *heap, int64_t bytes) {
    if (heap != NULL && heap != &ward_empty_heap) {
        int64_t pending = atomic_load_explicit(&heap->counters.pending_bytes, memory_order_relaxed) + bytes;
        if (pending < ((int64_t)256 << 10) && pending > -((int64_t)256 << 10)) {
            atomic_store_explicit(&heap->counters.pending_bytes, pending, memory_order_relaxed);
            return;
        }
        atomic_store_explicit(&heap->counters.pending_bytes, 0, memory_order_relaxed);
        bytes = pending;
    }
    int64_t now = atomic_fetch_add_explicit(&ward_stats.in_use, bytes, memory_order_relaxed) + bytes;
    int64_t peak = atomic_load_explicit(&ward_stats.peak_in_use, memory_order_relaxed);
    while (now > peak && !atomic_compare_exchange_weak_explicit(&ward_stats.peak_in_use, &peak, now,
                                                                memory_order_relaxed, memory_order_relaxed)) {
    }
}

static void heap_counters_flush(ward_heap_t *heap) {
    ward_heap_counters_t *c = &heap->counters;
    for (unsigned b = 0; b < WARD_BIN_COUNT; b++) {
        uint64_t n = atomic_load_explicit(&c->allocs[b], memory_order_relaxed);
        if (n) atomic_fetch_add_explicit(&ward_stats.allocs[b], n, memory_order_relaxed);
        atomic_store_explicit(&c->allocs[b], 0, memory_order_relaxed);
    }
    atomic_fetch_add_explicit(&ward_stats.frees, atomic_load_explicit(&c->frees, memory_order_relaxed),
                              memory_order_relaxed);
    atomic_store_explicit(&c->frees, 0, memory_order_relaxed);
    int64_t pending = atomic_load_explicit(&c->pending_bytes, memory_order_relaxed);
    atomic_store_explicit(&c->pending_bytes, 0, memory_order_relaxed);
    if (pending) ward_stats_account(NULL, pending);
}

void ward_heap_stats_add(uint64_t *allocs, uint64_t *frees, int64_t *pending) {
    pthread_mutex_lock(&heaps_lock);
    for (ward_heap_t *h = heaps_all; h != NULL; h = h->all_next) {
        if (allocs != NULL)
            for (unsigned b = 0; b < WARD_BIN_COUNT; b++)
                allocs[b] += atomic_load_explicit(&h->counters.allocs[b], memory_order_relaxed);
        if (frees != NULL) *frees += atomic_load_explicit(&h->counters.frees, memory_order_relaxed);
        if (pending != NULL) *pending += atomic_load_explicit(&h->counters.pending_bytes, memory_order_relaxed);
    }
    pthread_mutex_unlock(&heaps_lock);
}

/* Fast mode counts memory in use a page at a time; WARD_STATS=1 counts blocks. */
static inline void account_page(ward_heap_t *heap, const ward_page_t *page, int sign) {
    if (!ward_options.stats)
        ward_stats_account(NULL, sign * ((int64_t)page->slice_count << WARD_SLICE_SHIFT));
    (void)heap;
}

static inline void account_alloc(ward_heap_t *heap, unsigned bin, size_t bytes) {
    if (ward_options.stats) {
        ward_counter_add(&heap->counters.allocs[bin], 1);
        ward_stats_account(heap, (int64_t)bytes);
    }
}

static inline void account_free(ward_heap_t *heap, size_t bytes) {
    if (ward_options.stats) {
        if (heap != &ward_empty_heap) ward_counter_add(&heap->counters.frees, 1);
        else atomic_fetch_add_explicit(&ward_stats.frees, 1, memory_order_relaxed);
        ward_stats_account(heap, -(int64_t)bytes);
    }
}

/* ---- pages in and out of a heap --------------------------------------------------------- */

/* The emptied pages a heap keeps (ward_heap_page_emptied) are only pages
 * it holds: one it frees leaves the ring. */
static void emptied_forget(ward_heap_t *heap, const ward_page_t *page) {
    for (unsigned i = 0; i < WARD_EMPTIED_PAGES; i++)
        if (heap->emptied[i] == page) heap->emptied[i] = NULL;
}

static void page_free(ward_heap_t *heap, ward_page_t *page) {
    emptied_forget(heap, page);
    ward_page_queue_t *q = page_queue(heap, page);
    bool was_first = q->first == page;
    queue_remove(q, page);
    if (was_first && !(page_flags(page) & PAGE_FULL)) heap_update_direct(heap, page->bin);
    account_page(heap, page, -1);
    ward_segment_free_span(heap, page);
}

static void page_to_full(ward_heap_t *heap, ward_page_t *page) {
    ward_page_queue_t *q = &heap->bins[page->bin];
    bool was_first = q->first == page;
    queue_remove(q, page);
    if (was_first) heap_update_direct(heap, page->bin);
    page_flags_set(page, (uint8_t)(page_flags(page) | PAGE_FULL));
    queue_push_back(&heap->full, page);
}

static void page_from_full(ward_heap_t *heap, ward_page_t *page) {
    queue_remove(&heap->full, page);
    page_flags_set(page, (uint8_t)(page_flags(page) & ~PAGE_FULL));
    ward_page_set_delay(page, DELAY_NONE, false);
    ward_page_queue_t *q = &heap->bins[page->bin];
    bool was_empty = q->first == NULL;
    queue_push_back(q, page);
    if (was_empty) heap_update_direct(heap, page->bin);
}

void ward_page_retire(ward_heap_t *heap, ward_page_t *page) {
    /* The only page of its bin stays, so a loop that allocates and frees
     * one block does not create and free a page each time. */
    ward_page_queue_t *q = &heap->bins[page->bin];
    if (q->first == page && page->next == NULL) return;
    page_free(heap, page);
}

/* free's fast path left `page` empty, and it is not the first of its bin.
 * Given back at once, a page that the thread would soon fill again (blocks
 * of a size it keeps allocating and freeing) is claimed and carved anew
 * each time (larson: 12 times as many carvings, 8 % slower); left to the
 * heap's collection, which runs when the thread allocates, it stays out of
 * other threads' reach for as long as the thread only frees and waits. So
 * it waits in a ring of the last WARD_EMPTIED_PAGES pages emptied, and the
 * one it pushes out is given back if it is still empty and still not first
 * (a page given back leaves the ring: emptied_forget). */
void ward_heap_page_emptied(ward_heap_t *heap, ward_page_t *page) {
    /* When every page of its segment is empty, they all go at once: the
     * whole segment is then free for any thread (a thread that frees in no
     * particular order and then waits would otherwise hold a segment for
     * most of the ring's pages). */
    ward_segment_t *seg = ward_segment_of(page);
    ward_page_t *pages[WARD_SLICES];
    size_t count = ward_segment_pages(seg, pages), k = 0;
    while (k < count && pages[k]->used == 0 && page_flags(pages[k]) == 0) k++;
    if (k == count) {
        for (k = 0; k < count; k++) page_free(heap, pages[k]);
        return;
    }
    emptied_forget(heap, page); /* emptied before: it waits from now on */
    uint32_t i = heap->emptied_next;
    ward_page_t *oldest = heap->emptied[i];
    heap->emptied[i] = page;
    heap->emptied_next = (i + 1) % WARD_EMPTIED_PAGES;
    if (oldest == NULL || oldest->used != 0 || page_flags(oldest) != 0 || oldest->prev == NULL)
        return;
    page_free(heap, oldest);
}

static void heap_free_local_block(ward_heap_t *heap, ward_page_t *page, ward_block_t *block) {
    ward_block_set_next(block, page->local_free);
    page->local_free = block;
    page->used--;
    if (page_flags(page) & PAGE_FULL) {
        if (page->bin == WARD_BIN_LARGE) {
            page_free(heap, page);
            return;
        }
        page_from_full(heap, page);
    }
    if (page->used == 0) ward_page_retire(heap, page);
}

/* Frees the blocks other threads handed over from full pages. A block whose
 * page is still DELAY_FREEING waits for the next round: the handing thread
 * has yet to write the page's state back, so the page must stay as it is. */
static void heap_free_delayed(ward_heap_t *heap) {
    if (atomic_load_explicit(&heap->delayed_free, memory_order_relaxed) == NULL) return;
    ward_block_t *block = atomic_exchange_explicit(&heap->delayed_free, NULL, memory_order_acquire);
    ward_block_t *retry = NULL, *retry_tail = NULL;
    while (block != NULL) {
        ward_block_t *next = ward_block_next(block);
        ward_page_t *page = ward_page_of(ward_segment_of(block), block);
        uintptr_t state = atomic_load_explicit(&page->thread_free, memory_order_acquire) & DELAY_MASK;
        if (state == DELAY_FREEING) {
            ward_block_set_next(block, retry);
            retry = block;
            if (retry_tail == NULL) retry_tail = block;
        } else {
            heap_free_local_block(heap, page, block);
        }
        block = next;
    }
    if (retry != NULL) {
        ward_block_t *head = atomic_load_explicit(&heap->delayed_free, memory_order_relaxed);
        do {
            ward_block_set_next(retry_tail, head);
        } while (!atomic_compare_exchange_weak_explicit(&heap->delayed_free, &head, retry,
                                                        memory_order_release, memory_order_relaxed));
    }
}

/* Puts the pages of a segment that was abandoned by its heap into ours. */
static void heap_adopt(ward_heap_t *heap, ward_segment_t *seg) {
    ward_page_t *pages[WARD_SLICES];
    ward_segment_adopt(heap, seg);
    size_t count = ward_segment_pages(seg, pages);
    for (size_t k = 0; k < count; k++) {
        ward_page_t *page = pages[k];
        ward_page_set_delay(page, DELAY_NONE, true);
        /* What the page is (an arena or pool chunk, with inner-offset
         * blocks) stays; how this heap counts (PAGE_SLOW) is the adopter's. */
        page_flags_set(page, (uint8_t)((page_flags(page) & (PAGE_ALIGNED | PAGE_OWNED)) | heap->page_flags));
        page->next = page->prev = NULL;
        ward_page_collect(page);
        if (page->used == 0) {
            account_page(heap, page, -1);
            ward_segment_free_span(heap, page);
            continue;
        }
        if (page->free == NULL && page->bin != WARD_BIN_LARGE) ward_page_extend(page); /* revives sparse blocks */
        bool has_free = page->free != NULL || page->capacity < page->reserved;
        if (!has_free && page->bin != WARD_BIN_LARGE) {
            ward_page_set_delay(page, DELAY_USE, false);
            ward_page_collect(page);
            has_free = page->free != NULL;
        }
        if (has_free) {
            ward_page_queue_t *q = &heap->bins[page->bin];
            bool was_empty = q->first == NULL;
            queue_push_back(q, page);
            if (was_empty) heap_update_direct(heap, page->bin);
        } else {
            ward_page_set_delay(page, DELAY_USE, false);
            page_flags_set(page, (uint8_t)(page_flags(page) | PAGE_FULL));
            queue_push_back(&heap->full, page);
        }
    }
}

static ward_page_t *heap_span_alloc(ward_heap_t *heap, size_t slices) {
    ward_page_t *page = ward_segment_find_span(heap, slices);
    if (page != NULL) return page;
    ward_segment_t *seg;
    /* Only thread heaps adopt: a first-class heap's destroy would free the
     * adopted segment's live blocks with it. */
    while (heap->is_thread_heap && (seg = ward_segment_take_abandoned_for(0, (unsigned)slices, heap->now_ms)) != NULL) {
        heap_adopt(heap, seg);
        page = ward_segment_find_span(heap, slices);
        if (page != NULL) return page;
    }
    if (ward_segment_new(heap) == NULL) {
        /* Out of address space: free this heap's empty pages (free does not
         * retire them), give back what the caches hold, and retry. */
        ward_heap_collect(heap, true, true);
        page = ward_segment_find_span(heap, slices);
        if (page != NULL) return page;
        ward_huge_cache_release();
        ward_segments_release_cached();
        if (ward_segment_new(heap) == NULL) return NULL;
    }
    return ward_segment_find_span(heap, slices);
}

/* Slices of a fresh page of the bin. */
static inline unsigned bin_page_slices(unsigned bin) {
    return bin <= WARD_BIN_SMALL_LAST ? 1 : WARD_MEDIUM_PAGE_SLICES;
}

static ward_page_t *page_fresh(ward_heap_t *heap, unsigned bin) {
    ward_page_t *page = heap_span_alloc(heap, bin_page_slices(bin));
    if (page == NULL) return NULL;
    ward_page_init(page, bin, ward_bin_size(bin), heap->page_flags);
    ward_page_extend(page);
    queue_push_front(&heap->bins[bin], page);
    heap_update_direct(heap, bin);
    account_page(heap, page, +1);
    return page;
}

/* The first page of the queue that can allocate after collecting its frees
 * (moved to the front), or NULL; pages with nothing free go to the full list. */
static ward_page_t *queue_find_page(ward_heap_t *heap, unsigned bin) {
    ward_page_queue_t *q = &heap->bins[bin];
    ward_page_t *next;
    for (ward_page_t *page = q->first; page != NULL; page = next) {
        next = page->next;
        ward_page_collect(page);
        if (page->free == NULL) ward_page_extend(page);
        if (page->free == NULL) {
            ward_page_set_delay(page, DELAY_USE, false);
            ward_page_collect(page);
            if (page->free == NULL) {
                page_to_full(heap, page);
                continue;
            }
        }
        if (q->first != page) {
            queue_remove(q, page);
            queue_push_front(q, page);
            heap_update_direct(heap, bin);
        }
        return page;
    }
    return NULL;
}

/* The front page of the bin if it can allocate, else the first page that
 * can after collecting its frees, else a page of an abandoned segment (a
 * thread heap adopts those with room for the bin, or mostly free, one at a
 * time until the bin has room), else a fresh one. */
static ward_page_t *heap_find_page(ward_heap_t *heap, unsigned bin) {
    ward_page_t *page = queue_find_page(heap, bin);
    if (page != NULL) return page;
    ward_segment_t *seg;
    while (heap->is_thread_heap &&
           (seg = ward_segment_take_abandoned_for(bin, bin_page_slices(bin), heap->now_ms)) != NULL) {
        heap_adopt(heap, seg);
        page = queue_find_page(heap, bin);
        if (page != NULL) return page;
    }
    return page_fresh(heap, bin);
}

/* Frees the heap's empty pages (and with `force` looks at full pages too),
 * then purges dirty free slices past their deadline (all of them with
 * `purge_now`). */
void ward_heap_collect(ward_heap_t *heap, bool force, bool purge_now) {
    heap_free_delayed(heap);
    for (unsigned bin = 1; bin <= WARD_BIN_MEDIUM_LAST; bin++) {
        ward_page_t *next;
        for (ward_page_t *page = heap->bins[bin].first; page != NULL; page = next) {
            next = page->next;
            ward_page_collect(page);
            if (page->used == 0) page_free(heap, page);
            else if (bin <= WARD_BIN_SMALL_LAST) ward_page_purge_sparse(page);
        }
    }
    if (force) {
        ward_page_t *next;
        for (ward_page_t *page = heap->full.first; page != NULL; page = next) {
            next = page->next;
            ward_page_collect(page);
            if (page->used == 0) page_free(heap, page);
        }
    }
    for (ward_segment_t *seg = heap->segs_avail; seg != NULL; seg = seg->next)
        ward_segment_purge_dirty(seg, heap->now_ms, purge_now);
}

/* Periodic chores, on the slow path only. */
static void heap_tick(ward_heap_t *heap) {
    heap_free_delayed(heap);
    uint64_t now = os_clock_ms();
    heap->now_ms = now;
    if (now < heap->next_maintenance_ms) return;
    uint64_t interval = ward_options.purge_delay_ms / 2;
    heap->next_maintenance_ms = now + (interval ? interval : 1);
    ward_heap_collect(heap, false, false);
    ward_purge_global(now, false);
}

/* At most what the fast path hands out from this page before the slow path
 * runs again: the carved blocks not in use (the free list, plus owner frees
 * that wait on the local list). O(1), so sampling costs no walk; the bound
 * makes samples a little more frequent than one in N, never rarer. */
static inline int64_t page_free_bound(const ward_page_t *page) {
    return (int64_t)page->capacity - (int64_t)page->used;
}

/* Allocations until the next sample: about ward_options.sample, at random;
 * INT64_MAX (never) when sampling is off or for first-class heaps, whose
 * destroy would leave sampled blocks behind. */
int64_t ward_heap_sample_interval(ward_heap_t *heap) {
    if (ward_options.sample == 0 || !heap->is_thread_heap) return INT64_MAX;
    uint64_t r = heap->random ^ (heap->random << 13);
    heap->random = r ^ (r >> 7) ^ (r << 17);
    return (int64_t)(ward_options.sample / 2 + heap->random % (ward_options.sample + 1));
}

/* One allocation in about ward_options.sample goes to a guarded slot. The
 * countdown is lowered on the slow path, also by the blocks the fast path
 * will hand out before it comes back, so the fast path does no counting. */
static WARD_NOINLINE WARD_COLD void *heap_sample(ward_heap_t *heap, size_t size, bool zero) {
    heap->sample_countdown = ward_heap_sample_interval(heap);
    return ward_sample_alloc(size, zero);
}

/* ---- allocation ----------------------------------------------------------------------------- */

static void *heap_malloc_large(ward_heap_t *heap, size_t size, size_t align, bool zero) {
    if (size > WARD_LARGE_MAX || align > WARD_SLICE_SIZE)
        return ward_huge_alloc(heap->is_thread_heap ? NULL : heap, size, align, zero);
    heap_tick(heap);
    size_t slices = (size + WARD_GUARD_PAGE + WARD_SLICE_SIZE - 1) >> WARD_SLICE_SHIFT;
    ward_page_t *page = heap_span_alloc(heap, slices);
    if (page == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    size_t usable = ward_page_span_bytes(page->slice_index, (unsigned)slices, true);
    ward_page_init(page, WARD_BIN_LARGE, usable, (uint8_t)(heap->page_flags | PAGE_FULL));
#if WARD_GUARD
    /* The segment's own guard page ends the last slice. */
    if (page->slice_index + slices != WARD_SLICES) os_protect(ward_page_start(page) + usable, WARD_GUARD_PAGE, false);
#endif
    page->capacity = 1;
    page->used = 1;
    ward_page_set_delay(page, DELAY_USE, false);
    queue_push_back(&heap->full, page);
    account_page(heap, page, +1);
    account_alloc(heap, WARD_BIN_LARGE, page->block_size);
    if (zero && !page->mem_is_zero) memset(ward_page_start(page), 0, size);
    return ward_page_start(page);
}

static void *heap_malloc_bin(ward_heap_t *heap, size_t size, bool zero, bool may_sample);

void *ward_heap_malloc_slow(ward_heap_t *heap, size_t size, bool zero) {
    return heap_malloc_bin(heap, size, zero, true);
}

/* The slow path of malloc; `may_sample` is false for the inner allocations
 * of aligned requests (a sampled slot keeps only 16-byte alignment). */
static void *heap_malloc_bin(ward_heap_t *heap, size_t size, bool zero, bool may_sample) {
    if (unlikely(heap == &ward_empty_heap)) {
        heap = ward_heap_for_thread();
        if (heap == NULL) {
            errno = ENOMEM;
            return NULL;
        }
    }
    if (size > WARD_MEDIUM_MAX) return heap_malloc_large(heap, size, 0, zero);
    unsigned bin = ward_bin_of(size);
    ward_page_t *page = heap->bins[bin].first;
    if (page == NULL || page->free == NULL) {
        heap_tick(heap);
        if (!WARD_GUARD && may_sample && unlikely(--heap->sample_countdown <= 0)) {
            void *p = heap_sample(heap, size, zero);
            if (p != NULL) return p;
        }
        page = heap_find_page(heap, bin);
        if (page == NULL) {
            errno = ENOMEM;
            return NULL;
        }
        /* The fast path will hand out the rest of this free list (guard
         * builds count every allocation instead). */
        if (!WARD_GUARD) heap->sample_countdown -= page_free_bound(page);
    } else if (!WARD_GUARD && may_sample && unlikely(--heap->sample_countdown <= 0)) {
        void *p = heap_sample(heap, size, zero);
        if (p != NULL) return p;
    }
    ward_block_t *block = page->free;
    page->free = ward_page_pop_next(page, block);
    page->used++;
    account_alloc(heap, bin, page->block_size);
    if (zero) {
        if (page->free_is_zero) block->next = NULL;
        else memset(block, 0, size);
    }
    return block;
}

void *ward_heap_alloc_aligned(ward_heap_t *heap, size_t size, size_t align, bool zero) {
    if (unlikely(heap == &ward_empty_heap)) {
        heap = ward_heap_for_thread();
        if (heap == NULL) {
            errno = ENOMEM;
            return NULL;
        }
    }
    if (size > WARD_MAX_REQUEST || align > WARD_MAX_REQUEST / 2) {
        errno = ENOMEM;
        return NULL;
    }
    if (align <= WARD_ALIGNMENT) return heap_malloc_bin(heap, size, zero, true);
    /* Blocks of a class whose size is a multiple of align are all aligned:
     * pages start on slice boundaries. */
    if (size <= WARD_MEDIUM_MAX && align <= WARD_SLICE_SIZE && ward_bin_size(ward_bin_of(size)) % align == 0)
        return heap_malloc_bin(heap, size, zero, false);
    if (size > WARD_MEDIUM_MAX && align <= WARD_SLICE_SIZE) return heap_malloc_large(heap, size, align, zero);
    size_t padded = size + align - 1;
    if (padded > WARD_LARGE_MAX || align > WARD_SLICE_SIZE)
        return ward_huge_alloc(heap->is_thread_heap ? NULL : heap, size, align, zero);
    uint8_t *p = padded > WARD_MEDIUM_MAX ? heap_malloc_large(heap, padded, 0, zero)
                                          : heap_malloc_bin(heap, padded, zero, false);
    if (p == NULL) return NULL;
    uint8_t *aligned = (uint8_t *)ward_align_up((uintptr_t)p, align);
    if (aligned != p) {
        ward_segment_t *seg = ward_segment_of(p);
        ward_page_t *page = ward_page_of(seg, p);
        page_flags_set(page, (uint8_t)(page_flags(page) | PAGE_ALIGNED));
    }
    return aligned;
}

/* ---- free ---------------------------------------------------------------------------------------- */

static void free_block(void *p, bool chunk) {
    if (p == NULL) return;
    ward_segment_t *seg = ward_segment_of(p);
    if (unlikely(ward_sample_owns(p))) {
        ward_sample_free(p);
        return;
    }
    if ((uintptr_t)p == (uintptr_t)seg) {
        ward_segment_t *huge = ward_huge_header_of_aligned(p);
        if (huge == NULL) {
            ward_report_error("invalid free", p, "not a block ward handed out");
            return;
        }
        ward_huge_free(huge);
        return;
    }
    if (seg->kind == SEGMENT_HUGE) {
        if ((uint8_t *)p != seg->huge_user) {
            ward_report_error("invalid free", p, "pointer inside a block, not its start");
            return;
        }
        if (seg->huge_owned && !chunk) {
            ward_report_error("invalid free", p, "memory of an arena or pool, not a malloc block");
            return;
        }
        ward_huge_free(seg);
        return;
    }
    ward_page_t *page = ward_page_of(seg, p);
    uint8_t flags = page_flags(page);
    if (unlikely(flags & (PAGE_INVALID | PAGE_OWNED))) {
        if (flags & PAGE_INVALID) {
            ward_report_error("invalid free", p, "not a live block ward handed out");
            return;
        }
        if (!chunk) {
            ward_report_error("invalid free", p, "memory of an arena or pool, not a malloc block");
            return;
        }
    }
    ward_block_t *block = (flags & PAGE_ALIGNED) ? ward_page_block_start(page, p) : (ward_block_t *)p;
    ward_heap_t *heap = ward_tls_heap;
    ward_heap_t *owner = ward_segment_heap(seg);
    account_free(heap, page->block_size);
    if (owner == heap) {
        heap_free_local_block(heap, page, block);
        return;
    }
    /* Other heaps' blocks, and blocks of abandoned segments, go onto their
     * page's thread_free list. Adopting an abandoned segment here instead
     * would strand it in a thread that may never allocate again (and so
     * never collect what others free into it); abandoned segments are swept
     * by ward_abandoned_sweep and adopted by heaps that need memory. */
    ward_page_free_remote(seg, page, block);
}

void ward_free_slow(void *p) {
    free_block(p, false);
}

void *ward_chunk_alloc(size_t size, size_t *usable) {
    ward_heap_t *heap = ward_tls_heap;
    if (heap == &ward_empty_heap) {
        heap = ward_heap_for_thread();
        if (heap == NULL) {
            errno = ENOMEM;
            return NULL;
        }
    }
    if (size > WARD_LARGE_MAX) {
        uint8_t *p = ward_huge_alloc(NULL, size, 0, false);
        if (p == NULL) return NULL;
        ward_segment_t *seg = ward_segment_of(p);
        seg->huge_owned = 1;
        *usable = seg->huge_usable;
        return p;
    }
    uint8_t *p = heap_malloc_large(heap, size < WARD_SLICE_SIZE ? WARD_SLICE_SIZE : size, 0, false);
    if (p == NULL) return NULL;
    ward_page_t *page = ward_page_of(ward_segment_of(p), p);
    page_flags_set(page, (uint8_t)(page_flags(page) | PAGE_OWNED));
    *usable = page->block_size;
    return p;
}

void ward_chunk_free(void *chunk) {
    free_block(chunk, true);
}

/* Whether p is the start of a live block that free and realloc accept. */
bool ward_block_is_malloc(const void *p) {
    ward_segment_t *seg = ward_segment_of(p);
    if (ward_sample_owns(p)) {
        size_t size;
        return ward_sample_lookup(p, &size) == WARD_SAMPLE_LIVE;
    }
    if ((uintptr_t)p == (uintptr_t)seg) return ward_huge_header_of_aligned(p) != NULL;
    if (seg->kind == SEGMENT_HUGE) return (const uint8_t *)p == seg->huge_user && !seg->huge_owned;
    return !(page_flags(ward_page_of(seg, p)) & (PAGE_INVALID | PAGE_OWNED));
}

size_t ward_block_usable(const void *p) {
    if (p == NULL) return 0;
    ward_segment_t *seg = ward_segment_of(p);
    if (ward_sample_owns(p)) return ward_sample_usable(p);
    if ((uintptr_t)p == (uintptr_t)seg) {
        ward_segment_t *huge = ward_huge_header_of_aligned(p);
        return huge ? huge->huge_usable : 0;
    }
    if (seg->kind == SEGMENT_HUGE) return seg->huge_usable - (size_t)((const uint8_t *)p - seg->huge_user);
    ward_page_t *page = ward_page_of(seg, p);
    if (page_flags(page) & PAGE_INVALID) return 0;
    if (page_flags(page) & PAGE_ALIGNED) {
        const uint8_t *block = (const uint8_t *)ward_page_block_start(page, p);
        return page->block_size - (size_t)((const uint8_t *)p - block);
    }
    return page->block_size;
}

/* Takes every abandoned segment into the calling thread's heap (so that
 * blocks freed after their thread exited become reusable and purgeable). */
void ward_heap_adopt_abandoned(ward_heap_t *heap) {
    if (heap == NULL || heap == &ward_empty_heap || !heap->is_thread_heap) return;
    ward_segment_t *seg;
    while ((seg = ward_segment_take_abandoned(NULL)) != NULL) heap_adopt(heap, seg);
}

/* A large block at the start of its page grows into the free slices after
 * it, when the calling heap owns them. */
bool ward_heap_grow_in_place(ward_heap_t *heap, void *p, size_t size) {
    ward_segment_t *seg = ward_segment_of(p);
    if ((uintptr_t)p == (uintptr_t)seg || seg->kind != SEGMENT_NORMAL || ward_segment_heap(seg) != heap ||
        size > WARD_LARGE_MAX)
        return false;
    ward_page_t *page = ward_page_of(seg, p);
    if (page->bin != WARD_BIN_LARGE || (uint8_t *)p != ward_page_start(page) || (page_flags(page) & PAGE_ALIGNED))
        return false;
    size_t slices = (size + WARD_SLICE_SIZE - 1) >> WARD_SLICE_SHIFT;
    size_t old_slices = page->slice_count;
    if (!ward_segment_grow_span(heap, page, slices)) return false;
    if (ward_options.stats) ward_stats_account(heap, (int64_t)((slices - old_slices) << WARD_SLICE_SHIFT));
    else ward_stats_account(NULL, (int64_t)((slices - old_slices) << WARD_SLICE_SHIFT));
    page->block_size = (uint32_t)(slices << WARD_SLICE_SHIFT);
    return true;
}

/* ---- heap lifetime ---------------------------------------------------------------------------------- */

static ward_heap_t *heap_take(void) {
    pthread_mutex_lock(&heaps_lock);
    ward_heap_t *heap = heap_pool;
    bool fresh = false;
    if (heap != NULL) {
        heap_pool = heap->pool_next;
    } else if (!first_heap_taken) {
        first_heap_taken = true;
        heap = &first_heap;
        fresh = true;
    } else {
        size_t need = ward_align_up(sizeof(ward_heap_t), 64);
        if (heap_chunk_left < need) {
            heap_chunk = os_reserve(HEAP_CHUNK_SIZE, os_page_size());
            heap_chunk_left = heap_chunk ? HEAP_CHUNK_SIZE : 0;
        }
        if (heap_chunk_left >= need) {
            heap = (ward_heap_t *)heap_chunk;
            heap_chunk += need;
            heap_chunk_left -= need;
            fresh = true;
        }
    }
    if (fresh) {
        /* Once per struct, under heaps_lock: fork_prepare locks every heap's
         * huge_lock, so it must never be re-initialised while in the list. */
        pthread_mutex_init(&heap->huge_lock, NULL);
        heap->all_next = heaps_all;
        heaps_all = heap;
    }
    if (heap != NULL) heap->in_use = 1;
    pthread_mutex_unlock(&heaps_lock);
    return heap;
}

static void heap_put(ward_heap_t *heap) {
    pthread_mutex_lock(&heaps_lock);
    heap->in_use = 0;
    heap->pool_next = heap_pool;
    heap_pool = heap;
    pthread_mutex_unlock(&heaps_lock);
}

static void heap_init(ward_heap_t *heap, bool thread_heap) {
    for (size_t i = 0; i < WARD_DIRECT_SLOTS; i++) heap->direct[i] = &ward_empty_page;
    memset(heap->bins, 0, sizeof heap->bins);
    heap->full.first = heap->full.last = NULL;
    atomic_store_explicit(&heap->delayed_free, NULL, memory_order_relaxed);
    heap->segs_avail = heap->segs_full = NULL;
    memset(heap->emptied, 0, sizeof heap->emptied);
    heap->emptied_next = 0;
    heap->now_ms = os_clock_ms();
    heap->next_maintenance_ms = heap->now_ms + ward_options.purge_delay_ms / 2;
    heap->slow_calls = 0;
    heap->page_flags = ward_options.stats ? PAGE_SLOW : 0;
    heap->is_thread_heap = thread_heap;
    heap->huge_list = NULL;
    heap->random = os_random_seed() | 1;
    heap->sample_countdown = ward_heap_sample_interval(heap);
}

ward_heap_t *ward_heap_for_thread(void) {
    ward_init();
    ward_heap_t *heap = ward_tls_heap;
    if (heap != &ward_empty_heap) return heap;
    heap = heap_take();
    if (heap == NULL) return NULL;
    heap_init(heap, true);
    ward_tls_heap = heap;
    /* After ward_tls_heap is set: pthread_setspecific may allocate. */
    pthread_setspecific(ward_heap_key, heap);
    return heap;
}

/* Frees what the heap can free and hands the segments still holding live
 * blocks to the abandoned list. */
static void heap_abandon(ward_heap_t *heap) {
    for (unsigned bin = 1; bin <= WARD_BIN_MEDIUM_LAST; bin++)
        for (ward_page_t *page = heap->bins[bin].first; page != NULL; page = page->next)
            ward_page_set_delay(page, DELAY_NEVER, true);
    for (ward_page_t *page = heap->full.first; page != NULL; page = page->next)
        ward_page_set_delay(page, DELAY_NEVER, true);
    /* No thread can hand us blocks any more; take the last ones. */
    heap->now_ms = os_clock_ms();
    ward_heap_collect(heap, true, false);
    ward_segment_t *next;
    for (ward_segment_t *seg = heap->segs_avail; seg != NULL; seg = next) {
        next = seg->next;
        if ((seg->free_slices & WARD_DATA_SLICES_MASK) == WARD_DATA_SLICES_MASK) ward_segment_release(seg);
        else ward_segment_abandon(seg);
    }
    for (ward_segment_t *seg = heap->segs_full; seg != NULL; seg = next) {
        next = seg->next;
        ward_segment_abandon(seg);
    }
    heap->segs_avail = heap->segs_full = NULL;
    memset(heap->bins, 0, sizeof heap->bins);
    memset(heap->emptied, 0, sizeof heap->emptied);
    heap->full.first = heap->full.last = NULL;
    for (size_t i = 0; i < WARD_DIRECT_SLOTS; i++) heap->direct[i] = &ward_empty_page;
    heap_counters_flush(heap);
}

void ward_heap_thread_done(void *arg) {
    ward_heap_t *heap = arg;
    if (heap == NULL || heap == &ward_empty_heap) return;
#if WARD_GUARD
    ward_guard_quarantine_flush(heap);
#endif
    heap_abandon(heap);
    if (ward_tls_heap == heap) {
        ward_tls_heap = &ward_empty_heap;
        ward_thread_done = true;
    }
    heap_put(heap);
}

/* ---- first-class heaps ------------------------------------------------------------------------------ */

ward_heap_t *ward_heap_new(void) {
    ward_init();
    ward_heap_t *heap = heap_take();
    if (heap == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    heap_init(heap, false);
    return heap;
}

static void heap_release_segments(ward_heap_t *heap, ward_segment_t *list) {
    ward_segment_t *next;
    for (ward_segment_t *seg = list; seg != NULL; seg = next) {
        next = seg->next;
        ward_page_t *pages[WARD_SLICES];
        size_t count = ward_segment_pages(seg, pages);
        for (size_t k = 0; k < count; k++) {
            ward_page_t *page = pages[k];
#if WARD_GUARD
            /* The segment goes back to its region: its large blocks' guard
             * pages must not stay behind. */
            if (page->bin == WARD_BIN_LARGE && page->slice_index + page->slice_count != WARD_SLICES)
                os_protect(ward_slice_address(seg, page->slice_index + page->slice_count) - WARD_GUARD_PAGE,
                           WARD_GUARD_PAGE, true);
#endif
            if (ward_options.stats) {
                ward_page_collect(page);
                ward_stats_account(heap, -(int64_t)page->used * (int64_t)page->block_size);
            } else {
                account_page(heap, page, -1);
            }
        }
        ward_segment_release(seg);
    }
}

void ward_heap_destroy(ward_heap_t *heap) {
    if (heap == NULL) return;
    if (heap->is_thread_heap || !heap->in_use) {
        ward_report_error("invalid heap", heap, "ward_heap_destroy of a heap that is not live");
        return;
    }
    heap_free_delayed(heap);
    heap_release_segments(heap, heap->segs_avail);
    heap_release_segments(heap, heap->segs_full);
    heap->segs_avail = heap->segs_full = NULL;
    ward_huge_destroy_owned(heap);
    heap_counters_flush(heap);
    heap_put(heap);
}

void ward_heaps_lock(void) {
    pthread_mutex_lock(&heaps_lock);
    for (ward_heap_t *h = heaps_all; h != NULL; h = h->all_next) pthread_mutex_lock(&h->huge_lock);
}

/* In a fork child, a page the parent's other threads were handing a block
 * through (DELAY_FREEING) would stay so for ever: nobody is left to finish. */
static void heap_forget_handoffs(ward_heap_t *heap) {
    ward_page_queue_t *queues[WARD_BIN_COUNT + 1];
    size_t n = 0;
    for (unsigned bin = 1; bin <= WARD_BIN_MEDIUM_LAST; bin++) queues[n++] = &heap->bins[bin];
    queues[n++] = &heap->full;
    for (size_t i = 0; i < n; i++) {
        for (ward_page_t *page = queues[i]->first; page != NULL; page = page->next) {
            uintptr_t tf = atomic_load_explicit(&page->thread_free, memory_order_relaxed);
            if ((tf & DELAY_MASK) == DELAY_FREEING)
                atomic_store_explicit(&page->thread_free, (tf & ~(uintptr_t)DELAY_MASK) | DELAY_NONE,
                                      memory_order_relaxed);
        }
    }
}

void ward_heaps_unlock(bool child) {
    if (child) {
        pthread_mutex_init(&heaps_lock, NULL);
        for (ward_heap_t *h = heaps_all; h != NULL; h = h->all_next) pthread_mutex_init(&h->huge_lock, NULL);
        if (ward_tls_heap != &ward_empty_heap) heap_forget_handoffs(ward_tls_heap);
    } else {
        for (ward_heap_t *h = heaps_all; h != NULL; h = h->all_next) pthread_mutex_unlock(&h->huge_lock);
        pthread_mutex_unlock(&heaps_lock);
    }
}
