/* Pools: objects of one size, allocated and freed in O(1) with no header.
 *
 * A pool carves slots from chunks (ward_chunk_alloc, so free() refuses them
 * and statistics count them) and keeps freed slots on a list threaded through
 * the slots themselves. Chunks start at 64 KiB and double up to 2 MiB; they
 * are one-block pages of ward, so a slot's chunk header is found from the
 * slot's address through its page (ward_page_of), which lets
 * ward_pool_free refuse a pointer from another pool or from malloc.
 *
 * Objects may be up to 1 MiB (a chunk holds at least one). A pool is used by
 * one thread at a time, like an arena.
 */
#include "internal.h"
#include "tools.h"

#define POOL_MAGIC 0x706f6f6cu /* "pool" */
#define POOL_CHUNK_FIRST ((size_t)64 << 10)
#define POOL_CHUNK_MAX WARD_LARGE_MAX
#define POOL_MAX_OBJECT ((size_t)1 << 20)

/* tag is POOL_MAGIC ^ the pool's address: one comparison tells that a chunk
 * is a pool chunk and whose (arena chunks start with a different tag). */
typedef struct pool_chunk_s {
    uint64_t tag;
    struct pool_chunk_s *prev;
    uint8_t *first; /* first slot */
    size_t size;
} pool_chunk_t;

struct ward_pool_s {
    ward_block_t *free;
    uint8_t *bump;       /* uncarved slots of the newest chunk */
    uint8_t *bump_end;
    uint32_t magic;
    uint8_t tools;
    size_t slot;
    uint64_t slot_reciprocal; /* ceil(2^44 / slot): offset / slot without a division */
    size_t obj_size;
    size_t align;
    size_t chunk_size;
    size_t reserved;
    size_t live;
    pool_chunk_t *chunks;
};

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
    if (obj_size > POOL_MAX_OBJECT || align > POOL_MAX_OBJECT) {
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
    p->slot_reciprocal = (((uint64_t)1 << 44) + slot - 1) / slot;
    p->obj_size = obj_size;
    p->align = align;
    p->chunk_size = POOL_CHUNK_FIRST;
    p->tools = ward_asan_active() || ward_valgrind_active();
    if (p->tools) VALGRIND_CREATE_MEMPOOL(p, 0, 0);
    return p;
}

static WARD_COLD void *pool_alloc_slow(ward_pool_t *p) {
    if (!pool_ok(p, "ward_pool_alloc on something that is not a live pool")) return NULL;
    if (p->free == NULL && p->bump + p->slot > p->bump_end) {
        size_t want = p->chunk_size;
        while (want < sizeof(pool_chunk_t) + p->align + p->slot) want *= 2;
        size_t usable = 0;
        pool_chunk_t *c = ward_chunk_alloc(want, &usable);
        if (c == NULL) return NULL;
        c->tag = POOL_MAGIC ^ (uint64_t)(uintptr_t)p;
        c->size = usable;
        c->prev = p->chunks;
        c->first = (uint8_t *)ward_align_up((uintptr_t)c + sizeof(pool_chunk_t), p->align);
        p->chunks = c;
        p->reserved += usable;
        p->bump = c->first;
        p->bump_end = (uint8_t *)c + usable;
        if (p->tools) ward_tool_poison(p->bump, (size_t)(p->bump_end - p->bump));
        if (p->chunk_size < POOL_CHUNK_MAX) p->chunk_size *= 2;
    }
    void *obj;
    if (p->free != NULL) {
        if (p->tools) ward_tool_expose_defined(p->free, sizeof(ward_block_t));
        obj = p->free;
        p->free = p->free->next;
    } else {
        obj = p->bump;
        p->bump += p->slot;
    }
    p->live++;
    if (p->tools) {
        ward_tool_unpoison(obj, p->slot);
        VALGRIND_MEMPOOL_ALLOC(p, obj, p->obj_size);
    }
    return obj;
}

WARD_API void *ward_pool_alloc(ward_pool_t *p) {
    if (likely(p != NULL && !p->tools)) {
        ward_block_t *b = p->free;
        if (likely(b != NULL)) {
            p->free = b->next;
            p->live++;
            return b;
        }
        uint8_t *obj = p->bump;
        if (likely(obj + p->slot <= p->bump_end)) {
            p->bump = obj + p->slot;
            p->live++;
            return obj;
        }
    }
    return pool_alloc_slow(p);
}

static WARD_COLD void pool_free_slow(ward_pool_t *p, void *obj) {
    if (!pool_ok(p, "ward_pool_free on something that is not a live pool")) return;
    ward_report_error("invalid pool free", obj, "not an object of this pool");
}

WARD_API void ward_pool_free(ward_pool_t *p, void *obj) {
    if (obj == NULL) return;
    ward_segment_t *seg = ward_segment_of(obj);
    if (unlikely(p == NULL || p->magic != POOL_MAGIC || (uintptr_t)obj == (uintptr_t)seg ||
                 seg->kind != SEGMENT_NORMAL)) {
        pool_free_slow(p, obj);
        return;
    }
    ward_page_t *page = ward_page_of(seg, obj);
    pool_chunk_t *c = (pool_chunk_t *)ward_page_start(page);
    if (unlikely(!(page_flags(page) & PAGE_OWNED) || c->tag != (POOL_MAGIC ^ (uint64_t)(uintptr_t)p))) {
        pool_free_slow(p, obj);
        return;
    }
    /* A slot boundary? (offsets are below 2^21, so the reciprocal is exact) */
    uint64_t offset = (uint64_t)((uint8_t *)obj - c->first);
    if (unlikely((uint8_t *)obj < c->first || ((offset * p->slot_reciprocal) >> 44) * p->slot != offset)) {
        pool_free_slow(p, obj);
        return;
    }
    ward_block_t *b = obj;
    b->next = p->free;
    p->free = b;
    p->live--;
    if (unlikely(p->tools)) {
        VALGRIND_MEMPOOL_FREE(p, obj);
        ward_tool_poison(obj, p->slot); /* pool_alloc_slow unpoisons the link before reading it */
    }
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
    p->magic = 0;
    ward_free(p);
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
