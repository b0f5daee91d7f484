/* Huge blocks: anything above WARD_LARGE_MAX (or with alignment above a
 * slice) gets a mapping of its own, aligned to the segment size, whose first
 * page is a segment header of kind SEGMENT_HUGE.
 *
 * Layout: the user pointer sits WARD_HUGE_HEADER bytes into the mapping, or
 * `align` bytes in when the alignment is larger but below the segment size.
 * For alignments of a segment or more the user pointer is segment-aligned
 * itself, so the header goes exactly one segment below it (see internal.h).
 *
 * Reuse: unmapping a freed 16 MiB block and mapping it again costs a page
 * fault per 4 KiB on the next use, so freed huge mappings below
 * huge_unmap_bytes wait in a small cache. Their memory is purged once the
 * purge delay has passed (the mapping stays, reading as zero), and the
 * oldest are unmapped when the cache holds more than huge_cache_bytes.
 * Growing a huge block moves its pages with mremap instead of copying.
 */
#include "internal.h"

#define HUGE_CACHE_MAX_ENTRIES 64

static pthread_mutex_t huge_lock = PTHREAD_MUTEX_INITIALIZER;
static ward_segment_t *cache_head; /* most recently freed first */
static size_t cache_bytes;
static _Atomic(size_t) cache_entries; /* read without the lock as a hint */
static _Atomic(uint64_t) cache_purge_due;

static void huge_header_init(ward_segment_t *seg, size_t map_size, uint8_t *user, size_t align,
                             ward_heap_t *owner) {
    seg->magic = WARD_SEGMENT_MAGIC;
    seg->kind = SEGMENT_HUGE;
    atomic_store_explicit(&seg->heap, NULL, memory_order_relaxed);
    seg->huge_map_size = map_size;
    seg->huge_user = user;
    seg->huge_usable = (size_t)((uint8_t *)seg + map_size - user) - WARD_GUARD_PAGE;
    seg->huge_align = align;
    seg->huge_owner = owner;
    seg->huge_owned = 0;
    seg->huge_cached = 0;
    atomic_store_explicit(&seg->huge_live, 0, memory_order_relaxed);
    seg->next = seg->prev = NULL;
#if WARD_GUARD
    ward_segmap_set(seg, map_size, 2);
#endif
    memset(&seg->pages[0], 0, sizeof seg->pages[0]);
    for (size_t i = 0; i < WARD_SLICES; i++) seg->slice_page[i] = &seg->pages[0];
}

static void owner_link(ward_segment_t *seg) {
    ward_heap_t *owner = seg->huge_owner;
    if (owner == NULL) return;
    pthread_mutex_lock(&owner->huge_lock);
    seg->prev = NULL;
    seg->next = owner->huge_list;
    if (owner->huge_list) owner->huge_list->prev = seg;
    owner->huge_list = seg;
    pthread_mutex_unlock(&owner->huge_lock);
}

static void owner_unlink(ward_segment_t *seg) {
    ward_heap_t *owner = seg->huge_owner;
    if (owner == NULL) return;
    pthread_mutex_lock(&owner->huge_lock);
    if (seg->prev) seg->prev->next = seg->next;
    else owner->huge_list = seg->next;
    if (seg->next) seg->next->prev = seg->prev;
    pthread_mutex_unlock(&owner->huge_lock);
    seg->next = seg->prev = NULL;
}

static void account_huge(ward_segment_t *seg, int sign) {
    ward_stats_account(NULL, sign * (int64_t)seg->huge_usable);
    atomic_fetch_add_explicit(&ward_stats.huge_blocks, sign, memory_order_relaxed);
    atomic_fetch_add_explicit(&ward_stats.committed, sign * (int64_t)seg->huge_map_size, memory_order_relaxed);
}

static void unmap_huge(ward_segment_t *seg) {
    atomic_fetch_sub_explicit(&ward_stats.reserved, (int64_t)seg->huge_map_size, memory_order_relaxed);
    seg->magic = 0;
#if WARD_GUARD
    ward_segmap_set(seg, seg->huge_map_size, 0);
#endif
    os_release(seg, seg->huge_map_size);
}

/* Smallest cached mapping that fits `map_size` without wasting more than
 * half of itself (the unused part stays resident if it was dirty: purging
 * it would cost a page fault per page when a bigger block reuses it). */
static ward_segment_t *cache_take(size_t map_size) {
    if (atomic_load_explicit(&cache_entries, memory_order_relaxed) == 0) return NULL;
    pthread_mutex_lock(&huge_lock);
    ward_segment_t *best = NULL;
    for (ward_segment_t *seg = cache_head; seg != NULL; seg = seg->next) {
        if (seg->huge_map_size >= map_size && seg->huge_map_size / 2 <= map_size &&
            (best == NULL || seg->huge_map_size < best->huge_map_size))
            best = seg;
    }
    if (best != NULL) {
        if (best->prev) best->prev->next = best->next;
        else cache_head = best->next;
        if (best->next) best->next->prev = best->prev;
        cache_bytes -= best->huge_map_size;
        cache_entries--;
    }
    pthread_mutex_unlock(&huge_lock);
    return best;
}

static ward_segment_t *map_huge(size_t map_size) {
    ward_segment_t *seg = os_reserve_accounted(map_size, WARD_SEGMENT_SIZE);
    if (seg == NULL) {
        ward_huge_cache_release();
        ward_segments_release_cached();
        seg = os_reserve_accounted(map_size, WARD_SEGMENT_SIZE);
        if (seg == NULL) return NULL;
    }
    atomic_fetch_add_explicit(&ward_stats.reserved, (int64_t)map_size, memory_order_relaxed);
    return seg;
}

void *ward_huge_alloc(ward_heap_t *owner, size_t size, size_t align, bool zero) {
    size_t page = os_page_size();
    if (size > WARD_MAX_REQUEST || align > WARD_MAX_REQUEST / 4) {
        errno = ENOMEM;
        return NULL;
    }
    if (align < WARD_ALIGNMENT) align = WARD_ALIGNMENT;
    ward_segment_t *seg;
    uint8_t *user;
    size_t map_size;
    if (align <= WARD_HUGE_HEADER) {
        map_size = ward_align_up(WARD_HUGE_HEADER + size + WARD_GUARD_PAGE, page);
        seg = cache_take(map_size);
        if (seg != NULL) {
            user = (uint8_t *)seg + WARD_HUGE_HEADER;
            size_t old_map = seg->huge_map_size;
            if (zero && !seg->huge_purged) memset(user, 0, size);
            huge_header_init(seg, old_map, user, align, owner);
        } else {
            seg = map_huge(map_size);
            if (seg == NULL) goto fail;
            user = (uint8_t *)seg + WARD_HUGE_HEADER;
            huge_header_init(seg, map_size, user, align, owner);
#if WARD_GUARD
            os_protect((uint8_t *)seg + map_size - WARD_GUARD_PAGE, WARD_GUARD_PAGE, false);
#endif
        }
    } else if (align < WARD_SEGMENT_SIZE) {
        map_size = ward_align_up(align + size + WARD_GUARD_PAGE, page);
        seg = map_huge(map_size);
        if (seg == NULL) goto fail;
        user = (uint8_t *)seg + align;
        huge_header_init(seg, map_size, user, align, owner);
    } else {
        /* User pointer aligned to `align`, header one segment below it. */
        size_t body = ward_align_up(size + WARD_GUARD_PAGE, page);
        size_t total = WARD_SEGMENT_SIZE + body + align;
        uint8_t *raw = os_reserve_accounted(total, WARD_SEGMENT_SIZE);
        if (raw == NULL) {
            ward_huge_cache_release();
            ward_segments_release_cached();
            raw = os_reserve_accounted(total, WARD_SEGMENT_SIZE);
            if (raw == NULL) goto fail;
        }
        user = (uint8_t *)ward_align_up((uintptr_t)raw + WARD_SEGMENT_SIZE, align);
        seg = (ward_segment_t *)(user - WARD_SEGMENT_SIZE);
        map_size = WARD_SEGMENT_SIZE + body;
        if ((uint8_t *)seg > raw) os_release(raw, (size_t)((uint8_t *)seg - raw));
        uint8_t *end = (uint8_t *)seg + map_size;
        if (end < raw + total) os_release(end, (size_t)(raw + total - end));
        atomic_fetch_add_explicit(&ward_stats.reserved, (int64_t)map_size, memory_order_relaxed);
        huge_header_init(seg, map_size, user, align, owner);
    }
    owner_link(seg);
    account_huge(seg, +1);
    if (ward_options.stats) atomic_fetch_add_explicit(&ward_stats.allocs[WARD_BIN_HUGE], 1, memory_order_relaxed);
    return user;
fail:
    errno = ENOMEM;
    return NULL;
}

void ward_huge_free(ward_segment_t *seg) {
    if (unlikely(seg->huge_cached)) {
        /* Freed already and waiting for reuse: acting on it again would put
         * it in the cache twice. */
        ward_report("double free", seg->huge_user, "a huge block, freed already", "freed here:    ", 0, 0, NULL);
        return;
    }
    owner_unlink(seg);
    account_huge(seg, -1);
    if (ward_options.stats) atomic_fetch_add_explicit(&ward_stats.frees, 1, memory_order_relaxed);
    if (seg->huge_align > WARD_HUGE_HEADER || seg->huge_map_size >= ward_options.huge_unmap_bytes ||
        seg->huge_map_size > ward_options.huge_cache_bytes) {
        unmap_huge(seg);
        return;
    }
    uint64_t now = os_clock_ms();
    seg->huge_freed_ms = now;
    seg->huge_purged = 0;
    seg->huge_cached = 1;
    ward_segment_t *evict = NULL;
    pthread_mutex_lock(&huge_lock);
    seg->prev = NULL;
    seg->next = cache_head;
    if (cache_head) cache_head->prev = seg;
    cache_head = seg;
    cache_bytes += seg->huge_map_size;
    cache_entries++;
    /* Over budget: unlink the oldest entries, unmap them outside the lock. */
    while (cache_bytes > ward_options.huge_cache_bytes || cache_entries > HUGE_CACHE_MAX_ENTRIES) {
        ward_segment_t *last = cache_head;
        while (last->next) last = last->next;
        if (last->prev) last->prev->next = NULL;
        else cache_head = NULL;
        cache_bytes -= last->huge_map_size;
        cache_entries--;
        last->next = evict;
        evict = last;
    }
    pthread_mutex_unlock(&huge_lock);
    while (evict != NULL) {
        ward_segment_t *next = evict->next;
        unmap_huge(evict);
        evict = next;
    }
    uint64_t due = now + ward_options.purge_delay_ms;
    uint64_t cur = atomic_load_explicit(&cache_purge_due, memory_order_relaxed);
    if (cur == 0 || due < cur) atomic_store_explicit(&cache_purge_due, due, memory_order_relaxed);
}

bool ward_huge_cache_purge(uint64_t now, bool force) {
    uint64_t due = atomic_load_explicit(&cache_purge_due, memory_order_relaxed);
    if (!force && (due == 0 || now < due)) return false;
    if (force) pthread_mutex_lock(&huge_lock);
    else if (pthread_mutex_trylock(&huge_lock) != 0) return false;
    bool purged = false;
    uint64_t next_due = 0;
    for (ward_segment_t *seg = cache_head; seg != NULL; seg = seg->next) {
        if (seg->huge_purged) continue;
        uint64_t deadline = seg->huge_freed_ms + ward_options.purge_delay_ms;
        if (force || now >= deadline) {
            os_purge((uint8_t *)seg + WARD_HUGE_HEADER, seg->huge_map_size - WARD_HUGE_HEADER);
            seg->huge_purged = 1;
            atomic_fetch_add_explicit(&ward_stats.purges, 1, memory_order_relaxed);
            purged = true;
        } else if (next_due == 0 || deadline < next_due) {
            next_due = deadline;
        }
    }
    atomic_store_explicit(&cache_purge_due, next_due, memory_order_relaxed);
    pthread_mutex_unlock(&huge_lock);
    return purged;
}

void ward_huge_cache_release(void) {
    pthread_mutex_lock(&huge_lock);
    ward_segment_t *list = cache_head;
    cache_head = NULL;
    cache_bytes = 0;
    cache_entries = 0;
    pthread_mutex_unlock(&huge_lock);
    while (list != NULL) {
        ward_segment_t *next = list->next;
        unmap_huge(list);
        list = next;
    }
}

void *ward_huge_realloc(ward_segment_t *seg, size_t size) {
    size_t page = os_page_size();
    if (size > WARD_MAX_REQUEST) return NULL;
    size_t offset = (size_t)(seg->huge_user - (uint8_t *)seg);
    size_t need = ward_align_up(offset + size, page);
    size_t map = seg->huge_map_size;
    if (need <= map) {
        if (need >= map / 2) return seg->huge_user;
        /* Shrinking a lot: unmap the tail. */
        if (!os_resize_in_place(seg, map, need)) return seg->huge_user;
        account_huge(seg, -1);
        atomic_fetch_sub_explicit(&ward_stats.reserved, (int64_t)(map - need), memory_order_relaxed);
        seg->huge_map_size = need;
        seg->huge_usable = need - offset;
        account_huge(seg, +1);
        return seg->huge_user;
    }
    if (seg->huge_align > WARD_HUGE_HEADER) return NULL;
    /* Growing: leave room for the next few appends. */
    size_t want = ward_align_up(need + need / 8, page);
    if (want < need || want - offset > WARD_MAX_REQUEST) want = need;
    account_huge(seg, -1);
    if (os_resize_in_place(seg, map, want)) {
        atomic_fetch_add_explicit(&ward_stats.reserved, (int64_t)(want - map), memory_order_relaxed);
        seg->huge_map_size = want;
        seg->huge_usable = want - offset;
        account_huge(seg, +1);
        return seg->huge_user;
    }
    ward_heap_t *owner = seg->huge_owner;
    owner_unlink(seg);
    ward_segment_t *moved = os_move(seg, map, want, WARD_SEGMENT_SIZE);
    if (moved == NULL) {
        owner_link(seg);
        account_huge(seg, +1);
        return NULL;
    }
    atomic_fetch_add_explicit(&ward_stats.reserved, (int64_t)(want - map), memory_order_relaxed);
    moved->huge_map_size = want;
    moved->huge_user = (uint8_t *)moved + offset;
    moved->huge_usable = want - offset;
    moved->huge_owner = owner;
    for (size_t i = 0; i < WARD_SLICES; i++) moved->slice_page[i] = &moved->pages[0];
    owner_link(moved);
    account_huge(moved, +1);
    return moved->huge_user;
}

void ward_huge_destroy_owned(ward_heap_t *heap) {
    for (;;) {
        pthread_mutex_lock(&heap->huge_lock);
        ward_segment_t *seg = heap->huge_list;
        pthread_mutex_unlock(&heap->huge_lock);
        if (seg == NULL) return;
        ward_huge_free(seg);
    }
}

ward_segment_t *ward_huge_header_of_aligned(const void *p) {
    const uint8_t *candidate = (const uint8_t *)p - WARD_SEGMENT_SIZE;
    if ((uintptr_t)p < WARD_SEGMENT_SIZE) return NULL;
    ward_segment_t *seg = (ward_segment_t *)candidate;
    if (seg->magic != WARD_SEGMENT_MAGIC || seg->kind != SEGMENT_HUGE || seg->huge_user != p) return NULL;
    return seg;
}

void ward_huge_lock(void) {
    pthread_mutex_lock(&huge_lock);
}

void ward_huge_unlock(bool child) {
    if (child) pthread_mutex_init(&huge_lock, NULL);
    else pthread_mutex_unlock(&huge_lock);
}
