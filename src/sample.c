/* Sampled guard slots (WARD_SAMPLE=N, every mode): about one allocation in
 * N of at most a page is placed in a slot of its own, against an
 * inaccessible guard page, and made inaccessible when freed. An access past
 * its end, or after its free, faults at once; the SIGSEGV handler turns the
 * fault into a ward report (with the stacks of the block's allocation and
 * free) and then lets the program die of the signal as it would have.
 *
 * Slots live in one 4 MiB sample segment (kind SEGMENT_SAMPLE, owned by no
 * heap, so free() sends them to the slow path): its first slices hold the
 * slot records, then come slots of two pages each, data then guard. A freed
 * slot stays inaccessible while the next freed slots queue behind it, so a
 * use after free is caught for a while; the oldest freed slot is reused.
 *
 * The cost: a sampled allocation makes two mprotect calls (on allocation and
 * on free). Sampling is decided on the heap's slow path, by a countdown
 * lowered by the number of blocks the fast path will hand out before it
 * comes back, so the fast path itself carries nothing for it.
 */
#include "internal.h"

#include <signal.h>
#include <stdlib.h>

#define SLOT_PAGES 2
#define META_SLICES 3

typedef struct slot_s {
    uint8_t *user;        /* NULL: never used */
    size_t size;
    uint8_t state;        /* 0 free (never used), 1 live, 2 freed */
    uint8_t alloc_n, free_n;
    uint32_t depot_stack; /* debug builds: the allocation stack in the depot (leak report) */
    uintptr_t alloc_pcs[WARD_STACK_DEPTH];
    uintptr_t free_pcs[WARD_STACK_DEPTH];
} slot_t;

_Atomic(ward_segment_t *) ward_sample_segment; /* NULL until the first sample */

static inline ward_segment_t *sample_segment(void) {
    return atomic_load_explicit(&ward_sample_segment, memory_order_acquire);
}
static slot_t *slots;
static size_t slot_count;
static size_t page_size;
static pthread_mutex_t sample_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t *freed_ring; /* indexes of freed slots, oldest first */
static size_t freed_head, freed_len;
static size_t next_fresh;
static struct sigaction previous_segv;
static _Atomic(int) sample_state; /* 0 not set up, 1 ready, 2 failed */

static inline uint8_t *slot_data(size_t i) {
    return (uint8_t *)sample_segment() + ((size_t)META_SLICES << WARD_SLICE_SHIFT) + i * SLOT_PAGES * page_size;
}

static void fault_handler(int sig, siginfo_t *info, void *ctx);

/* fork: held across it like every ward lock, so the child never inherits it
 * taken by a thread that does not exist there. */
void ward_sample_lock(void) {
    pthread_mutex_lock(&sample_lock);
}

void ward_sample_unlock(bool child) {
    if (child) pthread_mutex_init(&sample_lock, NULL);
    else pthread_mutex_unlock(&sample_lock);
}

static bool sample_setup(void) {
    int st = atomic_load_explicit(&sample_state, memory_order_acquire);
    if (st != 0) return st == 1;
    pthread_mutex_lock(&sample_lock);
    if (atomic_load(&sample_state) == 0) {
        page_size = os_page_size();
        ward_segment_t *seg = os_reserve(WARD_SEGMENT_SIZE, WARD_SEGMENT_SIZE);
        bool ok = seg != NULL;
        if (ok) {
            size_t meta = (size_t)META_SLICES << WARD_SLICE_SHIFT;
            slot_count = (WARD_SEGMENT_SIZE - meta) / (SLOT_PAGES * page_size);
            size_t records = sizeof(ward_segment_t) + 64;
            slots = (slot_t *)((uint8_t *)seg + ward_align_up(records, 64));
            freed_ring = (size_t *)(slots + slot_count);
            ok = (uint8_t *)(freed_ring + slot_count) <= (uint8_t *)seg + meta &&
                 os_protect((uint8_t *)seg + meta, WARD_SEGMENT_SIZE - meta, false);
            if (!ok) os_release(seg, WARD_SEGMENT_SIZE);
        }
        if (ok) {
            seg->magic = WARD_SEGMENT_MAGIC;
            seg->kind = SEGMENT_SAMPLE;
            atomic_store_explicit(&seg->heap, NULL, memory_order_relaxed);
            memset(&seg->pages[0], 0, sizeof seg->pages[0]);
            for (size_t i = 0; i < WARD_SLICES; i++) seg->slice_page[i] = &seg->pages[0];
#if WARD_GUARD
            ward_segmap_set(seg, WARD_SEGMENT_SIZE, 1);
#endif
            atomic_store_explicit(&ward_sample_segment, seg, memory_order_release);
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_sigaction = fault_handler;
            sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
            sigemptyset(&sa.sa_mask);
            sigaction(SIGSEGV, &sa, &previous_segv);
        }
        atomic_store_explicit(&sample_state, ok ? 1 : 2, memory_order_release);
    }
    pthread_mutex_unlock(&sample_lock);
    return atomic_load(&sample_state) == 1;
}

/* The current stack for a sampled block or its report. The fast build has
 * no frame pointers to follow: without the DWARF unwinder (loaded when
 * WARD_SAMPLE is set, or present in the program) it records none rather
 * than walk saved registers that may point anywhere. */
static size_t sample_stack(uintptr_t *pcs) {
    if (!WARD_GUARD && !ward_stack_exact_available()) return 0;
    return ward_stack_capture_user(pcs, WARD_STACK_DEPTH, true);
}

/* What a sampled block adds to in_use: its size when counting exactly,
 * else its page, as pages are counted. */
static int64_t sample_in_use_bytes(size_t size) {
    return (int64_t)(ward_options.stats ? size : page_size);
}

void *ward_sample_alloc(size_t size, bool zero) {
    if (size > 4096 || !sample_setup()) return NULL;
    /* The stack is taken before the lock: unwinding may take the dynamic
     * linker's lock, which a thread inside dlopen holds while it allocates. */
    uintptr_t pcs[WARD_STACK_DEPTH];
    size_t depth = sample_stack(pcs);
    uint32_t depot_stack = WARD_GUARD >= 2 ? ward_stack_record() : 0;
    pthread_mutex_lock(&sample_lock);
    size_t i;
    if (next_fresh < slot_count) {
        i = next_fresh++;
    } else if (freed_len > 0) {
        i = freed_ring[freed_head];
        freed_head = (freed_head + 1) % slot_count;
        freed_len--;
    } else {
        pthread_mutex_unlock(&sample_lock);
        return NULL; /* every slot live: not sampled this time */
    }
    slot_t *s = &slots[i];
    uint8_t *data = slot_data(i);
    if (!os_protect(data, page_size, true)) {
        pthread_mutex_unlock(&sample_lock);
        return NULL;
    }
    size_t n = size == 0 ? 1 : size;
    /* Against the guard page, keeping the usual 16-byte alignment. */
    uint8_t *user = data + page_size - ward_align_up(n, WARD_ALIGNMENT);
    s->user = user;
    s->size = size;
    s->state = 1;
    s->free_n = 0;
    s->alloc_n = (uint8_t)depth;
    memcpy(s->alloc_pcs, pcs, depth * sizeof pcs[0]);
    s->depot_stack = depot_stack;
    pthread_mutex_unlock(&sample_lock);
    ward_stats_account(NULL, sample_in_use_bytes(size));
    if (zero) memset(user, 0, size);
    /* The alignment slack after the block must stay as it is. */
    memset(user + size, 0xa5, (size_t)(data + page_size - user) - size);
    return user;
}

static slot_t *slot_of(const void *p, size_t *index) {
    if (sample_segment() == NULL) return NULL;
    uint8_t *base = slot_data(0);
    if ((const uint8_t *)p < base || (const uint8_t *)p >= (uint8_t *)sample_segment() + WARD_SEGMENT_SIZE) return NULL;
    size_t i = (size_t)((const uint8_t *)p - base) / (SLOT_PAGES * page_size);
    if (i >= slot_count) return NULL;
    *index = i;
    return &slots[i];
}


ward_sample_kind_t ward_sample_lookup(const void *p, size_t *size) {
    size_t i;
    slot_t *s = slot_of(p, &i);
    *size = 0;
    if (s == NULL || p != s->user) return WARD_SAMPLE_OTHER;
    if (s->state == 2) return WARD_SAMPLE_FREED;
    if (s->state != 1) return WARD_SAMPLE_OTHER;
    *size = s->size;
    return WARD_SAMPLE_LIVE;
}

size_t ward_sample_usable(const void *p) {
    size_t size;
    ward_sample_lookup(p, &size);
    return size;
}

void ward_sample_free(void *p) {
    size_t i;
    slot_t *s = slot_of(p, &i);
    uintptr_t pcs[WARD_STACK_DEPTH];
    size_t depth = sample_stack(pcs); /* before the lock: see above */
    pthread_mutex_lock(&sample_lock);
    if (s == NULL || s->state != 1 || p != s->user) {
        bool twice = s != NULL && s->state == 2 && p == s->user;
        pthread_mutex_unlock(&sample_lock);
        ward_report(twice ? "double free" : "invalid free", p,
                    twice ? "a sampled block, freed already" : "not a block ward handed out",
                    twice ? "freed here:    " : NULL, 0, 0, NULL);
        return;
    }
    uint8_t *end = slot_data(i) + page_size;
    for (uint8_t *q = s->user + s->size; q < end; q++) {
        if (*q != 0xa5) {
            pthread_mutex_unlock(&sample_lock);
            char detail[96];
            ward_buf_t b = {detail, 0, sizeof detail - 1};
            ward_buf_str(&b, "sampled block of ");
            ward_buf_u64(&b, s->size);
            ward_buf_str(&b, " bytes: written past its end");
            detail[b.len] = 0;
            ward_report("heap buffer overflow", p, detail, NULL, 0, 0, NULL);
            return;
        }
    }
    s->state = 2;
    s->free_n = (uint8_t)depth;
    memcpy(s->free_pcs, pcs, depth * sizeof pcs[0]);
    size_t size = s->size;
    os_protect(slot_data(i), page_size, false);
    freed_ring[(freed_head + freed_len) % slot_count] = i;
    freed_len++;
    pthread_mutex_unlock(&sample_lock);
    ward_stats_account(NULL, -sample_in_use_bytes(size));
}

/* ---- the fault handler ------------------------------------------------------------------- */

static void fault_handler(int sig, siginfo_t *info, void *ctx) {
    (void)ctx;
    uint8_t *addr = info->si_addr;
    size_t i;
    slot_t *s = slot_of(addr, &i);
    if (s == NULL || s->user == NULL || info->si_code <= 0) {
        /* Not ours: give it to whoever handled it before, as if we had never
         * been there. A fault happens again on return; a signal that was
         * sent (kill, raise: si_code <= 0) is sent again. */
        sigaction(SIGSEGV, &previous_segv, NULL);
        if (info->si_code <= 0) raise(sig);
        return;
    }
    /* Static: the handler may run on a small alternate stack, and the
     * process dies right after the report. */
    static char text[16384];
    ward_buf_t b = {text, 0, sizeof text};
    bool freed = s->state == 2;
    bool in_data = addr < slot_data(i) + page_size;
    ward_buf_str(&b, "ward: error: ");
    ward_buf_str(&b, freed && in_data ? "use after free" : "heap buffer overflow");
    ward_buf_str(&b, " of ");
    ward_buf_hex(&b, (uint64_t)(uintptr_t)addr);
    ward_buf_str(&b, " (sampled block of ");
    ward_buf_u64(&b, s->size);
    ward_buf_str(&b, " bytes at ");
    ward_buf_hex(&b, (uint64_t)(uintptr_t)s->user);
    if (addr >= s->user + s->size) {
        ward_buf_str(&b, ", ");
        ward_buf_u64(&b, (uint64_t)(addr - (s->user + s->size)));
        ward_buf_str(&b, " bytes past its end");
    } else if (addr >= s->user) {
        ward_buf_str(&b, ", offset ");
        ward_buf_u64(&b, (uint64_t)(addr - s->user));
    }
    ward_buf_str(&b, ")\n");
    uintptr_t pcs[WARD_STACK_DEPTH];
    size_t n = sample_stack(pcs);
    /* The first frame past ward's own is the signal trampoline. */
    ward_stack_print(&b, "accessed here: ", n > 0 ? pcs + 1 : pcs, n > 0 ? n - 1 : 0);
    if (freed) ward_stack_print(&b, "freed at:      ", s->free_pcs, s->free_n);
    ward_stack_print(&b, "allocated at:  ", s->alloc_pcs, s->alloc_n);
    ward_buf_flush(&b, ward_options.log_fd);
    /* Die of the signal, as the program would have without ward. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
}

/* Live sampled blocks, for the leak report. */
void ward_sample_visit(void (*add)(void *arg, uintptr_t lo, uintptr_t hi, uint32_t stack), void *arg) {
    if (sample_segment() == NULL) return;
    pthread_mutex_lock(&sample_lock);
    for (size_t i = 0; i < slot_count; i++)
        if (slots[i].state == 1)
            add(arg, (uintptr_t)slots[i].user, (uintptr_t)slots[i].user + slots[i].size, slots[i].depot_stack);
    pthread_mutex_unlock(&sample_lock);
}
