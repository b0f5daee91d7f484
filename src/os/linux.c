/* Linux implementation of the OS contract in src/os.h.
 *
 * Alignment: mmap only guarantees page alignment, so an aligned reservation
 * maps size + align and unmaps the slack on both sides. Reservations are
 * MAP_NORESERVE: address space costs nothing until touched, and purged
 * ranges are not charged again until they are touched again.
 */
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <stdatomic.h>

static _Atomic(size_t) cached_page_size;

size_t os_page_size(void) {
    size_t ps = atomic_load_explicit(&cached_page_size, memory_order_relaxed);
    if (ps == 0) {
        long v = sysconf(_SC_PAGESIZE);
        ps = v > 0 ? (size_t)v : 4096;
        atomic_store_explicit(&cached_page_size, ps, memory_order_relaxed);
    }
    return ps;
}

static void *map_anonymous(size_t size, int extra_flags) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void *reserve(size_t size, size_t align, int extra_flags) {
    int saved = errno;
    size_t page = os_page_size();
    void *result = NULL;
    if (align < page) align = page;
    if (size == 0 || size > SIZE_MAX - align) goto out;
    result = map_anonymous(size, extra_flags);
    if (result == NULL || ((uintptr_t)result & (align - 1)) == 0) goto out;
    /* Not aligned by luck: map enough to cut an aligned range out of it. */
    munmap(result, size);
    result = NULL;
    size_t over = size + align - page;
    char *raw = map_anonymous(over, extra_flags);
    if (raw == NULL) goto out;
    char *aligned = (char *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
    size_t head = (size_t)(aligned - raw);
    size_t tail = over - head - size;
    if (head) munmap(raw, head);
    if (tail) munmap(aligned + size, tail);
    result = aligned;
out:
    errno = saved;
    return result;
}

void *os_reserve(size_t size, size_t align) {
    return reserve(size, align, MAP_NORESERVE);
}

void *os_reserve_accounted(size_t size, size_t align) {
    return reserve(size, align, 0);
}

void os_release(void *addr, size_t size) {
    int saved = errno;
    munmap(addr, size);
    errno = saved;
}

bool os_purge(void *addr, size_t size) {
    int saved = errno;
    bool ok = madvise(addr, size, MADV_DONTNEED) == 0;
    errno = saved;
    return ok;
}

bool os_protect(void *addr, size_t size, bool accessible) {
    int saved = errno;
    bool ok = mprotect(addr, size, accessible ? PROT_READ | PROT_WRITE : PROT_NONE) == 0;
    errno = saved;
    return ok;
}

bool os_resize_in_place(void *addr, size_t old_size, size_t new_size) {
    int saved = errno;
    void *p = mremap(addr, old_size, new_size, 0);
    errno = saved;
    return p != MAP_FAILED;
}

void *os_move(void *addr, size_t old_size, size_t new_size, size_t align) {
    int saved = errno;
    void *dest = os_reserve(new_size, align);
    void *result = NULL;
    if (dest != NULL) {
        /* MREMAP_FIXED replaces the placeholder mapping atomically. */
        void *p = mremap(addr, old_size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, dest);
        if (p == MAP_FAILED) os_release(dest, new_size);
        else result = p;
    }
    errno = saved;
    return result;
}

uint64_t os_clock_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

size_t os_resident_bytes(void) {
    int saved = errno;
    size_t result = 0;
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char buf[128];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n > 0) {
            buf[n] = 0;
            const char *s = buf;
            while (*s && *s != ' ') s++; /* skip the total size */
            while (*s == ' ') s++;
            size_t pages = 0;
            while (*s >= '0' && *s <= '9') pages = pages * 10 + (size_t)(*s++ - '0');
            result = pages * os_page_size();
        }
    }
    errno = saved;
    return result;
}

void os_write_all(int fd, const char *buf, size_t len) {
    int saved = errno;
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        buf += n;
        len -= (size_t)n;
    }
    errno = saved;
}

uint64_t os_random_seed(void) {
    int saved = errno;
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)getpid();
    }
    errno = saved;
    return seed;
}

int os_dup_fd(int fd) {
    int saved = errno;
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    errno = saved;
    return copy;
}

int os_open_log(const char *path) {
    int saved = errno;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    errno = saved;
    return fd;
}

void *os_map_file(const char *path, size_t *size) {
    int saved = errno;
    void *result = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        struct stat st;
        if (fstat(fd, &st) == 0 && st.st_size > 0) {
            void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (p != MAP_FAILED) {
                result = p;
                *size = (size_t)st.st_size;
            }
        }
        close(fd);
    }
    errno = saved;
    return result;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Lines of /proc/self/maps start "lo-hi perms ": parsed a character at a
 * time, so a line of any length (long paths) needs no buffer. */
bool os_readable_mapping(uintptr_t addr, uintptr_t *lo, uintptr_t *hi) {
    int saved = errno;
    bool found = false;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char buf[4096];
        uintptr_t a = 0, b = 0;
        int field = 0; /* 0: lo, 1: hi, 2: the read permission, 3: the rest of the line */
        bool readable = false, bad = false;
        for (;;) {
            ssize_t got = read(fd, buf, sizeof buf);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) break;
            for (ssize_t i = 0; i < got && !found; i++) {
                char c = buf[i];
                if (c == '\n') {
                    if (field == 3 && !bad && readable && a <= addr && addr < b) {
                        *lo = a;
                        *hi = b;
                        found = true;
                    }
                    a = b = 0;
                    field = 0;
                    readable = bad = false;
                } else if (field == 0 || field == 1) {
                    int d = hex_digit(c);
                    if (c == (field == 0 ? '-' : ' ')) field++;
                    else if (d < 0) bad = true;
                    else if (field == 0) a = a << 4 | (uintptr_t)d;
                    else b = b << 4 | (uintptr_t)d;
                } else if (field == 2) {
                    readable = c == 'r';
                    field = 3;
                }
            }
            if (found) break;
        }
        close(fd);
    }
    errno = saved;
    return found;
}

#if defined(__GLIBC__)
/* Exported by glibc's dynamic linker (GLIBC_2.2.5), in no public header. */
extern void *__libc_stack_end __attribute__((weak));

uintptr_t os_main_stack_top(void) {
    return &__libc_stack_end != NULL ? (uintptr_t)__libc_stack_end : 0;
}

/* Exported by glibc (GLIBC_2.2.5), in no public header; weak, so that a
 * libc without them leaves these no-ops. */
extern void _IO_list_lock(void) __attribute__((weak));
extern void _IO_list_unlock(void) __attribute__((weak));
extern void _IO_list_resetlock(void) __attribute__((weak));

void os_stdio_lock(void) {
    if (_IO_list_lock != NULL) _IO_list_lock();
}

void os_stdio_unlock(void) {
    if (_IO_list_unlock != NULL) _IO_list_unlock();
}

void os_stdio_reset_child(void) {
    if (_IO_list_resetlock != NULL) _IO_list_resetlock();
}
#else
uintptr_t os_main_stack_top(void) {
    return 0;
}

void os_stdio_lock(void) {
}

void os_stdio_unlock(void) {
}

void os_stdio_reset_child(void) {
}
#endif

extern char **environ;

long os_run_capture(char *const argv[], char *out, size_t cap) {
    int saved = errno;
    long total = -1;
    int fds[2];
    if (cap == 0 || pipe2(fds, O_CLOEXEC) != 0) goto done;
    /* The child's environment: ours without LD_PRELOAD (built on the stack). */
    char *env[256];
    size_t n = 0;
    for (char **e = environ; e != NULL && *e != NULL && n < 255; e++)
        if (strncmp(*e, "LD_PRELOAD=", 11) != 0) env[n++] = *e;
    env[n] = NULL;
    /* A raw clone rather than fork(): no atfork handlers (ward's own would
     * take locks a report may be made under), and the child only execs. */
    pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        goto done;
    }
    if (pid == 0) {
        dup2(fds[1], 1);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, 2);
        execve(argv[0], argv, env);
        _exit(127);
    }
    close(fds[1]);
    total = 0;
    for (;;) {
        ssize_t r = read(fds[0], out + total, cap - 1 - (size_t)total);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        total += r;
        if ((size_t)total == cap - 1) break;
    }
    out[total] = 0;
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) total = -1;
done:
    errno = saved;
    return total;
}

/* Debug builds record the thread of every allocation and free: one system
 * call per thread, not per call. A forked child forgets it (os_fork_child). */
static __thread unsigned long cached_thread_id __attribute__((tls_model("initial-exec")));

unsigned long os_thread_id(void) {
    if (__builtin_expect(cached_thread_id == 0, 0)) cached_thread_id = (unsigned long)syscall(SYS_gettid);
    return cached_thread_id;
}

void os_fork_child(void) {
    cached_thread_id = 0;
}

bool os_self_exe(char *out, size_t cap) {
    int saved = errno;
    ssize_t n = readlink("/proc/self/exe", out, cap - 1);
    errno = saved;
    if (n <= 0) return false;
    out[n] = 0;
    return true;
}
