/* Call stacks for reports: capture, a depot that stores each distinct stack
 * once, and symbolization when a report is printed.
 *
 * Capture: by default ward follows frame pointers, checking every step (the
 * next frame is above this one, and each return address lies in the code of
 * a loaded object), so a stack through code built without frame pointers
 * ends early rather than listing garbage; frame #0, the caller of malloc or
 * free, is always exact. WARD_UNWIND=full walks the DWARF unwind tables
 * instead (exact through any code, several times slower).
 *
 * Depot: stacks are hashed into an open-addressed table of ids; entries are
 * never removed, so an id stays valid for the life of the process. Memory
 * comes from the os layer, reserved once and touched as it fills.
 *
 * Symbolization (only when printing): function names come from the ELF
 * symbol tables of the object holding each address (.symtab when the file
 * has one, so no -rdynamic is needed; .dynsym otherwise); file:line from
 * addr2line when it is installed (binutils), run on the object file without
 * ward preloaded. Nothing here calls malloc.
 */
#include "internal.h"

#include <elf.h>
#include <link.h>
#include <stdlib.h>
#include <unwind.h>

/* The DWARF unwinder lives in libgcc_s: the guard builds link it; the fast
 * build finds it if the program loaded it (weak references), or loads it
 * when sampling is on (ward_stack_load_unwinder, at start). */
#pragma weak _Unwind_Backtrace
#pragma weak _Unwind_GetIP

#include <dlfcn.h>

typedef _Unwind_Reason_Code (*backtrace_fn)(_Unwind_Trace_Fn, void *);
typedef _Unwind_Ptr (*get_ip_fn)(struct _Unwind_Context *);
static backtrace_fn unwind_backtrace;
static get_ip_fn unwind_get_ip;

void ward_stack_load_unwinder(void) {
    if (_Unwind_Backtrace != NULL && _Unwind_GetIP != NULL) {
        unwind_backtrace = _Unwind_Backtrace;
        unwind_get_ip = _Unwind_GetIP;
        return;
    }
    void *lib = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) return;
    unwind_backtrace = (backtrace_fn)dlsym(lib, "_Unwind_Backtrace");
    unwind_get_ip = (get_ip_fn)dlsym(lib, "_Unwind_GetIP");
    if (unwind_backtrace == NULL || unwind_get_ip == NULL) unwind_backtrace = NULL;
}

bool ward_stack_exact_available(void) {
    return unwind_backtrace != NULL;
}

#define DEPOT_BITS 20
#define DEPOT_SLOTS ((size_t)1 << DEPOT_BITS)
#define DEPOT_ENTRIES (DEPOT_SLOTS / 2)

typedef struct depot_entry_s {
    uint32_t hash;
    uint32_t depth;
    uintptr_t pc[WARD_STACK_DEPTH];
} depot_entry_t;

static _Atomic(uint32_t) *depot_slots;     /* entry index + 1, 0: empty */
static depot_entry_t *depot_entries;
static _Atomic(uint32_t) depot_used;
static bool unwind_full;

/* ---- code ranges of loaded objects ---------------------------------------------- */

#define MAX_RANGES 512

/* Entries are atomics: a refresh may rewrite them while another thread
 * reads them; a reader then at worst stops a stack early. Refreshes (a new
 * library may have been loaded) happen at most every REFRESH_MS. */
typedef struct code_range_s {
    _Atomic(uintptr_t) lo, hi;
} code_range_t;

#define REFRESH_MS 100

static code_range_t ranges[MAX_RANGES];
static code_range_t self_range; /* ward's own code, when ward is a shared object */
static _Atomic(unsigned) range_count;
static _Atomic(uint64_t) last_refresh_ms;
static pthread_mutex_t range_lock = PTHREAD_MUTEX_INITIALIZER;

static int collect_ranges(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    unsigned *n = arg;
    for (unsigned i = 0; i < info->dlpi_phnum && *n < MAX_RANGES; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        atomic_store_explicit(&ranges[*n].lo, info->dlpi_addr + ph->p_vaddr, memory_order_relaxed);
        atomic_store_explicit(&ranges[*n].hi, info->dlpi_addr + ph->p_vaddr + ph->p_memsz, memory_order_relaxed);
        (*n)++;
    }
    return 0;
}

static void ranges_refresh(void) {
    if (pthread_mutex_trylock(&range_lock) != 0) return;
    unsigned n = 0;
    dl_iterate_phdr(collect_ranges, &n);
    atomic_store_explicit(&range_count, n, memory_order_release);
    atomic_store_explicit(&last_refresh_ms, os_clock_ms(), memory_order_relaxed);
    pthread_mutex_unlock(&range_lock);
}

static bool in_code(uintptr_t pc) {
    unsigned n = atomic_load_explicit(&range_count, memory_order_acquire);
    for (unsigned i = 0; i < n; i++)
        if (pc >= atomic_load_explicit(&ranges[i].lo, memory_order_relaxed) &&
            pc < atomic_load_explicit(&ranges[i].hi, memory_order_relaxed))
            return true;
    return false;
}

/* `must_be_code`: the pc is a return address into the program for sure
 * (the caller of ward's entry point): a miss means a library was loaded
 * since the last refresh. Other misses mostly mark the end of a stack, so
 * they read the clock only once in 256. */
static bool is_code(uintptr_t pc, bool must_be_code) {
    if (in_code(pc)) return true;
    static __thread unsigned misses;
    if (!must_be_code && (++misses & 255) != 0) return false;
    uint64_t now = os_clock_ms();
    if (now - atomic_load_explicit(&last_refresh_ms, memory_order_relaxed) < REFRESH_MS) return false;
    ranges_refresh();
    return in_code(pc);
}

/* ---- capture ------------------------------------------------------------------------- */

typedef struct unwind_state_s {
    uintptr_t *pcs;
    size_t n, max, skip;
} unwind_state_t;

static _Unwind_Reason_Code unwind_step(struct _Unwind_Context *ctx, void *arg) {
    unwind_state_t *st = arg;
    uintptr_t pc = (uintptr_t)unwind_get_ip(ctx);
    if (pc == 0) return _URC_END_OF_STACK;
    if (st->skip > 0) {
        st->skip--;
        return _URC_NO_REASON;
    }
    st->pcs[st->n++] = pc;
    return st->n == st->max ? _URC_END_OF_STACK : _URC_NO_REASON;
}

static inline bool in_self(uintptr_t pc) {
    return pc >= atomic_load_explicit(&self_range.lo, memory_order_relaxed) &&
           pc < atomic_load_explicit(&self_range.hi, memory_order_relaxed);
}

/* The frame-pointer walk stays inside the stack it starts on: code built
 * without frame pointers keeps anything in %rbp, and a walk that followed
 * such a value out of the stack read memory that may be unmapped or made
 * inaccessible (a freed sampled slot, a guard page) and died in malloc.
 * Bounds are trusted only for stacks nobody unmaps or protects while the
 * thread lives: its own thread stack up to the thread pointer (glibc keeps
 * the thread's descriptor at the top of its stack), or the main thread's
 * stack mapping. On any other stack (a coroutine's, say, perhaps in memory
 * ward hands out and later guards) the walk is not done: the DWARF unwinder
 * gives the stack when it is loaded, else none is recorded. Each thread
 * keeps the last few ranges it met. */
#define WALK_RANGES 4
typedef struct walk_range_s {
    uintptr_t lo, hi;
    bool trusted; /* frame pointers may be followed within [lo, hi) */
} walk_range_t;
static __thread walk_range_t walk_ranges[WALK_RANGES] __attribute__((tls_model("initial-exec")));
static __thread unsigned walk_next __attribute__((tls_model("initial-exec")));

/* Mappings that were a thread's stack (its thread pointer, where glibc
 * keeps the thread's descriptor at the top of its stack, in the same
 * mapping): glibc hands cached stacks to new threads, so most new threads
 * find theirs here instead of reading /proc/self/maps. Append-only. A hit
 * needs the thread pointer inside too, and the walk then stops below it:
 * [here, thread pointer) lies in the thread's own stack, one mapping, even
 * if the recorded mapping has since been replaced by a smaller one. */
#define STACK_TABLE 256
static _Atomic(uintptr_t) stack_table_lo[STACK_TABLE], stack_table_hi[STACK_TABLE];
static _Atomic(unsigned) stack_table_count;
static pthread_mutex_t stack_table_lock = PTHREAD_MUTEX_INITIALIZER;

static bool stack_table_find(uintptr_t here, uintptr_t tp, walk_range_t *r) {
    unsigned n = atomic_load_explicit(&stack_table_count, memory_order_acquire);
    for (unsigned i = 0; i < n; i++) {
        uintptr_t lo = atomic_load_explicit(&stack_table_lo[i], memory_order_relaxed);
        uintptr_t hi = atomic_load_explicit(&stack_table_hi[i], memory_order_relaxed);
        if (lo <= here && here < tp && tp < hi) {
            r->lo = lo;
            r->hi = tp;
            return true;
        }
    }
    return false;
}

static void stack_table_add(uintptr_t lo, uintptr_t hi) {
    if (pthread_mutex_trylock(&stack_table_lock) != 0) return;
    unsigned n = atomic_load_explicit(&stack_table_count, memory_order_relaxed);
    if (n < STACK_TABLE) {
        atomic_store_explicit(&stack_table_lo[n], lo, memory_order_relaxed);
        atomic_store_explicit(&stack_table_hi[n], hi, memory_order_relaxed);
        atomic_store_explicit(&stack_table_count, n + 1, memory_order_release);
    }
    pthread_mutex_unlock(&stack_table_lock);
}

static WARD_NOINLINE WARD_COLD walk_range_t walk_range_find(uintptr_t here) {
    walk_range_t r;
    r.trusted = true;
    uintptr_t tp = (uintptr_t)pthread_self();
    if (!stack_table_find(here, tp, &r)) {
        uintptr_t main_top = os_main_stack_top();
        if (!os_readable_mapping(here, &r.lo, &r.hi)) {
            r.lo = here & ~(uintptr_t)4095;
            r.hi = r.lo + 4096;
            r.trusted = false;
        } else if (r.lo <= tp && here < tp && tp < r.hi) {
            stack_table_add(r.lo, r.hi);
            r.hi = tp;
        } else if (!(main_top != 0 && r.lo <= main_top && main_top <= r.hi)) {
            r.trusted = false;
        }
    }
    walk_ranges[walk_next++ % WALK_RANGES] = r;
    return r;
}

static inline walk_range_t walk_range(uintptr_t here) {
    for (unsigned i = 0; i < WALK_RANGES; i++)
        if (here >= walk_ranges[i].lo && here < walk_ranges[i].hi) return walk_ranges[i];
    return walk_range_find(here);
}

/* Fills pcs with the return addresses of the program's frames, starting at
 * the caller of ward's entry point (leading frames inside libward are left
 * out; ward is built with frame pointers, so its own frames always chain). */
__attribute__((noinline)) size_t ward_stack_capture_user(uintptr_t *pcs, size_t max, bool exact) {
    uintptr_t *fp = __builtin_frame_address(0);
    walk_range_t stack = walk_range((uintptr_t)fp);
    if ((exact || unwind_full || !stack.trusted) && unwind_backtrace != NULL) {
        uintptr_t all[WARD_STACK_DEPTH + 24];
        unwind_state_t st = {all, 0, WARD_STACK_DEPTH + 24, 0};
        unwind_backtrace(unwind_step, &st);
        size_t first = 0;
        while (first < st.n && in_self(all[first])) first++;
        size_t n = st.n - first < max ? st.n - first : max;
        memcpy(pcs, all + first, n * sizeof pcs[0]);
        return n;
    }
    if (!stack.trusted) return 0;
    size_t n = 0;
    bool leading = true;
    while (n < max && (uintptr_t)fp >= stack.lo && (uintptr_t)fp <= stack.hi - 2 * sizeof(uintptr_t)) {
        uintptr_t *next = (uintptr_t *)fp[0];
        uintptr_t ret = fp[1];
        if (ret == 0 || !is_code(ret, leading)) break;
        if (!(leading && in_self(ret))) {
            leading = false;
            pcs[n++] = ret;
        }
        if (next <= fp || (uintptr_t)next - (uintptr_t)fp > ((uintptr_t)1 << 24) || ((uintptr_t)next & 7)) break;
        fp = next;
    }
    return n;
}

static inline uint32_t hash_pcs(const uintptr_t *pcs, size_t n) {
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    for (size_t i = 0; i < n; i++) {
        h ^= pcs[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
    }
    return (uint32_t)h | 1;
}

uint32_t ward_stack_record(void) {
    if (depot_slots == NULL) return 0;
    uintptr_t pcs[WARD_STACK_DEPTH];
    size_t n = ward_stack_capture_user(pcs, WARD_STACK_DEPTH, false);
    if (n == 0) return 0;
    uint32_t h = hash_pcs(pcs, n);
    for (size_t probe = 0; probe < DEPOT_SLOTS; probe++) {
        size_t slot = (h + probe) & (DEPOT_SLOTS - 1);
        uint32_t v = atomic_load_explicit(&depot_slots[slot], memory_order_acquire);
        if (v == 0) {
            uint32_t idx = atomic_fetch_add_explicit(&depot_used, 1, memory_order_relaxed);
            if (idx >= DEPOT_ENTRIES) return 0; /* full: no stack for this one */
            depot_entry_t *e = &depot_entries[idx];
            e->hash = h;
            e->depth = (uint32_t)n;
            memcpy(e->pc, pcs, n * sizeof pcs[0]);
            uint32_t expect = 0;
            if (atomic_compare_exchange_strong_explicit(&depot_slots[slot], &expect, idx + 1, memory_order_release,
                                                        memory_order_acquire))
                return idx + 1;
            v = expect; /* lost the race: compare with the winner (our entry is wasted) */
        }
        const depot_entry_t *e = &depot_entries[v - 1];
        if (e->hash == h && e->depth == n && memcmp(e->pc, pcs, n * sizeof pcs[0]) == 0) return v;
    }
    return 0;
}

size_t ward_stack_get(uint32_t id, uintptr_t *pcs, size_t max) {
    if (id == 0 || depot_entries == NULL || id > atomic_load_explicit(&depot_used, memory_order_acquire) ||
        id > DEPOT_ENTRIES)
        return 0;
    const depot_entry_t *e = &depot_entries[id - 1];
    size_t n = e->depth < max ? e->depth : max;
    memcpy(pcs, e->pc, n * sizeof pcs[0]);
    return n;
}

static int find_self(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    uintptr_t me = (uintptr_t)arg;
    for (unsigned i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (me < lo || me >= hi) continue;
        /* Linked into the program itself: ward's frames cannot be told
         * from the program's by address, so none are left out. */
        if (info->dlpi_name != NULL && info->dlpi_name[0] != 0) {
            atomic_store_explicit(&self_range.lo, lo, memory_order_relaxed);
            atomic_store_explicit(&self_range.hi, hi, memory_order_relaxed);
        }
        return 1;
    }
    return 0;
}

void ward_stack_init(bool record) {
    const char *u = getenv("WARD_UNWIND");
    unwind_full = u != NULL && strcmp(u, "full") == 0;
    ranges_refresh();
    dl_iterate_phdr(find_self, (void *)(uintptr_t)&ward_stack_capture_user);
    if (_Unwind_Backtrace != NULL && _Unwind_GetIP != NULL) {
        unwind_backtrace = _Unwind_Backtrace;
        unwind_get_ip = _Unwind_GetIP;
    }
    if (!record) return;
    depot_slots = os_reserve(DEPOT_SLOTS * sizeof *depot_slots, os_page_size());
    depot_entries = os_reserve(DEPOT_ENTRIES * sizeof *depot_entries, os_page_size());
    if (depot_slots == NULL || depot_entries == NULL) depot_slots = NULL;
}

/* ---- symbolization -------------------------------------------------------------------------- */

typedef struct object_s {
    uintptr_t base;
    const char *path;
    bool found;
} object_t;

typedef struct find_object_s {
    uintptr_t pc;
    object_t *out;
} find_object_t;

static int find_object(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    find_object_t *f = arg;
    for (unsigned i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD) continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (f->pc >= lo && f->pc < lo + ph->p_memsz) {
            f->out->base = info->dlpi_addr;
            f->out->path = info->dlpi_name != NULL && info->dlpi_name[0] ? info->dlpi_name : NULL;
            f->out->found = true;
            return 1;
        }
    }
    return 0;
}

/* The function containing `offset` in an ELF file: .symtab first, else
 * .dynsym. Writes its name (and "+0xoff" with `with_offset`) into b; false
 * when nothing matched. */
static bool elf_function(const char *path, uintptr_t offset, ward_buf_t *b, bool with_offset) {
    size_t size = 0;
    const uint8_t *file = os_map_file(path, &size);
    if (file == NULL) return false;
    bool found = false;
    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)file;
    if (size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_shoff == 0 ||
        eh->e_shoff + (size_t)eh->e_shnum * sizeof(ElfW(Shdr)) > size)
        goto out;
    const ElfW(Shdr) *sh = (const ElfW(Shdr) *)(file + eh->e_shoff);
    for (int pass = 0; pass < 2 && !found; pass++) {
        unsigned want = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;
        for (unsigned i = 0; i < eh->e_shnum && !found; i++) {
            if (sh[i].sh_type != want || sh[i].sh_link >= eh->e_shnum) continue;
            const ElfW(Shdr) *strs = &sh[sh[i].sh_link];
            if (sh[i].sh_offset + sh[i].sh_size > size || strs->sh_offset + strs->sh_size > size) continue;
            const ElfW(Sym) *sym = (const ElfW(Sym) *)(file + sh[i].sh_offset);
            size_t count = sh[i].sh_size / sizeof *sym;
            const ElfW(Sym) *best = NULL;
            for (size_t k = 0; k < count; k++) {
                if (ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC || sym[k].st_value == 0) continue;
                if (offset < sym[k].st_value) continue;
                if (offset < sym[k].st_value + (sym[k].st_size ? sym[k].st_size : 1) &&
                    (best == NULL || sym[k].st_value > best->st_value))
                    best = &sym[k];
            }
            if (best != NULL && best->st_name < strs->sh_size) {
                ward_buf_str(b, (const char *)file + strs->sh_offset + best->st_name);
                if (with_offset && offset > best->st_value) {
                    ward_buf_str(b, "+");
                    ward_buf_hex(b, offset - best->st_value);
                }
                found = true;
            }
        }
    }
out:
    os_release((void *)file, size);
    return found;
}

static const char *addr2line_path(void) {
    static const char *const candidates[] = {"/usr/bin/addr2line", "/bin/addr2line", "/usr/local/bin/addr2line"};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        size_t size;
        void *p = os_map_file(candidates[i], &size);
        if (p != NULL) {
            os_release(p, size);
            return candidates[i];
        }
    }
    return NULL;
}

/* " file.c:88" for an address, from addr2line; nothing when unknown. */
static void source_line(const char *path, uintptr_t offset, ward_buf_t *b) {
    static int have = -1;
    static const char *tool;
    if (have < 0) {
        const char *s = getenv("WARD_SYMBOLIZE");
        tool = s != NULL && strcmp(s, "0") == 0 ? NULL : addr2line_path();
        have = tool != NULL;
    }
    if (!have) return;
    char addr[32];
    ward_buf_t ab = {addr, 0, sizeof addr - 1};
    ward_buf_hex(&ab, offset);
    addr[ab.len] = 0;
    char *argv[] = {(char *)tool, (char *)"-e", (char *)path, addr, NULL};
    char out[512];
    if (os_run_capture(argv, out, sizeof out) <= 0) return;
    char *nl = strchr(out, '\n');
    if (nl) *nl = 0;
    char *disc = strstr(out, " (discriminator");
    if (disc) *disc = 0;
    if (out[0] == '?' || out[0] == 0 || strstr(out, "??") != NULL || strncmp(out, ":", 1) == 0) return;
    /* Keep the last two path components: enough to find the file. */
    const char *shown = out;
    const char *slash = strrchr(out, '/');
    if (slash != NULL) {
        const char *prev = slash;
        while (prev > out && prev[-1] != '/') prev--;
        shown = prev > out ? prev : out;
        if (prev > out) shown = prev;
    }
    ward_buf_str(b, " ");
    ward_buf_str(b, shown);
}

static void format_frame(ward_buf_t *b, size_t index, uintptr_t pc) {
    ward_buf_str(b, "#");
    ward_buf_u64(b, index);
    ward_buf_str(b, " ");
    ward_buf_hex(b, pc);
    object_t obj = {0, NULL, false};
    find_object_t f = {pc - 1, &obj}; /* pc - 1: inside the call, not after it */
    dl_iterate_phdr(find_object, &f);
    if (!obj.found) return;
    char exe[512];
    bool main_program = obj.path == NULL;
    if (main_program) {
        /* The program itself: its real path (addr2line runs as another
         * process, for which /proc/self/exe would be addr2line). */
        if (!os_self_exe(exe, sizeof exe)) return;
        obj.path = exe;
    }
    ward_buf_str(b, " in ");
    char line[512];
    ward_buf_t lb = {line, 0, sizeof line - 1};
    source_line(obj.path, pc - 1 - obj.base, &lb);
    line[lb.len] = 0;
    /* With a source line the function's name is enough; without one its
     * offset tells where in it. */
    if (!elf_function(obj.path, pc - 1 - obj.base, b, lb.len == 0)) ward_buf_str(b, "??");
    ward_buf_str(b, line);
    const char *name = strrchr(obj.path, '/');
    if (!main_program) {
        ward_buf_str(b, " (");
        ward_buf_str(b, name ? name + 1 : obj.path);
        ward_buf_str(b, ")");
    }
}

void ward_stack_print(ward_buf_t *b, const char *label, const uintptr_t *pcs, size_t n) {
    /* What the mode could not see, it leaves out. */
    if (n == 0) return;
    ward_buf_str(b, "  ");
    ward_buf_str(b, label);
    size_t indent = b->len;
    size_t line_start = indent;
    while (line_start > 0 && b->data[line_start - 1] != '\n') line_start--;
    indent -= line_start;
    for (size_t i = 0; i < n; i++) {
        if (i > 0) ward_buf_pad(b, indent + 1);
        else ward_buf_str(b, " ");
        format_frame(b, i, pcs[i]);
        ward_buf_str(b, "\n");
    }
}

void ward_stack_print_id(ward_buf_t *b, const char *label, uint32_t id) {
    uintptr_t pcs[WARD_STACK_DEPTH];
    size_t n = ward_stack_get(id, pcs, WARD_STACK_DEPTH);
    ward_stack_print(b, label, pcs, n);
}

/* Whether the first frame of a recorded stack is in the dynamic linker:
 * its allocations (thread control blocks, dynamic TLS of threads kept in
 * glibc's stack cache) are reached through memory ward does not scan, so
 * the leak report leaves them out, as LeakSanitizer does. */
bool ward_stack_from_loader(uint32_t id) {
    uintptr_t pcs[1];
    if (ward_stack_get(id, pcs, 1) == 0) return false;
    object_t obj = {0, NULL, false};
    find_object_t f = {pcs[0] - 1, &obj};
    dl_iterate_phdr(find_object, &f);
    if (!obj.found || obj.path == NULL) return false;
    const char *name = strrchr(obj.path, '/');
    name = name ? name + 1 : obj.path;
    return strncmp(name, "ld-linux", 8) == 0 || strncmp(name, "ld64.so", 7) == 0 || strncmp(name, "ld.so", 5) == 0;
}
