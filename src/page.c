/* Pages: runs of blocks of one size, with three free lists.
 *
 * `free` is what the owning thread allocates from; `local_free` collects the
 * owner's own frees; `thread_free` is an atomic stack that other threads push
 * onto with one compare-and-swap. The owner moves local_free and thread_free
 * into free only when free runs dry (page_collect), so the allocation fast
 * path is a pop from a plain list.
 *
 * Blocks are carved lazily (page_extend): a page of 4096 blocks touches its
 * memory a few KiB at a time, so a page that is barely used stays barely
 * resident.
 *
 * Full pages and the delayed-free handshake: a page with no free block sits
 * in its heap's full list, where the heap does not look. To learn that such a
 * page got a block back from another thread, the owner marks it DELAY_USE in
 * the low bits of thread_free. The first remote free that sees DELAY_USE
 * switches it to DELAY_FREEING, hands its block to the heap's delayed_free
 * stack instead, and switches the state to DELAY_NONE. The heap frees those
 * blocks locally on its next slow path, which moves the page out of the full
 * list. A heap that goes away sets DELAY_NEVER on each page, waiting while a
 * page is DELAY_FREEING, so no thread can still be reading segment->heap once
 * the heap is gone.
 */
#include "internal.h"

#include <sched.h>

/* How many bytes of blocks page_extend carves at a time. */
#define PAGE_EXTEND_BYTES 4096

void ward_page_init(ward_page_t *page, unsigned bin, size_t block_size, uint8_t flags) {
    page->free = NULL;
    page->local_free = NULL;
    atomic_store_explicit(&page->thread_free, (uintptr_t)DELAY_NONE, memory_order_relaxed);
    page->next = page->prev = NULL;
    page->guard = 0;
    page->block_size = (uint32_t)block_size;
    page->used = 0;
    page->capacity = 0;
    page->reserved = (uint16_t)(ward_page_span_bytes(page->slice_index, page->slice_count, bin == WARD_BIN_LARGE) /
                                block_size);
    page_flags_set(page, flags);
    page->bin = (uint8_t)bin;
    page->free_is_zero = 0;
#if WARD_GUARD
    /* The head before the first block holds the free pattern (guard.c
     * checks the byte before a block). */
    if (ward_page_head(page) > 0) ward_guard_fresh_blocks(ward_page_start(page), ward_page_head(page));
#endif
}

static bool page_revive(ward_page_t *page);

void ward_page_extend(ward_page_t *page) {
    if (page->capacity >= page->reserved) {
        page_revive(page);
        return;
    }
    size_t size = page->block_size;
    size_t count = PAGE_EXTEND_BYTES / size;
    if (count == 0) count = 1;
    if (count > (size_t)(page->reserved - page->capacity)) count = page->reserved - page->capacity;
    uint8_t *first = ward_page_blocks(page) + (size_t)page->capacity * size;
    uint8_t *p = first;
#if WARD_GUARD
    /* Fresh blocks carry the free pattern (guard.c) and are linked in a
     * random order, so where the next block lands cannot be predicted. */
    ward_guard_fresh_blocks(first, count * size);
    ward_heap_t *heap = ward_segment_heap(ward_segment_of(page));
    uint16_t order[PAGE_EXTEND_BYTES / WARD_ALIGNMENT];
    for (size_t i = 0; i < count; i++) order[i] = (uint16_t)i;
    for (size_t i = count; i > 1; i--) {
        uint64_t r = heap->random;
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        heap->random = r;
        size_t j = (size_t)(r % i);
        uint16_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    ward_block_t *list = page->free;
    for (size_t i = 0; i < count; i++) {
        ward_block_t *b = (ward_block_t *)(first + (size_t)order[i] * size);
        ward_block_set_next(b, list);
        list = b;
    }
    page->free = list;
    page->capacity = (uint16_t)(page->capacity + count);
    page->free_is_zero = 0;
    /* The last carved block's start: free looks for a trailer no further
     * (memory not carved yet may hold trailers of a destroyed heap's blocks).
     * Other threads read it: a stale, smaller value only sends their free
     * the long way. */
    __atomic_store_n(&page->guard, (uint64_t)(uintptr_t)(first + (count - 1) * size), __ATOMIC_RELAXED);
    (void)p;
#else
    for (size_t i = 1; i < count; i++, p += size) ward_block_set_next((ward_block_t *)p, (ward_block_t *)(p + size));
    ward_block_set_next((ward_block_t *)p, page->free);
    page->free = (ward_block_t *)first;
    page->capacity = (uint16_t)(page->capacity + count);
    page->free_is_zero = page->mem_is_zero;
#endif
}

/* A list of a page's free blocks is longer than the page has blocks. */
static WARD_COLD void report_looping_list(const ward_block_t *head) {
    ward_report_error("heap corruption", head,
                      "a page's list of free blocks loops back on itself: a block was freed twice");
}

/* The last block of a list of a page's free blocks, and the list's length;
 * NULL when the list has more blocks than the page: it loops back on itself
 * (a block freed twice, which fast builds do not look for when it happens),
 * which is reported (with WARD_ON_ERROR=report the caller drops the list). */
static ward_block_t *page_list_tail(const ward_page_t *page, ward_block_t *head, size_t *count) {
    ward_block_t *tail = head;
    size_t n = 1;
    for (ward_block_t *next = ward_page_pop_next(page, tail); next != NULL; next = ward_page_pop_next(page, tail)) {
        if (unlikely(++n > page->capacity)) {
            report_looping_list(head);
            return NULL;
        }
        tail = next;
    }
    *count = n;
    return tail;
}

static void page_collect_thread_free(ward_page_t *page) {
    uintptr_t tf = atomic_load_explicit(&page->thread_free, memory_order_relaxed);
    do {
        if ((tf & ~(uintptr_t)DELAY_MASK) == 0) return;
    } while (!atomic_compare_exchange_weak_explicit(&page->thread_free, &tf, tf & DELAY_MASK,
                                                    memory_order_acquire, memory_order_relaxed));
    ward_block_t *head = (ward_block_t *)(tf & ~(uintptr_t)DELAY_MASK);
    size_t count;
    ward_block_t *tail = page_list_tail(page, head, &count);
    if (tail == NULL) return; /* leaked: none of it can be trusted */
    ward_block_set_next(tail, page->local_free);
    page->local_free = head;
    page->used = (uint16_t)(page->used - count);
}

void ward_page_collect(ward_page_t *page) {
    page_collect_thread_free(page);
    if (page->free == NULL && page->local_free != NULL) {
        page->free = page->local_free;
        page->local_free = NULL;
        page->free_is_zero = 0;
    }
}

void ward_page_set_delay(ward_page_t *page, uintptr_t state, bool override_never) {
    uintptr_t tf = atomic_load_explicit(&page->thread_free, memory_order_relaxed);
    for (;;) {
        uintptr_t cur = tf & DELAY_MASK;
        if (cur == DELAY_FREEING) {
            /* A remote thread is between reading segment->heap and pushing. */
            sched_yield();
            tf = atomic_load_explicit(&page->thread_free, memory_order_acquire);
            continue;
        }
        if (cur == state || (cur == DELAY_NEVER && !override_never)) return;
        uintptr_t next = (tf & ~(uintptr_t)DELAY_MASK) | state;
        if (atomic_compare_exchange_weak_explicit(&page->thread_free, &tf, next,
                                                  memory_order_acq_rel, memory_order_relaxed))
            return;
    }
}

void ward_page_free_remote(ward_segment_t *seg, ward_page_t *page, ward_block_t *block) {
    uintptr_t tf = atomic_load_explicit(&page->thread_free, memory_order_relaxed);
    uintptr_t next;
    bool tell_heap;
    do {
        tell_heap = (tf & DELAY_MASK) == DELAY_USE;
        if (tell_heap) {
            next = (tf & ~(uintptr_t)DELAY_MASK) | DELAY_FREEING;
        } else {
            ward_block_set_next(block, (ward_block_t *)(tf & ~(uintptr_t)DELAY_MASK));
            next = (uintptr_t)block | (tf & DELAY_MASK);
        }
    } while (!atomic_compare_exchange_weak_explicit(&page->thread_free, &tf, next,
                                                    memory_order_acq_rel, memory_order_relaxed));
    if (!tell_heap) return;

    /* DELAY_FREEING keeps the heap alive until we switch the state back. */
    ward_heap_t *heap = atomic_load_explicit(&seg->heap, memory_order_acquire);
    if (heap != NULL) {
        ward_block_t *head = atomic_load_explicit(&heap->delayed_free, memory_order_relaxed);
        do {
            ward_block_set_next(block, head);
        } while (!atomic_compare_exchange_weak_explicit(&heap->delayed_free, &head, block,
                                                        memory_order_release, memory_order_relaxed));
    }
    tf = atomic_load_explicit(&page->thread_free, memory_order_relaxed);
    do {
        if (heap == NULL) ward_block_set_next(block, (ward_block_t *)(tf & ~(uintptr_t)DELAY_MASK));
        next = heap == NULL ? ((uintptr_t)block | DELAY_NONE)
                            : ((tf & ~(uintptr_t)DELAY_MASK) | DELAY_NONE);
    } while (!atomic_compare_exchange_weak_explicit(&page->thread_free, &tf, next,
                                                    memory_order_acq_rel, memory_order_relaxed));
}

ward_block_t *ward_page_block_start(const ward_page_t *page, const void *p) {
    size_t offset = (size_t)((const uint8_t *)p - ward_page_blocks(page));
    return (ward_block_t *)((uint8_t *)p - offset % page->block_size);
}

/* ---- sparse pages ----------------------------------------------------------------------
 * A page of small blocks that is mostly free may still have no free *page*
 * of memory the OS could take back, unless blocks that share a 4 KiB OS page
 * are all free. ward_page_purge_sparse finds such OS pages, returns them
 * (MADV_DONTNEED), and takes the free blocks that touch them off the free
 * list: their memory now reads as zero, links included. Those blocks are
 * "dormant": in no list, not counted as used. When the page runs out of
 * blocks again, page_revive puts every block touching a purged OS page back
 * on the free list (all of them are free: none was handed out since) and
 * clears the marks. The marks live in the segment header, per slice. */

#define OS_PAGE 4096u
#define OS_PAGES_PER_SLICE (WARD_SLICE_SIZE / OS_PAGE)
#define SPARSE_MIN_PURGE 4 /* OS pages: fewer are not worth a system call */

static inline bool sparse_bit(const ward_segment_t *seg, size_t k) {
    return (seg->sparse_purged[k / OS_PAGES_PER_SLICE] >> (k % OS_PAGES_PER_SLICE)) & 1;
}

static bool page_has_sparse(const ward_page_t *page) {
    const ward_segment_t *seg = ward_segment_of(page);
    for (unsigned i = page->slice_index; i < page->slice_index + page->slice_count; i++)
        if (seg->sparse_purged[i]) return true;
    return false;
}

static bool page_revive(ward_page_t *page) {
    ward_segment_t *seg = ward_segment_of(page);
    if (page->bin == WARD_BIN_LARGE || !page_has_sparse(page)) return false;
    /* Only fast builds purge sparse pages, and their pages have no head:
     * block offsets and OS page numbers both count from the page start. */
    uint8_t *start = ward_page_start(page);
    size_t bs = page->block_size;
    size_t first_k = (size_t)page->slice_index * OS_PAGES_PER_SLICE;
    ward_block_t *list = page->free;
    for (size_t b = 0; b < page->capacity; b++) {
        size_t k0 = (b * bs) / OS_PAGE, k1 = (b * bs + bs - 1) / OS_PAGE;
        bool dormant = false;
        for (size_t k = k0; k <= k1 && !dormant; k++) dormant = sparse_bit(seg, first_k + k);
        if (!dormant) continue;
        ward_block_t *block = (ward_block_t *)(start + b * bs);
        ward_block_set_next(block, list);
        list = block;
    }
    page->free = list;
    page->free_is_zero = 0;
    for (unsigned i = page->slice_index; i < page->slice_index + page->slice_count; i++) seg->sparse_purged[i] = 0;
    return true;
}

void ward_page_forget_sparse(ward_page_t *page) {
    ward_segment_t *seg = ward_segment_of(page);
    for (unsigned i = page->slice_index; i < page->slice_index + page->slice_count; i++) {
        seg->sparse_purged[i] = 0;
        seg->sparse_scan_used[i] = 0;
    }
}

size_t ward_page_purge_sparse(ward_page_t *page) {
#if WARD_GUARD
    /* Guard builds check the free pattern of freed blocks: a purged block
     * would read as a write after free. */
    (void)page;
    return 0;
#else
    ward_segment_t *seg = ward_segment_of(page);
    if (page->bin == WARD_BIN_LARGE || page->bin > WARD_BIN_SMALL_LAST || page->capacity == 0) return 0;
    uint16_t last = seg->sparse_scan_used[page->slice_index];
    /* Only pages at most half used whose use fell since the last look. */
    if (page->used * 2u > page->capacity || (last != 0 && page->used + page->capacity / 8u >= last)) return 0;
    seg->sparse_scan_used[page->slice_index] = (uint16_t)(page->used + 1);
    ward_page_collect(page);
    if (page->local_free != NULL) {
        /* One list of every free block. */
        size_t n;
        ward_block_t *tail = page_list_tail(page, page->local_free, &n);
        if (tail == NULL) {
            page->local_free = NULL;
            return 0;
        }
        ward_block_set_next(tail, page->free);
        page->free = page->local_free;
        page->local_free = NULL;
        page->free_is_zero = 0; /* freed blocks are not zero */
    }
    size_t bs = page->block_size;
    uint8_t *start = ward_page_start(page); /* fast builds: no head (see page_revive) */
    uint64_t free_bits[WARD_SLICE_SIZE / WARD_ALIGNMENT / 64]; /* small pages: one slice */
    memset(free_bits, 0, sizeof free_bits);
    size_t listed = 0;
    for (ward_block_t *b = page->free; b != NULL; b = ward_page_pop_next(page, b)) {
        if (unlikely(++listed > page->capacity)) {
            report_looping_list(page->free);
            page->free = NULL;
            return 0;
        }
        size_t i = (size_t)((uint8_t *)b - start) / bs;
        free_bits[i / 64] |= (uint64_t)1 << (i % 64);
    }
    /* Only OS pages wholly inside the carved part: blocks carved later into
     * a purged OS page would be live, yet page_revive would hand them out. */
    size_t carved = (size_t)page->capacity * bs;
    size_t os_pages = carved / OS_PAGE;
    uint16_t purge = 0;
    unsigned count = 0;
    for (size_t k = 0; k < os_pages; k++) {
        if ((seg->sparse_purged[page->slice_index] >> k) & 1) continue;
        size_t b0 = (k * OS_PAGE) / bs, b1 = ((k + 1) * OS_PAGE - 1) / bs;
        if (b1 >= page->capacity) b1 = page->capacity - 1;
        bool all_free = true;
        for (size_t b = b0; b <= b1 && all_free; b++) all_free = (free_bits[b / 64] >> (b % 64)) & 1;
        if (all_free) {
            purge |= (uint16_t)(1u << k);
            count++;
        }
    }
    if (count < SPARSE_MIN_PURGE) return 0;
    /* Off the free list: every free block touching a purged OS page. */
    uint16_t purged = (uint16_t)(seg->sparse_purged[page->slice_index] | purge);
    ward_block_t *keep = NULL;
    for (ward_block_t *b = page->free, *next; b != NULL; b = next) {
        next = ward_page_pop_next(page, b);
        size_t off = (size_t)((uint8_t *)b - start);
        size_t k0 = off / OS_PAGE, k1 = (off + bs - 1) / OS_PAGE;
        bool dormant = false;
        for (size_t k = k0; k <= k1 && !dormant; k++) dormant = (purged >> k) & 1;
        if (dormant) continue;
        ward_block_set_next(b, keep);
        keep = b;
    }
    page->free = keep;
    page->free_is_zero = 0;
    seg->sparse_purged[page->slice_index] = purged;
    size_t bytes = 0;
    for (size_t k = 0; k < os_pages;) {
        if (!((purge >> k) & 1)) {
            k++;
            continue;
        }
        size_t run = 1;
        while (k + run < os_pages && ((purge >> (k + run)) & 1)) run++;
        os_purge(start + k * OS_PAGE, run * OS_PAGE);
        bytes += run * OS_PAGE;
        k += run;
    }
    atomic_fetch_add_explicit(&ward_stats.purges, 1, memory_order_relaxed);
    return bytes;
#endif
}
