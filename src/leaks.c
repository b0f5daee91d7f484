/* The leak report at exit (guard builds; on by default in debug builds,
 * WARD_LEAKS=0/1 to choose).
 *
 * A block still allocated at exit is a leak when nothing points to it any
 * more: ward marks every block reachable from the program's globals (the
 * writable segments of every loaded object) and the main thread's stack,
 * following pointers inside reachable blocks, as LeakSanitizer does. A
 * pointer anywhere into a block counts. Blocks left unmarked are reported,
 * grouped by the stack that allocated them (debug builds) or by size
 * (hardened builds, which record no stacks), largest group first; blocks
 * still reachable are only counted.
 *
 * Only the thread running the exit handlers is scanned: blocks held only by
 * other threads that are still running may be reported as leaks.
 */
#include "internal.h"

#if WARD_GUARD

#include <link.h>

extern void *__libc_stack_end;

#define MAX_GROUPS_SHOWN 20
/* glibc's struct pthread starts at the thread pointer: its dtv and
 * thread-specific data lead to blocks the program cannot name. */
#define THREAD_CONTROL_BLOCK 2304

typedef struct leak_block_s {
    uintptr_t lo, hi;     /* user data */
    uint32_t stack;       /* allocation stack, 0 if none */
    uint32_t marked;
} leak_block_t;

typedef struct leak_state_s {
    leak_block_t *blocks;
    size_t count, cap;
    uintptr_t *work;
    size_t work_len, work_cap;
    size_t map_bytes, work_bytes;
} leak_state_t;

static void add_block(leak_state_t *st, uintptr_t lo, uintptr_t hi, uint32_t stack) {
    if (st->count == st->cap) return; /* out of room: the report covers what fit */
    st->blocks[st->count].lo = lo;
    st->blocks[st->count].hi = hi;
    st->blocks[st->count].stack = stack;
    st->blocks[st->count].marked = 0;
    st->count++;
}

static void add_block_cb(void *arg, uintptr_t lo, uintptr_t hi, uint32_t stack) {
    add_block(arg, lo, hi, stack);
}

static void visit_segment(ward_segment_t *seg, void *arg) {
    leak_state_t *st = arg;
    ward_page_t *pages[WARD_SLICES];
    size_t count = ward_segment_pages(seg, pages);
    for (size_t j = 0; j < count; j++) {
        ward_page_t *page = pages[j];
        if (page_flags(page) & (PAGE_OWNED | PAGE_INVALID)) continue;
        uint8_t *start = ward_page_blocks(page);
        size_t n = page->bin == WARD_BIN_LARGE ? 1 : page->capacity;
        for (size_t k = 0; k < n; k++) {
            uint8_t *block = start + k * page->block_size;
            size_t uoff, end;
            uint32_t stack;
            if (ward_guard_block_info(seg, page, block, &uoff, &end, &stack))
                add_block(st, (uintptr_t)block + uoff, (uintptr_t)block + end, stack);
        }
    }
}

static void sort_blocks(leak_block_t *a, size_t n) {
    /* Shell sort: no allocation, fine for an exit-time report. */
    static const size_t gaps[] = {88573, 29524, 9841, 3280, 1093, 364, 121, 40, 13, 4, 1};
    for (size_t g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
        size_t gap = gaps[g];
        for (size_t i = gap; i < n; i++) {
            leak_block_t t = a[i];
            size_t j = i;
            while (j >= gap && a[j - gap].lo > t.lo) {
                a[j] = a[j - gap];
                j -= gap;
            }
            a[j] = t;
        }
    }
}

static leak_block_t *find_block(leak_state_t *st, uintptr_t p) {
    size_t lo = 0, hi = st->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (st->blocks[mid].hi <= p) lo = mid + 1;
        else hi = mid;
    }
    if (lo < st->count && st->blocks[lo].lo <= p && p < st->blocks[lo].hi) return &st->blocks[lo];
    return NULL;
}

static void scan_range(leak_state_t *st, uintptr_t lo, uintptr_t hi) {
    lo = ward_align_up(lo, sizeof(uintptr_t));
    for (uintptr_t a = lo; a + sizeof(uintptr_t) <= hi; a += sizeof(uintptr_t)) {
        uintptr_t v = *(const uintptr_t *)a;
        leak_block_t *b = find_block(st, v);
        if (b == NULL || b->marked) continue;
        b->marked = 1;
        if (st->work_len < st->work_cap) st->work[st->work_len++] = (uintptr_t)(b - st->blocks);
    }
}

static void drain(leak_state_t *st) {
    while (st->work_len > 0) {
        leak_block_t *b = &st->blocks[st->work[--st->work_len]];
        scan_range(st, b->lo, b->hi);
    }
}

static int scan_object(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    leak_state_t *st = arg;
    for (unsigned i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W)) lo = info->dlpi_addr + ph->p_vaddr;
        else if (ph->p_type == PT_TLS && info->dlpi_tls_data != NULL) lo = (uintptr_t)info->dlpi_tls_data;
        else continue;
        scan_range(st, lo, lo + ph->p_memsz);
        drain(st);
    }
    return 0;
}

typedef struct group_s {
    uint32_t stack;
    size_t size;     /* hardened: the size being grouped */
    size_t blocks, bytes;
    uintptr_t first;
} group_t;

static void leak_summary(const leak_state_t *st, group_t *groups, size_t ngroups) {
    size_t leaked = 0, leaked_bytes = 0, reachable = 0, reachable_bytes = 0;
    for (size_t i = 0; i < st->count; i++) {
        size_t n = st->blocks[i].hi - st->blocks[i].lo;
        if (st->blocks[i].marked) {
            reachable++;
            reachable_bytes += n;
        } else {
            leaked++;
            leaked_bytes += n;
        }
    }
    char text[512];
    ward_buf_t b = {text, 0, sizeof text};
    ward_buf_str(&b, "ward: leak summary: ");
    ward_buf_u64(&b, leaked_bytes);
    ward_buf_str(&b, " bytes leaked in ");
    ward_buf_u64(&b, leaked);
    ward_buf_str(&b, leaked == 1 ? " block" : " blocks");
    ward_buf_str(&b, " from ");
    ward_buf_u64(&b, ngroups);
    ward_buf_str(&b, WARD_GUARD >= 2 ? (ngroups == 1 ? " place" : " places") : (ngroups == 1 ? " size" : " sizes"));
    ward_buf_str(&b, "; ");
    ward_buf_u64(&b, reachable_bytes);
    ward_buf_str(&b, " bytes in ");
    ward_buf_u64(&b, reachable);
    ward_buf_str(&b, " blocks still reachable at exit\n");
    ward_buf_flush(&b, ward_options.log_fd);
    (void)groups;
}

void ward_leak_report(void) {
    if (!ward_options.leaks) return;
    leak_state_t st;
    memset(&st, 0, sizeof st);
    st.cap = (size_t)1 << 24;
    st.map_bytes = st.cap * sizeof(leak_block_t);
    st.blocks = os_reserve(st.map_bytes, os_page_size());
    st.work_cap = st.cap;
    st.work_bytes = st.work_cap * sizeof(uintptr_t);
    st.work = os_reserve(st.work_bytes, os_page_size());
    if (st.blocks == NULL || st.work == NULL) return;

    ward_segments_visit(visit_segment, &st);
    ward_guard_huge_visit(add_block_cb, &st);
    ward_sample_visit(add_block_cb, &st);
    sort_blocks(st.blocks, st.count);

    /* Roots: globals and this thread's TLS of every object, the thread's
     * control block (which leads to dynamic TLS), and its stack. */
    dl_iterate_phdr(scan_object, &st);
    uintptr_t tp = (uintptr_t)__builtin_thread_pointer();
    scan_range(&st, tp, tp + THREAD_CONTROL_BLOCK);
    drain(&st);
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    if (__libc_stack_end != NULL && (uintptr_t)__libc_stack_end > sp) {
        scan_range(&st, sp, (uintptr_t)__libc_stack_end);
        drain(&st);
    }

    /* The dynamic linker's own allocations count as reachable (answers
     * cached per stack id: the lookup walks the loaded objects). */
    static uint32_t cache_id[256];
    static bool cache_answer[256];
    for (size_t i = 0; i < st.count; i++) {
        uint32_t id = st.blocks[i].stack;
        if (st.blocks[i].marked || id == 0) continue;
        unsigned slot = id & 255;
        if (cache_id[slot] != id) {
            cache_id[slot] = id;
            cache_answer[slot] = ward_stack_from_loader(id);
        }
        if (cache_answer[slot]) st.blocks[i].marked = 1;
    }

    /* Group what is left by stack (or size), biggest first. */
    group_t *groups = (group_t *)st.work; /* the worklist is empty now: reuse its memory */
    size_t max_groups = st.work_bytes / sizeof(group_t), ngroups = 0;
    for (size_t i = 0; i < st.count; i++) {
        const leak_block_t *lb = &st.blocks[i];
        if (lb->marked) continue;
        size_t size = lb->hi - lb->lo;
        size_t g = 0;
        for (; g < ngroups; g++)
            if (WARD_GUARD >= 2 ? groups[g].stack == lb->stack : groups[g].size == size) break;
        if (g == ngroups) {
            if (ngroups == max_groups || ngroups == 4096) continue;
            groups[ngroups].stack = lb->stack;
            groups[ngroups].size = size;
            groups[ngroups].blocks = 0;
            groups[ngroups].bytes = 0;
            groups[ngroups].first = lb->lo;
            ngroups++;
        }
        groups[g].blocks++;
        groups[g].bytes += size;
    }
    for (size_t i = 1; i < ngroups; i++) {
        group_t t = groups[i];
        size_t j = i;
        while (j > 0 && groups[j - 1].bytes < t.bytes) {
            groups[j] = groups[j - 1];
            j--;
        }
        groups[j] = t;
    }
    for (size_t g = 0; g < ngroups && g < MAX_GROUPS_SHOWN; g++) {
        char detail[160];
        ward_buf_t b = {detail, 0, sizeof detail - 1};
        ward_buf_u64(&b, groups[g].bytes);
        ward_buf_str(&b, " bytes in ");
        ward_buf_u64(&b, groups[g].blocks);
        ward_buf_str(&b, groups[g].blocks == 1 ? " block" : " blocks");
        if (WARD_GUARD < 2) {
            ward_buf_str(&b, " of ");
            ward_buf_u64(&b, groups[g].size);
            ward_buf_str(&b, " bytes");
        }
        ward_buf_str(&b, ", none reachable at exit");
        detail[b.len] = 0;
        char text[8192];
        ward_buf_t t = {text, 0, sizeof text};
        ward_buf_str(&t, "ward: error: memory leak of ");
        ward_buf_hex(&t, groups[g].first);
        ward_buf_str(&t, " (");
        ward_buf_str(&t, detail);
        ward_buf_str(&t, ")\n");
        if (groups[g].stack != 0) ward_stack_print_id(&t, "allocated at:  ", groups[g].stack);
        ward_buf_flush(&t, ward_options.log_fd);
    }
    if (ngroups > MAX_GROUPS_SHOWN) {
        char text[128];
        ward_buf_t t = {text, 0, sizeof text};
        ward_buf_str(&t, "ward: (");
        ward_buf_u64(&t, ngroups - MAX_GROUPS_SHOWN);
        ward_buf_str(&t, " smaller leaks not shown)\n");
        ward_buf_flush(&t, ward_options.log_fd);
    }
    if (ngroups > 0) leak_summary(&st, groups, ngroups);
    os_release(st.blocks, st.map_bytes);
    os_release(st.work, st.work_bytes);
}

#else

void ward_leak_report(void) {
}

#endif
