/* WARD_* environment options, read once when ward starts.
 *
 * Options are read with getenv, which neither allocates nor needs libc to be
 * fully initialised, so ward can start inside the first malloc of a process.
 * A value that does not parse leaves the default in force (and WARD_VERBOSE
 * shows what is in force).
 */
#include "internal.h"

#include <stdlib.h>

ward_options_t ward_options = {
    .purge_delay_ms = 250,
    .huge_unmap_bytes = (size_t)128 << 20,
    .huge_cache_bytes = (size_t)512 << 20,
    .stats = false,
    .verbose = false,
    .abort_on_error = true,
    .leaks = WARD_GUARD >= 2,
    .sample = WARD_SAMPLE_DEFAULT,
    .log_fd = 2,
};

static bool parse_u64(const char *s, uint64_t *out) {
    if (s == NULL || *s == 0) return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        if (v > (UINT64_MAX - 9) / 10) return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

static bool parse_bool(const char *s, bool *out) {
    if (s == NULL || *s == 0) return false;
    if (!strcmp(s, "1") || !strcmp(s, "yes") || !strcmp(s, "on") || !strcmp(s, "true")) {
        *out = true;
        return true;
    }
    if (!strcmp(s, "0") || !strcmp(s, "no") || !strcmp(s, "off") || !strcmp(s, "false")) {
        *out = false;
        return true;
    }
    return false;
}

void ward_options_init(void) {
    uint64_t v;
    /* Capped at a day: deadlines are computed as now + delay. */
    if (parse_u64(getenv("WARD_PURGE_DELAY_MS"), &v)) ward_options.purge_delay_ms = v < 86400000 ? v : 86400000;
    if (parse_u64(getenv("WARD_HUGE_UNMAP_MB"), &v) && v < ((uint64_t)1 << 40))
        ward_options.huge_unmap_bytes = (size_t)v << 20;
    if (parse_u64(getenv("WARD_HUGE_CACHE_MB"), &v) && v < ((uint64_t)1 << 40))
        ward_options.huge_cache_bytes = (size_t)v << 20;
    parse_bool(getenv("WARD_STATS"), &ward_options.stats);
    parse_bool(getenv("WARD_LEAKS"), &ward_options.leaks);
    if (parse_u64(getenv("WARD_SAMPLE"), &v)) {
        ward_options.sample = v;
        ward_options.sample_requested = v != 0;
    }
    parse_bool(getenv("WARD_VERBOSE"), &ward_options.verbose);
    const char *on_error = getenv("WARD_ON_ERROR");
    if (on_error != NULL && !strcmp(on_error, "report")) ward_options.abort_on_error = false;
    if (on_error != NULL && !strcmp(on_error, "abort")) ward_options.abort_on_error = true;
    const char *log = getenv("WARD_LOG");
    if (log != NULL && *log) {
        int fd = os_open_log(log);
        if (fd >= 0) ward_options.log_fd = fd;
    } else if (ward_options.stats || ward_options.verbose) {
        /* Many programs close stderr in an exit handler (coreutils do), before
         * the summary at exit is written: keep a copy of it. */
        int fd = os_dup_fd(2);
        if (fd >= 0) ward_options.log_fd = fd;
    }
}

void ward_options_print(int fd) {
    char text[1024];
    ward_buf_t b = {text, 0, sizeof text};
    ward_buf_str(&b, "ward: version " WARD_VERSION_STRING ", mode " WARD_MODE_NAME "\n");
    ward_buf_str(&b, "ward: WARD_PURGE_DELAY_MS=");
    ward_buf_u64(&b, ward_options.purge_delay_ms);
    ward_buf_str(&b, "\nward: WARD_HUGE_UNMAP_MB=");
    ward_buf_u64(&b, ward_options.huge_unmap_bytes >> 20);
    ward_buf_str(&b, "\nward: WARD_HUGE_CACHE_MB=");
    ward_buf_u64(&b, ward_options.huge_cache_bytes >> 20);
    ward_buf_str(&b, "\nward: WARD_STATS=");
    ward_buf_str(&b, ward_options.stats ? "1" : "0");
    ward_buf_str(&b, "\nward: WARD_ON_ERROR=");
    ward_buf_str(&b, ward_options.abort_on_error ? "abort" : "report");
    ward_buf_str(&b, "\nward: WARD_SAMPLE=");
    ward_buf_u64(&b, ward_options.sample);
    ward_buf_str(&b, "\nward: WARD_LEAKS=");
    ward_buf_str(&b, ward_options.leaks ? "1" : "0");
    ward_buf_str(&b, "\nward: WARD_LOG=");
    ward_buf_str(&b, ward_options.log_fd == 2 ? "(stderr)" : "(file)");
    ward_buf_str(&b, "\n");
    ward_buf_flush(&b, fd);
}
