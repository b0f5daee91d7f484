/* The one place that formats and prints what ward has to say: errors,
 * statistics, options. No malloc and no stdio: text is built in a caller's
 * buffer (usually on the stack) and written with write(2), so reporting is
 * safe inside the allocator, in a signal handler, and after heap corruption.
 *
 * Errors read "ward: error: KIND of ADDRESS (DETAIL)"; then the process
 * aborts, unless WARD_ON_ERROR=report, in which case the caller leaves the
 * bad block alone and carries on.
 */
#include "internal.h"

#include <signal.h>
#include <stdlib.h>

void ward_buf_str(ward_buf_t *b, const char *s) {
    while (*s && b->len < b->cap) b->data[b->len++] = *s++;
}

void ward_buf_u64(ward_buf_t *b, uint64_t v) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n > 0 && b->len < b->cap) b->data[b->len++] = digits[--n];
}

void ward_buf_hex(ward_buf_t *b, uint64_t v) {
    char digits[20];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    ward_buf_str(b, "0x");
    while (n > 0 && b->len < b->cap) b->data[b->len++] = digits[--n];
}

void ward_buf_size(ward_buf_t *b, uint64_t bytes) {
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    unsigned u = 0;
    uint64_t scaled = bytes * 10; /* one decimal */
    while (scaled >= 10240 && u < 4) {
        scaled /= 1024;
        u++;
    }
    ward_buf_u64(b, scaled / 10);
    if (u > 0) {
        ward_buf_str(b, ".");
        ward_buf_u64(b, scaled % 10);
    }
    ward_buf_str(b, " ");
    ward_buf_str(b, units[u]);
}

void ward_buf_pad(ward_buf_t *b, size_t column) {
    size_t line_start = b->len;
    while (line_start > 0 && b->data[line_start - 1] != '\n') line_start--;
    while (b->len - line_start < column && b->len < b->cap) b->data[b->len++] = ' ';
}

void ward_buf_flush(ward_buf_t *b, int fd) {
    os_write_all(fd, b->data, b->len);
    b->len = 0;
}

void ward_message(const char *text) {
    char line[512];
    ward_buf_t b = {line, 0, sizeof line};
    ward_buf_str(&b, "ward: ");
    ward_buf_str(&b, text);
    ward_buf_str(&b, "\n");
    ward_buf_flush(&b, ward_options.log_fd);
}

/* One report: the error line, the stack where it was found, and the stacks
 * of the block's allocation and free when the mode recorded them. */
void ward_report(const char *kind, const void *addr, const char *detail, const char *here,
                 uint32_t alloc_stack, uint32_t free_stack, const char *free_label) {
    char text[16384];
    ward_buf_t b = {text, 0, sizeof text};
    ward_buf_str(&b, "ward: error: ");
    ward_buf_str(&b, kind);
    ward_buf_str(&b, " of ");
    ward_buf_hex(&b, (uint64_t)(uintptr_t)addr);
    if (detail != NULL) {
        ward_buf_str(&b, " (");
        ward_buf_str(&b, detail);
        ward_buf_str(&b, ")");
    }
    ward_buf_str(&b, "\n");
    uintptr_t pcs[WARD_STACK_DEPTH];
    size_t n = ward_stack_capture_user(pcs, WARD_STACK_DEPTH, true);
    ward_stack_print(&b, here != NULL ? here : "found here:    ", pcs, n);
    if (free_stack != 0) ward_stack_print_id(&b, free_label != NULL ? free_label : "freed at:      ", free_stack);
    if (alloc_stack != 0) ward_stack_print_id(&b, "allocated at:  ", alloc_stack);
    ward_buf_flush(&b, ward_options.log_fd);
    if (ward_options.abort_on_error) abort();
}

void ward_report_error(const char *kind, const void *addr, const char *detail) {
    ward_report(kind, addr, detail, NULL, 0, 0, NULL);
}
