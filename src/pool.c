/* Pools: objects of one size, allocated and freed in O(1) with no header.
 *
 * A pool carves slots from chunks (ward_chunk_alloc, so free() refuses them
 * and statistics count them) and keeps freed slots on a list threaded through
 * the slots themselves. Chunks start at 64 KiB and double up to 2 MiB; they
 * are one-block pages of ward, so a slot's chunk header is found from the
 * slot's address through its page (ward_page_of), which lets
 * ward_pool_free refuse a pointer from another pool or from malloc.
 *
 * Objects may be up to 1 MiB, aligned up to 512 KiB (a chunk holds at least
 * one and stays a large page). A pool is used by
 * one thread at a time, like an arena.
 */
#include "internal.h"
#include "tools.h"

#define POOL_MAGIC 0x706f6f6cu /* "pool" */
#define POOL_CHUNK_FIRST ((size_t)64 << 10)
#define POOL_CHUNK_MAX WARD_LARGE_MAX
#define POOL_MAX_OBJECT ((size_t)1 << 20)
/* A chunk holding a header, alignment padding and one object must fit in a
 * large page (POOL_CHUNK_MAX): pool free finds chunks through page flags,
 * which huge blocks do not have. */
#define POOL_MAX_ALIGN (POOL_MAX_OBJECT / 2)

/* tag is POOL_MAGIC ^ the pool's address: one comparison tells that a chunk
 * is a pool chunk and whose (arena chunks start with a different tag). */
typedef struct pool_chunk_s {
    uint64_t tag;
    struct pool_chunk_s *prev;
    uint8_t *first; /* first slot */
    size_t size;
} pool_chunk_t;

/* Free slots and the uncarved rest of the newest chunk. A pool watched by
 * ASan or valgrind keeps them in `watched` and leaves the fast path's copy
 * empty, so that every call reaches the slow path, which annotates. */
typedef struct pool_slots_s {
    ward_block_t *free;
    uint8_t *bump;
    uint8_t *bump_end;
} pool_slots_t;

struct ward_pool_s {
    pool_slots_t fast;
    pool_slots_t watched;
    uint32_t magic;
    uint8_t tools;
    size_t slot;
    uint64_t slot_magic;      /* ceil(2^64 / slot): see ward_pool_free */
    size_t obj_size;
    size_t align;
    size_t chunk_size;
    size_t reserved;
    size_t live;
    pool_chunk_t *chunks;
};

/* Chunk tag: watched pools' chunks differ in the low bit, so the fast
 * free's tag test sends their objects to the slow path. */
static inline uint64_t pool_tag(const ward_pool_t *p, bool watched) {
    return POOL_MAGIC ^ (uint64_t)(uintptr_t)p ^ (uint64_t)watched;
}

static bool pool_ok(const ward_pool_t *p, const char *what) {
    if (likely(p != NULL && p->magic == POOL_MAGIC)) return true;
    ward_report_error("invalid pool", p, what);
    errno = EINVAL;
    return false;
}

WARD_API ward_pool_t *ward_pool_new(size_t obj_size, size_t align) {
    if (align == 0) align = WARD_ALIGNMENT;
    if ((align & (align - 1)) != 0) {
        errno = EINVAL;
        return NULL;
    }
    if (obj_size > POOL_MAX_OBJECT || align > POOL_MAX_ALIGN) {
        errno = ENOMEM;
        return NULL;
    }
    if (align < sizeof(void *)) align = sizeof(void *);
    size_t slot = ward_align_up(obj_size < sizeof(void *) ? sizeof(void *) : obj_size, align);
    ward_pool_t *p = ward_malloc(sizeof *p);
    if (p == NULL) return NULL;
    memset(p, 0, sizeof *p);
    p->magic = POOL_MAGIC;
    p->slot = slot;
    p->slot_magic = UINT64_MAX / slot + 1;
    p->obj_size = obj_size;
    p->align = align;
    p->chunk_size = POOL_CHUNK_FIRST;
    p->tools = ward_asan_active() || ward_valgrind_active();
    if (p->tools) VALGRIND_CREATE_MEMPOOL(p, 0, 0);
    return p;
}

/* Guard builds mark a freed object of 16 bytes or more in its second word
 * (a keyed value no program writes by chance), so that a second
 * ward_pool_free of it is reported; the pool clears the mark when it hands
 * the object out. */
static inline uint64_t *pool_freed_word(const ward_pool_t *p, void *obj) {
    return WARD_GUARD && p->slot >= 16 ? (uint64_t *)obj + 1 : NULL;
}

static inline uint64_t pool_freed_mark(const void *obj) {
    return (uint64_t)(uintptr_t)obj ^ ward_secret ^ 0x706f6f6c66726565ull;
}

static inline void *pool_handed_out(ward_pool_t *p, void *obj) {
    uint64_t *w = pool_freed_word(p, obj);
    if (w != NULL) *w = 0;
    return obj;
}

static WARD_COLD void *pool_alloc_slow(ward_pool_t *p) {
    if (!pool_ok(p, "ward_pool_alloc on something that is not a live pool")) return NULL;
    pool_slots_t *st = p->tools ? &p->watched : &p->fast;
    if (st->free == NULL && (size_t)(st->bump_end - st->bump) < p->slot) {
        size_t want = p->chunk_size;
        while (want < sizeof(pool_chunk_t) + p->align + p->slot) want *= 2;
        size_t usable = 0;
        pool_chunk_t *c = ward_chunk_alloc(want, &usable);
        if (c == NULL) return NULL;
        c->tag = pool_tag(p, p->tools);
        c->size = usable;
        c->prev = p->chunks;
        c->first = (uint8_t *)ward_align_up((uintptr_t)c + sizeof(pool_chunk_t), p->align);
        p->chunks = c;
        p->reserved += usable;
        st->bump = c->first;
        st->bump_end = (uint8_t *)c + usable;
        if (p->tools) ward_tool_poison(st->bump, (size_t)(st->bump_end - st->bump));
        if (p->chunk_size < POOL_CHUNK_MAX) p->chunk_size *= 2;
    }
    void *obj;
    if (st->free != NULL) {
        if (p->tools) ward_tool_expose_defined(st->free, sizeof(ward_block_t));
        obj = st->free;
        st->free = st->free->next;
    } else {
        obj = st->bump;
        st->bump += p->slot;
    }
    p->live++;
    if (p->tools) {
        ward_tool_unpoison(obj, p->slot);
        VALGRIND_MEMPOOL_ALLOC(p, obj, p->obj_size);
        return obj;
    }
    return pool_handed_out(p, obj);
}

WARD_API void *ward_pool_alloc(ward_pool_t *p) {
    if (likely(p != NULL)) {
        ward_block_t *b = p->fast.free;
        if (likely(b != NULL)) {
            p->fast.free = b->next;
            p->live++;
            return pool_handed_out(p, b);
        }
        uint8_t *obj = p->fast.bump;
        if (likely((size_t)(p->fast.bump_end - obj) >= p->slot)) {
            p->fast.bump = obj + p->slot;
            p->live++;
            return pool_handed_out(p, obj);
        }
    }
    return pool_alloc_slow(p);
}

/* The chunk holding obj, when obj is a slot of one of p's chunks. */
static inline const pool_chunk_t *pool_chunk_of(const ward_pool_t *p, const void *obj, bool watched) {
    ward_segment_t *seg = ward_segment_of(obj);
    ward_page_t *page = ward_page_of(seg, obj);
    const pool_chunk_t *c = (const pool_chunk_t *)ward_slice_address(seg, page->slice_index);
    if (!(page_flags(page) & PAGE_OWNED) || c->tag != pool_tag(p, watched)) return NULL;
    /* A slot boundary: offset is a multiple of slot exactly when
     * offset * ceil(2^64 / slot) wraps to less than that constant (exact for
     * offsets below 2^32; chunks are at most 2 MiB). */
    uint64_t offset = (uint64_t)((const uint8_t *)obj - c->first);
    if ((const uint8_t *)obj < c->first || offset * p->slot_magic >= p->slot_magic) return NULL;
    return c;
}

static WARD_COLD void pool_free_slow(ward_pool_t *p, void *obj) {
    if (obj == NULL) return;
    if (!pool_ok(p, "ward_pool_free on something that is not a live pool")) return;
    if (p->tools && pool_chunk_of(p, obj, true) != NULL) {
        ward_block_t *b = obj;
        b->next = p->watched.free;
        p->watched.free = b;
        p->live--;
        VALGRIND_MEMPOOL_FREE(p, obj);
        ward_tool_poison(obj, p->slot); /* pool_alloc_slow unpoisons the link before reading it */
        return;
    }
    ward_report_error("invalid pool free", obj, "not an object of this pool");
}

WARD_API void ward_pool_free(ward_pool_t *p, void *obj) {
    /* The object's chunk header (found through its page: chunks are
     * one-block pages of ward) carries the pool's tag, which says both "a
     * pool chunk" and "this pool"; anything else - a segment-aligned
     * pointer, a watched pool's object, memory of another pool or of malloc -
     * fails a test and goes to the slow path. */
    if (likely(obj != NULL && pool_chunk_of(p, obj, false) != NULL)) {
        ward_block_t *b = obj;
        uint64_t *w = pool_freed_word(p, obj);
        if (w != NULL) {
            if (unlikely(*w == pool_freed_mark(obj))) {
                ward_report_error("double free", obj, "an object of this pool, freed to it already");
                return;
            }
            *w = pool_freed_mark(obj);
        }
        b->next = p->fast.free;
        p->fast.free = b;
        p->live--;
        return;
    }
    pool_free_slow(p, obj);
    /* Not a tail call: tools' reports should show ward_pool_free. */
    __asm__ volatile("" ::: "memory");
}

WARD_API void ward_pool_destroy(ward_pool_t *p) {
    if (p == NULL) return;
    if (!pool_ok(p, "ward_pool_destroy of something that is not a live pool")) return;
    pool_chunk_t *c = p->chunks;
    while (c != NULL) {
        pool_chunk_t *prev = c->prev;
        if (p->tools) {
            if (__asan_unpoison_memory_region != NULL) __asan_unpoison_memory_region(c, c->size);
            VALGRIND_MAKE_MEM_DEFINED(c, c->size);
        }
        ward_chunk_free(c);
        c = prev;
    }
    if (p->tools) VALGRIND_DESTROY_MEMPOOL(p);
    static ward_retired_t retired;
    p->magic = 0;
    p->chunks = NULL;
    p->fast = p->watched = (pool_slots_t){0};
    ward_handle_retire(&retired, p);
}

WARD_API size_t ward_pool_object_size(const ward_pool_t *p) {
    if (!pool_ok(p, "ward_pool_object_size on something that is not a live pool")) return 0;
    return p->obj_size;
}

WARD_API size_t ward_pool_live(const ward_pool_t *p) {
    if (!pool_ok(p, "ward_pool_live on something that is not a live pool")) return 0;
    return p->live;
}

WARD_API size_t ward_pool_reserved(const ward_pool_t *p) {
    if (!pool_ok(p, "ward_pool_reserved on something that is not a live pool")) return 0;
    return p->reserved;
}
