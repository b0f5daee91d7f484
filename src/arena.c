/* Arenas: bump allocation in chunks, released all at once.
 *
 * An arena hands out memory by moving a pointer through its current chunk;
 * when the chunk is full it chains a new one, each twice the size of the last
 * (up to ARENA_CHUNK_MAX). An allocation bigger than the chunks gets a chunk
 * of its own, kept on a separate list, so the current chunk's free space is
 * not lost. Chunks come from ward's heaps (ward_chunk_alloc), so they count
 * in statistics and are purged like any memory, and free() refuses them.
 *
 * Positions and marks: a position is (chunk serial << 32 | offset). Serials
 * only grow, so positions compare in allocation order. A mark records the
 * position, a sequence number (also given to big chunks and cleanups, which
 * tells what came after the mark), and how many rewinds and resets had
 * happened. A mark is stale when a later rewind went below it, or a reset
 * happened since. To tell, the arena keeps a short stack of (rewind number,
 * target) with both increasing: the lowest target of all rewinds after mark
 * m is the first entry whose rewind number exceeds m's. When the stack
 * overflows its oldest entry is dropped, which can only miss a stale mark,
 * never call a good one stale.
 *
 * Cleanups (ward_arena_defer) are records in the arena itself, newest first;
 * they run newest first when a rewind, reset or destroy passes them.
 *
 * Tools: under AddressSanitizer (in the program) memory given back by
 * rewind/reset is poisoned and allocations unpoison what they hand out; under
 * valgrind each chunk is a memcheck mempool and each allocation a block in
 * it. Both are decided once per arena, so the fast path tests one flag.
 */
#include "internal.h"
#include "tools.h"

#define ARENA_MAGIC 0x6172656eu /* "aren" */
#define ARENA_CHUNK_DEFAULT ((size_t)64 << 10)
#define ARENA_CHUNK_MAX ((size_t)64 << 20)
#define ARENA_DEFAULT_ALIGN 16
#define ARENA_HISTORY 32

typedef struct arena_chunk_s {
    uint64_t tag;               /* ARENA_MAGIC: not a pool chunk (see pool.c) */
    struct arena_chunk_s *prev; /* older chunk in the chain, or next older big chunk */
    uint8_t *end;               /* end of usable memory */
    uint64_t serial;            /* regular chunks: position serial; big: sequence */
    size_t used_before;         /* bytes handed out in older chunks of the chain */
    size_t size;                /* bytes of the chunk, header included */
} arena_chunk_t;

#define CHUNK_HEADER ward_align_up(sizeof(arena_chunk_t), 64)

typedef struct arena_defer_s {
    struct arena_defer_s *next;
    void (*fn)(void *);
    void *arg;
    uint64_t seq;
} arena_defer_t;

typedef struct rewind_entry_s {
    uint64_t rewind; /* rewind number */
    uint64_t target; /* position it went back to */
} rewind_entry_t;

struct ward_arena_s {
    /* First, for the inline fast path of ward.h: next free byte of the
     * current chunk, and its end (NULL when `tools`: every allocation is
     * annotated, so none may take the inline path). */
    struct ward_arena_cursor_s cursor;
    uint8_t *end;                /* end of the current chunk */
    arena_chunk_t *chunk;        /* current chunk, newest of the chain */
    uint32_t magic;
    uint8_t tools;               /* ASan or valgrind present: annotate */
    uint8_t running_defers;
    size_t chunk_size;           /* size of the next chunk */
    size_t reserved;             /* bytes of all chunks */
    size_t big_used;             /* bytes handed out from big chunks */
    arena_chunk_t *big;          /* big chunks, newest first */
    arena_chunk_t *spare;        /* a chunk freed by a rewind, kept for reuse */
    arena_defer_t *defers;       /* newest first */
    uint64_t next_serial;
    uint64_t seq;
    uint64_t rewinds;
    uint64_t resets;
    unsigned history_len;
    rewind_entry_t history[ARENA_HISTORY];
};

static inline uint8_t *chunk_data(arena_chunk_t *c) {
    return (uint8_t *)c + CHUNK_HEADER;
}

static inline uint64_t position_of(const ward_arena_t *a) {
    return (a->chunk->serial << 32) | (uint64_t)(a->cursor.next_ - chunk_data(a->chunk));
}

static bool arena_ok(const ward_arena_t *a, const char *what) {
    if (likely(a != NULL && a->magic == ARENA_MAGIC)) return true;
    ward_report_error("invalid arena", a, what);
    errno = EINVAL;
    return false;
}

/* ---- chunks ------------------------------------------------------------------ */

static arena_chunk_t *chunk_new(ward_arena_t *a, size_t want) {
    size_t usable = 0;
    arena_chunk_t *c = ward_chunk_alloc(want, &usable);
    if (c == NULL) return NULL;
    c->tag = ARENA_MAGIC;
    c->size = usable;
    c->end = (uint8_t *)c + usable;
    a->reserved += usable;
    if (a->tools) {
        VALGRIND_CREATE_MEMPOOL(c, 0, 0);
        ward_tool_poison(chunk_data(c), (size_t)(c->end - chunk_data(c)));
    }
    return c;
}

static void chunk_release(ward_arena_t *a, arena_chunk_t *c) {
    a->reserved -= c->size;
    if (a->tools) {
        VALGRIND_DESTROY_MEMPOOL(c);
        if (__asan_unpoison_memory_region != NULL) __asan_unpoison_memory_region(c, c->size);
        VALGRIND_MAKE_MEM_DEFINED(c, c->size);
    }
    ward_chunk_free(c);
}

static void set_chunk_end(ward_arena_t *a, uint8_t *end) {
    a->end = end;
    a->cursor.limit_ = a->tools ? NULL : end;
}

/* Makes `c` (fresh or the spare) the current chunk. */
static void chunk_push(ward_arena_t *a, arena_chunk_t *c) {
    c->used_before = a->chunk != NULL ? a->chunk->used_before + (size_t)(a->cursor.next_ - chunk_data(a->chunk)) : 0;
    c->prev = a->chunk;
    c->serial = a->next_serial++;
    a->chunk = c;
    a->cursor.next_ = chunk_data(c);
    set_chunk_end(a, c->end);
}

/* ---- allocation ---------------------------------------------------------------- */

/* Tells ASan/valgrind about an allocation: out of line, so the fast path
 * keeps no stack frame for the client request. */
static WARD_COLD void *arena_annotate_slow(arena_chunk_t *c, void *p, size_t size) {
    ward_tool_unpoison(p, size);
    VALGRIND_MEMPOOL_ALLOC(c, p, size);
    return p;
}

static inline void *arena_annotate(ward_arena_t *a, arena_chunk_t *c, void *p, size_t size) {
    if (unlikely(a->tools)) return arena_annotate_slow(c, p, size);
    return p;
}

static WARD_COLD void *arena_alloc_slow(ward_arena_t *a, size_t size, size_t align) {
    if (!arena_ok(a, "ward_arena_alloc on something that is not a live arena")) return NULL;
    if (align == 0) align = ARENA_DEFAULT_ALIGN;
    if ((align & (align - 1)) != 0) {
        errno = EINVAL;
        return NULL;
    }
    if (size > WARD_MAX_REQUEST || align > WARD_MAX_REQUEST / 4) {
        errno = ENOMEM;
        return NULL;
    }
    if (size == 0) size = 1;
    uint8_t *p = (uint8_t *)ward_align_up((uintptr_t)a->cursor.next_, align);
    if (p <= a->end && size <= (size_t)(a->end - p)) {
        a->cursor.next_ = p + size;
        return arena_annotate(a, a->chunk, p, size);
    }
    size_t need = CHUNK_HEADER + align + size;
    if (need > a->chunk_size / 2) {
        /* Bigger than the chunks: a chunk of its own, off the chain. */
        arena_chunk_t *c = chunk_new(a, need);
        if (c == NULL) return NULL;
        c->serial = ++a->seq;
        c->used_before = size; /* big chunks: the bytes handed out */
        c->prev = a->big;
        a->big = c;
        a->big_used += size;
        p = (uint8_t *)ward_align_up((uintptr_t)chunk_data(c), align);
        return arena_annotate(a, c, p, size);
    }
    arena_chunk_t *c = NULL;
    if (a->spare != NULL && a->spare->size >= need) {
        c = a->spare;
        a->spare = NULL;
    } else {
        c = chunk_new(a, a->chunk_size);
        if (c == NULL) return NULL;
        a->chunk_size = c->size < ARENA_CHUNK_MAX / 2 ? c->size * 2 : ARENA_CHUNK_MAX;
    }
    chunk_push(a, c);
    p = (uint8_t *)ward_align_up((uintptr_t)a->cursor.next_, align);
    a->cursor.next_ = p + size;
    return arena_annotate(a, c, p, size);
}

WARD_API void *ward_arena_alloc(ward_arena_t *a, size_t size, size_t align) {
    /* Fast path: a valid alignment (0 means the default), a size of at
     * least one byte, and room left; one test each. */
    uintptr_t mask = align ? align - 1 : ARENA_DEFAULT_ALIGN - 1;
    if (likely(a != NULL && (align & mask) == 0 && size != 0)) {
        uintptr_t p = ((uintptr_t)a->cursor.next_ + mask) & ~mask;
        uintptr_t end = p + size;
        if (likely(end <= (uintptr_t)a->end && end > p)) {
            a->cursor.next_ = (uint8_t *)end;
            return arena_annotate(a, a->chunk, (void *)p, size);
        }
    }
    return arena_alloc_slow(a, size, align);
}

WARD_API char *ward_arena_strdup(ward_arena_t *a, const char *s) {
    if (s == NULL) {
        errno = EINVAL;
        return NULL;
    }
    size_t n = strlen(s) + 1;
    char *p = ward_arena_alloc(a, n, 1);
    if (p != NULL) memcpy(p, s, n);
    return p;
}

WARD_API char *ward_arena_strndup(ward_arena_t *a, const char *s, size_t max) {
    if (s == NULL) {
        errno = EINVAL;
        return NULL;
    }
    size_t n = strnlen(s, max);
    char *p = ward_arena_alloc(a, n + 1, 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

WARD_API void *ward_arena_memdup(ward_arena_t *a, const void *src, size_t n) {
    if (src == NULL && n != 0) {
        errno = EINVAL;
        return NULL;
    }
    void *p = ward_arena_alloc(a, n, 0);
    if (p != NULL && n != 0) memcpy(p, src, n);
    return p;
}

/* ---- lifetime ------------------------------------------------------------------------ */

WARD_API ward_arena_t *ward_arena_new(size_t chunk_size) {
    if (chunk_size > ARENA_CHUNK_MAX) {
        errno = ENOMEM;
        return NULL;
    }
    ward_arena_t *a = ward_malloc(sizeof *a);
    if (a == NULL) return NULL;
    memset(a, 0, sizeof *a);
    a->magic = ARENA_MAGIC;
    a->tools = ward_asan_active() || ward_valgrind_active();
    a->chunk_size = chunk_size == 0 ? ARENA_CHUNK_DEFAULT : ward_align_up(chunk_size, 4096);
    a->next_serial = 1;
    arena_chunk_t *c = chunk_new(a, a->chunk_size);
    if (c == NULL) {
        ward_free(a);
        return NULL;
    }
    /* The first chunk may be bigger than asked (slices are 64 KiB): the next
     * one is twice what was received. */
    a->chunk_size = c->size < ARENA_CHUNK_MAX / 2 ? c->size * 2 : ARENA_CHUNK_MAX;
    chunk_push(a, c);
    return a;
}

/* Runs the cleanups registered after sequence number `seq`, newest first. */
static void run_defers(ward_arena_t *a, uint64_t seq) {
    a->running_defers = 1;
    while (a->defers != NULL && a->defers->seq > seq) {
        arena_defer_t *d = a->defers;
        a->defers = d->next;
        d->fn(d->arg);
    }
    a->running_defers = 0;
}

static void release_big_after(ward_arena_t *a, uint64_t seq) {
    while (a->big != NULL && a->big->serial > seq) {
        arena_chunk_t *c = a->big;
        a->big = c->prev;
        a->big_used -= c->used_before;
        chunk_release(a, c);
    }
}

/* Keeps the bigger of `c` and the spare; releases the other. */
static void keep_spare(ward_arena_t *a, arena_chunk_t *c) {
    if (a->spare == NULL || a->spare->size < c->size) {
        if (a->spare != NULL) chunk_release(a, a->spare);
        a->spare = c;
        if (a->tools) {
            VALGRIND_MEMPOOL_TRIM(c, chunk_data(c), 0);
            ward_tool_poison(chunk_data(c), (size_t)(c->end - chunk_data(c)));
        }
    } else {
        chunk_release(a, c);
    }
}

static void history_push(ward_arena_t *a, uint64_t target) {
    a->rewinds++;
    while (a->history_len > 0 && a->history[a->history_len - 1].target >= target) a->history_len--;
    if (a->history_len == ARENA_HISTORY) {
        memmove(&a->history[0], &a->history[1], sizeof a->history[0] * (ARENA_HISTORY - 1));
        a->history_len--;
    }
    a->history[a->history_len].rewind = a->rewinds;
    a->history[a->history_len].target = target;
    a->history_len++;
}

static bool mark_is_stale(const ward_arena_t *a, const ward_arena_mark_t *m) {
    if (m->resets_ != a->resets) return true;
    if (m->pos_ > position_of(a)) return true;
    for (unsigned i = 0; i < a->history_len; i++)
        if (a->history[i].rewind > m->rewinds_) return a->history[i].target < m->pos_;
    return false;
}

WARD_API ward_arena_mark_t ward_arena_mark(ward_arena_t *a) {
    ward_arena_mark_t m;
    memset(&m, 0, sizeof m);
    if (!arena_ok(a, "ward_arena_mark on something that is not a live arena")) return m;
    m.arena_ = a;
    m.pos_ = position_of(a);
    m.seq_ = ++a->seq;
    m.rewinds_ = a->rewinds;
    m.resets_ = a->resets;
    return m;
}

WARD_API void ward_arena_rewind(ward_arena_t *a, ward_arena_mark_t m) {
    if (!arena_ok(a, "ward_arena_rewind on something that is not a live arena")) return;
    if (m.arena_ != a) {
        ward_report_error("invalid arena mark", m.arena_, "the mark belongs to another arena");
        return;
    }
    if (a->running_defers) {
        ward_report_error("invalid arena use", a, "rewind from inside one of its own cleanups");
        return;
    }
    if (mark_is_stale(a, &m)) {
        ward_report_error("stale arena mark", a, "an earlier rewind or reset already released what it marks");
        return;
    }
    uint64_t serial = m.pos_ >> 32;
    size_t offset = (size_t)(m.pos_ & 0xffffffffu);
    arena_chunk_t *c = a->chunk;
    while (c != NULL && c->serial > serial) c = c->prev;
    if (c == NULL || c->serial != serial || offset > (size_t)(c->end - chunk_data(c))) {
        ward_report_error("stale arena mark", a, "the memory it marks was already released");
        return;
    }
    run_defers(a, m.seq_);
    release_big_after(a, m.seq_);
    while (a->chunk->serial > serial) {
        arena_chunk_t *c = a->chunk;
        a->chunk = c->prev;
        keep_spare(a, c);
    }
    uint8_t *target = chunk_data(a->chunk) + offset;
    if (a->tools) {
        VALGRIND_MEMPOOL_TRIM(a->chunk, chunk_data(a->chunk), offset);
        ward_tool_poison(target, (size_t)(a->chunk->end - target));
    }
    a->cursor.next_ = target;
    set_chunk_end(a, a->chunk->end);
    history_push(a, m.pos_);
}

WARD_API int ward_arena_defer(ward_arena_t *a, void (*fn)(void *), void *arg) {
    if (!arena_ok(a, "ward_arena_defer on something that is not a live arena")) return -1;
    if (fn == NULL) {
        errno = EINVAL;
        return -1;
    }
    arena_defer_t *d = ward_arena_alloc(a, sizeof *d, _Alignof(arena_defer_t));
    if (d == NULL) return -1;
    d->fn = fn;
    d->arg = arg;
    d->seq = ++a->seq;
    d->next = a->defers;
    a->defers = d;
    return 0;
}

static void release_all_but(ward_arena_t *a, arena_chunk_t *keep) {
    release_big_after(a, 0);
    while (a->chunk != NULL) {
        arena_chunk_t *c = a->chunk;
        a->chunk = c->prev;
        if (c != keep) chunk_release(a, c);
    }
    if (a->spare != NULL && a->spare != keep) chunk_release(a, a->spare);
    a->spare = NULL;
}

WARD_API void ward_arena_reset(ward_arena_t *a) {
    if (!arena_ok(a, "ward_arena_reset on something that is not a live arena")) return;
    if (a->running_defers) {
        ward_report_error("invalid arena use", a, "reset from inside one of its own cleanups");
        return;
    }
    run_defers(a, 0);
    /* Keep the largest chunk (the newest of the chain, or the spare). */
    arena_chunk_t *keep = a->chunk;
    if (a->spare != NULL && a->spare->size > keep->size) keep = a->spare;
    release_all_but(a, keep);
    a->chunk = NULL;
    keep->prev = NULL;
    if (a->tools) {
        VALGRIND_MEMPOOL_TRIM(keep, chunk_data(keep), 0);
        ward_tool_poison(chunk_data(keep), (size_t)(keep->end - chunk_data(keep)));
    }
    chunk_push(a, keep);
    a->resets++;
    a->rewinds++;
    a->history_len = 0;
}

WARD_API void ward_arena_destroy(ward_arena_t *a) {
    if (a == NULL) return;
    if (!arena_ok(a, "ward_arena_destroy of something that is not a live arena")) return;
    if (a->running_defers) {
        ward_report_error("invalid arena use", a, "destroy from inside one of its own cleanups");
        return;
    }
    run_defers(a, 0);
    release_all_but(a, NULL);
    static ward_retired_t retired;
    a->magic = 0;
    a->cursor.next_ = a->cursor.limit_ = NULL;
    a->end = NULL;
    ward_handle_retire(&retired, a);
}

WARD_API size_t ward_arena_used(const ward_arena_t *a) {
    if (!arena_ok(a, "ward_arena_used on something that is not a live arena")) return 0;
    return a->chunk->used_before + (size_t)(a->cursor.next_ - chunk_data(a->chunk)) + a->big_used;
}

WARD_API size_t ward_arena_reserved(const ward_arena_t *a) {
    if (!arena_ok(a, "ward_arena_reserved on something that is not a live arena")) return 0;
    return a->reserved;
}
