/* Statistics: what ward_stats_get, ward_stats_print, mallinfo2 and the
 * summary at exit (WARD_STATS=1, `ward run --stats`) report.
 *
 * Counting every block costs the fast path, so by default ward counts memory
 * a page at a time (in_use is then the bytes of pages holding live blocks).
 * With WARD_STATS=1 every heap sends all allocations and frees through its
 * slow path, which counts blocks exactly, per size class; the fast path
 * itself stays as it is. Per-heap counters have one writer each and are
 * summed when read; the global in-use figure is updated in batches, so the
 * peak is exact to within a few hundred KiB per thread.
 */
#include "internal.h"

#include <unistd.h>

ward_global_stats_t ward_stats;

static size_t nonneg(int64_t v) {
    return v > 0 ? (size_t)v : 0;
}

WARD_API void ward_stats_get(ward_stats_t *out) {
    if (out == NULL) return;
    memset(out, 0, sizeof *out);
    int64_t in_use = atomic_load_explicit(&ward_stats.in_use, memory_order_relaxed);
    if (ward_options.stats) ward_heap_stats_add(NULL, NULL, &in_use); /* not yet flushed */
    out->in_use = nonneg(in_use);
    /* The global peak only sees flushed batches; what we just summed is an
     * observation too, so it raises the peak for later readers as well. */
    int64_t peak = atomic_load_explicit(&ward_stats.peak_in_use, memory_order_relaxed);
    while (in_use > peak && !atomic_compare_exchange_weak_explicit(&ward_stats.peak_in_use, &peak, in_use,
                                                                   memory_order_relaxed, memory_order_relaxed)) {
    }
    out->peak_in_use = nonneg(in_use > peak ? in_use : peak);
    out->reserved = nonneg(atomic_load_explicit(&ward_stats.reserved, memory_order_relaxed));
    out->committed = nonneg(atomic_load_explicit(&ward_stats.committed, memory_order_relaxed));
    out->resident = os_resident_bytes();
    out->purges = (size_t)atomic_load_explicit(&ward_stats.purges, memory_order_relaxed);
    out->segments = nonneg(atomic_load_explicit(&ward_stats.segments, memory_order_relaxed));
    out->huge_blocks = nonneg(atomic_load_explicit(&ward_stats.huge_blocks, memory_order_relaxed));
}

static void line_size(ward_buf_t *b, const char *label, uint64_t bytes, const char *note) {
    ward_buf_str(b, "ward:   ");
    ward_buf_str(b, label);
    ward_buf_pad(b, 28);
    ward_buf_size(b, bytes);
    if (note) {
        ward_buf_pad(b, 42);
        ward_buf_str(b, note);
    }
    ward_buf_str(b, "\n");
}

static void line_count(ward_buf_t *b, const char *label, uint64_t n) {
    ward_buf_str(b, "ward:   ");
    ward_buf_str(b, label);
    ward_buf_pad(b, 28);
    ward_buf_u64(b, n);
    ward_buf_str(b, "\n");
}

WARD_API void ward_stats_print(int fd) {
    char text[8192];
    ward_buf_t b = {text, 0, sizeof text};
    ward_stats_t s;
    ward_stats_get(&s);
    ward_buf_str(&b, "ward: statistics of process ");
    ward_buf_u64(&b, (uint64_t)getpid());
    ward_buf_str(&b, " (ward " WARD_VERSION_STRING ", mode " WARD_MODE_NAME ")\n");
    const char *granularity = ward_options.stats ? "(blocks)" : "(pages; WARD_STATS=1 counts blocks)";
    line_size(&b, "in use now", s.in_use, granularity);
    line_size(&b, "in use at peak", s.peak_in_use, granularity);
    line_size(&b, "reserved", s.reserved, "(address space)");
    line_size(&b, "committed", s.committed, "(touched, not yet returned)");
    line_size(&b, "resident", s.resident, "(whole process, from the kernel)");
    line_count(&b, "segments", s.segments);
    line_count(&b, "huge blocks", s.huge_blocks);
    line_count(&b, "purges", s.purges);
    if (ward_options.stats) {
        uint64_t allocs[WARD_BIN_COUNT] = {0};
        uint64_t frees = 0;
        ward_heap_stats_add(allocs, &frees, NULL);
        uint64_t total = 0;
        for (unsigned bin = 0; bin < WARD_BIN_COUNT; bin++) {
            allocs[bin] += atomic_load_explicit(&ward_stats.allocs[bin], memory_order_relaxed);
            total += allocs[bin];
        }
        frees += atomic_load_explicit(&ward_stats.frees, memory_order_relaxed);
        line_count(&b, "allocations", total);
        line_count(&b, "frees", frees);
        ward_buf_str(&b, "ward:   allocations by size class:\n");
        for (unsigned bin = 1; bin < WARD_BIN_COUNT; bin++) {
            if (allocs[bin] == 0) continue;
            ward_buf_str(&b, "ward:     ");
            if (bin == WARD_BIN_LARGE) {
                ward_buf_str(&b, "large (<= 2 MiB)");
            } else if (bin == WARD_BIN_HUGE) {
                ward_buf_str(&b, "huge (> 2 MiB)");
            } else {
                ward_buf_str(&b, "<= ");
                ward_buf_size(&b, ward_bin_size(bin));
            }
            ward_buf_pad(&b, 28);
            ward_buf_u64(&b, allocs[bin]);
            ward_buf_str(&b, "\n");
        }
    } else {
        ward_buf_str(&b, "ward:   (per-size-class counts: run with WARD_STATS=1)\n");
    }
    ward_buf_flush(&b, fd);
}

bool ward_purge_global(uint64_t now, bool force) {
    bool purged = ward_regions_purge(now, force);
    purged |= ward_huge_cache_purge(now, force);
    purged |= ward_abandoned_sweep(now, force);
    return purged;
}

WARD_API int ward_trim(void) {
    ward_init();
    uint64_t before = atomic_load_explicit(&ward_stats.purges, memory_order_relaxed);
    uint64_t now = os_clock_ms();
    ward_heap_t *heap = ward_tls_heap;
    if (heap == &ward_empty_heap && !ward_thread_done) heap = ward_heap_for_thread();
    if (heap != NULL && heap != &ward_empty_heap) {
#if WARD_GUARD
        ward_guard_quarantine_flush(heap);
#endif
        heap->now_ms = now;
        ward_heap_adopt_abandoned(heap);
        ward_heap_collect(heap, true, true);
    }
    ward_purge_global(now, true);
    return atomic_load_explicit(&ward_stats.purges, memory_order_relaxed) != before;
}

void ward_stats_at_exit(void) {
    ward_stats_print(ward_options.log_fd);
}
