/* guard_metadata — the guard modes' per-block metadata and quarantine, one
 * CTest case per argument and library.
 *
 *  trailer     the 8 bytes after a 32-byte block's canary hold its trailer
 *              (p + 40 in both guard modes: hardened blocks of 48 bytes,
 *              debug blocks of 96 with a 48-byte left redzone); rewriting
 *              any one of those bytes of a live block, without touching the
 *              canary, is reported when it is freed (8 blocks, one byte
 *              each);
 *  state_flip  the trailer's state byte of a freed 800-byte block rewritten
 *              to "live", as a write after free could: a second free is
 *              reported, not taken. The trailer of such a block is at
 *              p + OFFSET (given: 888 hardened, 840 debug), and its canary
 *              lies outside what the free pattern covers, so only the
 *              trailer's checksum can tell (the state was once outside it,
 *              and such a second free went through in hardened mode);
 *  delay       a freed 48-byte block is not handed out again before RING
 *              further frees of that size (the quarantine ring: 1024 blocks
 *              hardened, 16384 debug), and is handed out again later;
 *  stale       a free of a block of a destroyed first-class heap, whose
 *              segment another heap now uses and whose page has not carved
 *              that block yet (its old live trailer is still there): one
 *              invalid free reported, and no block handed out twice after
 *              it (the free's trailer lookup once reached past the carved
 *              blocks, took the stale block and linked it twice);
 *  replay      the 16 bytes after a live block (canary, trailer) read, the
 *              block freed, the bytes written back and the block freed
 *              again: the second free looks like a first (the trailer is
 *              the block's own memory), but the duplicate is reported when
 *              the block comes to be handed out twice, it never is, and the
 *              program goes on (WARD_ON_ERROR=report once looped forever
 *              on a free list that led back to the same block); hardened
 *              mode names it a double free (the second copy found when it
 *              leaves the quarantine: the block's first word is a link);
 *  realloc_race  realloc in place racing with a free of the same block by
 *              another thread (a program bug), 20000 rounds: every round is
 *              reported once (realloc's store of the new size once
 *              overwrote the free's "freed" state, and some rounds went
 *              unreported).
 *  owner_race  the thread that allocated a 48-byte block (its segment's
 *              owner) and another thread free it at the same moment of the
 *              clock, 20000 rounds: every round is reported as a double
 *              free, once, and nothing else is reported (a version in which
 *              the owner marked the block freed with a plain store let both
 *              frees pass a few times a run; their two copies then left
 *              the quarantines at once and were both linked);
 *  realloc_damaged  WARD_ON_ERROR=report: a 100-byte block overflowed by a
 *              byte and grown by realloc: one report, and realloc goes on
 *              with a whole copy; another one, then a realloc that fails
 *              (2^60 bytes): the block stays the program's, and its free
 *              reports the overflow again, not a double free (a version that
 *              took the block out of the live ones before the copy was
 *              allocated called that free a double free);
 *  attribution two pairs of neighbouring 24-byte blocks: the first block
 *              of one pair written from its end up to its neighbour's start,
 *              the neighbour freed first: reported as an overflow of the
 *              first block (twice: its own free finds it too), not as an
 *              underflow of the neighbour; the second block of the other
 *              pair written one byte before its start, the first freed
 *              first: reported once, as the second's underflow (hardened
 *              once reported an overflow of the first, then the underflow);
 *  link_word   a freed 48-byte block written at offset 0 (where the
 *              free-list link goes once it leaves the quarantine), then
 *              50000 malloc/free pairs of its size: one write-after-free
 *              report (hardened mode's fill skipped the first 8 bytes: the
 *              write was missed while the block was quarantined, and
 *              reported as heap corruption, then abort even with
 *              WARD_ON_ERROR=report, when it was on the free list);
 *              link_word_exit: the same write, then exit at once: one
 *              report at exit;
 *  bad_link    the same write once the block has left the quarantine (2000
 *              further frees) and its first 8 bytes hold its free-list
 *              link, then 50000 malloc/free pairs: one write-after-free
 *              report (hardened), and the program goes on (the bad link
 *              once aborted even with WARD_ON_ERROR=report);
 *  link_released  the write of bad_link, then malloc_trim and no more
 *              allocations of that size: one report, when the emptied page
 *              is given back (its free blocks' pattern was checked there,
 *              but not their links: the write went unreported);
 *  user_tail   a freed 1000-byte block written in its last 8 bytes, then
 *              50000 malloc/free pairs of its size: one write-after-free
 *              report (debug mode checked 64 bytes at each end of the raw
 *              block, and its redzone and canary keep the user's last bytes
 *              away from both: the write was missed);
 *  pow2_pages  2000 blocks of a size whose pages have no head (64-byte
 *              hardened blocks fill a page exactly), after a page with a
 *              zero tail: freeing them all reports nothing (the first block
 *              of such a page has no neighbour in its page to check).
 *
 * The child is this program re-executed with the guard library preloaded,
 * WARD_ON_ERROR=report and WARD_LOG; the parent counts the reports.
 *
 * usage: test_guard_metadata CASE LIBRARY [RING | OFFSET]
 */
#include "api.h"

#include "../lifetimes/child_run.c"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

static int ptr_cmp(const void *a, const void *b)
{
    const void *x = *(void *const *)a, *y = *(void *const *)b;
    return x < y ? -1 : x > y;
}

#define TRAILER_AT 40 /* from the user pointer of a 32-byte block */

static void child_trailer(void)
{
    for (int k = 0; k < 8; k++) {
        unsigned char *volatile p = malloc(32); /* the compiler must not see the bounds */
        CHECK(p != NULL);
        memset(p, 'x', 32);
        p[TRAILER_AT + k] ^= 0x5a;
        free(p);
    }
}

static void child_state_flip(size_t trailer_offset)
{
    unsigned char *volatile p = malloc(800);
    CHECK(p != NULL);
    memset(p, 'x', 800);
    free(p);
    p[trailer_offset + 3] ^= (0xa ^ 0x5) << 4; /* the state, bits 28-31: freed -> live */
    free(p);
}

/* The test links no ward library (the guard library comes in through
 * LD_PRELOAD): the first-class heap functions are looked up. */
static void *ward_function(const char *name)
{
    void *f = dlsym(RTLD_DEFAULT, name);
    CHECKF(f != NULL, "%s not found: is a ward library preloaded?", name);
    return f;
}

static void child_stale(void)
{
    enum { OLD = 1000, NEW = 4000 };
    static void *old[OLD], *got[NEW];
    ward_heap_t *(*ward_heap_new)(void) = (ward_heap_t * (*)(void)) ward_function("ward_heap_new");
    void *(*ward_heap_malloc)(ward_heap_t *, size_t) =
        (void *(*)(ward_heap_t *, size_t))ward_function("ward_heap_malloc");
    void (*ward_heap_destroy)(ward_heap_t *) = (void (*)(ward_heap_t *))ward_function("ward_heap_destroy");
    void (*ward_free)(void *) = (void (*)(void *))ward_function("ward_free");
    ward_heap_t *h = ward_heap_new();
    CHECK(h != NULL);
    for (int i = 0; i < OLD; i++) CHECK((old[i] = ward_heap_malloc(h, 24)) != NULL);
    ward_heap_destroy(h);
    ward_heap_t *h2 = ward_heap_new();
    CHECK(h2 != NULL);
    int n = 0;
    for (; n < 10; n++) CHECK((got[n] = ward_heap_malloc(h2, 24)) != NULL);
    /* The old block farthest into the page the new heap now carves. */
    void *stale = NULL;
    for (int i = 0; i < OLD; i++)
        if (((uintptr_t)old[i] >> 16) == ((uintptr_t)got[0] >> 16) && (stale == NULL || old[i] > stale)) stale = old[i];
    if (stale == NULL) {
        /* The new heap did not reuse the segment: nothing to look at. */
        fprintf(stderr, "segment not reused\n");
        ward_free(got[0]);
        return;
    }
    ward_free(stale); /* a use after destroy */
    for (; n < NEW; n++) {
        CHECK((got[n] = ward_heap_malloc(h2, 24)) != NULL);
        memset(got[n], 0x11, 24);
    }
    qsort(got, NEW, sizeof got[0], ptr_cmp);
    for (int i = 1; i < NEW; i++) CHECKF(got[i] != got[i - 1], "block %p handed out twice", got[i]);
    ward_heap_destroy(h2);
}

static void child_replay(void)
{
    unsigned char *volatile p = malloc(32);
    CHECK(p != NULL);
    unsigned char save[16];
    memcpy(save, (unsigned char *)p + 32, 16);
    free(p);
    memcpy((unsigned char *)p + 32, save, 16);
    free(p);
    static void *tmp[3000], *live[3000];
    for (int i = 0; i < 3000; i++) tmp[i] = malloc(200);
    for (int i = 0; i < 3000; i++) free(tmp[i]);
    int hits = 0;
    for (int i = 0; i < 3000; i++) {
        live[i] = malloc(32);
        CHECK(live[i] != NULL);
        memset((char *)live[i] + 8, 0x61, 24);
        hits += live[i] == p;
    }
    CHECKF(hits <= 1, "the replayed block was handed out %d times", hits);
}

enum { RACE_ROUNDS = 20000 };
static void *volatile race_block;
static _Atomic int race_go;
static pthread_barrier_t race_barrier;

static void *race_freer(void *arg)
{
    (void)arg;
    for (int r = 0; r < RACE_ROUNDS; r++) {
        pthread_barrier_wait(&race_barrier);
        while (atomic_load(&race_go) <= r) {
        }
        free(race_block);
        pthread_barrier_wait(&race_barrier);
    }
    return NULL;
}

static void child_realloc_race(void)
{
    pthread_t t;
    CHECK(pthread_barrier_init(&race_barrier, NULL, 2) == 0);
    CHECK(pthread_create(&t, NULL, race_freer, NULL) == 0);
    for (int r = 0; r < RACE_ROUNDS; r++) {
        race_block = malloc(32);
        CHECK(race_block != NULL);
        pthread_barrier_wait(&race_barrier);
        atomic_store(&race_go, r + 1);
        void *q = realloc(race_block, 24);
        pthread_barrier_wait(&race_barrier);
        if (q != NULL) free(q);
    }
    CHECK(pthread_join(t, NULL) == 0);
}

/* owner_race: both threads start their free at one moment of the clock
 * (a barrier's wake-ups are too far apart to overlap two frees). */
static _Atomic uint64_t race_start_ns;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void free_at_start(void *p)
{
    uint64_t start = atomic_load(&race_start_ns);
    while (now_ns() < start) {
    }
    free(p);
}

static void *owner_race_freer(void *arg)
{
    (void)arg;
    for (int r = 0; r < RACE_ROUNDS; r++) {
        pthread_barrier_wait(&race_barrier);
        free_at_start(race_block);
        pthread_barrier_wait(&race_barrier);
    }
    return NULL;
}

static void child_owner_race(void)
{
    pthread_t t;
    CHECK(pthread_barrier_init(&race_barrier, NULL, 2) == 0);
    CHECK(pthread_create(&t, NULL, owner_race_freer, NULL) == 0);
    for (int r = 0; r < RACE_ROUNDS; r++) {
        race_block = malloc(48);
        CHECK(race_block != NULL);
        memset(race_block, 1, 48);
        atomic_store(&race_start_ns, now_ns() + 20000);
        pthread_barrier_wait(&race_barrier);
        free_at_start(race_block);
        pthread_barrier_wait(&race_barrier);
    }
    CHECK(pthread_join(t, NULL) == 0);
}

/* Two blocks of `size` bytes next to each other in memory (a before b). */
static void neighbours(size_t size, unsigned char **a, unsigned char **b)
{
    enum { N = 256 };
    static unsigned char *blocks[N];
    for (int i = 0; i < N; i++) {
        blocks[i] = malloc(size);
        CHECK(blocks[i] != NULL);
    }
    qsort(blocks, N, sizeof blocks[0], ptr_cmp);
    size_t step = SIZE_MAX;
    for (int i = 1; i < N; i++)
        if ((size_t)(blocks[i] - blocks[i - 1]) < step) step = (size_t)(blocks[i] - blocks[i - 1]);
    for (int i = 1; i < N; i++) {
        if ((size_t)(blocks[i] - blocks[i - 1]) == step) {
            *a = blocks[i - 1];
            *b = blocks[i];
            return; /* the other blocks stay live: no reuse muddles the pairs */
        }
    }
    FAIL("no neighbours among %d blocks", N);
}

static void child_attribution(void)
{
    unsigned char *a, *b, *c, *d;
    neighbours(24, &a, &b);
    neighbours(24, &c, &d);
    printf("overflowed=%p underflowed=%p\n", (void *)a, (void *)d);
    fflush(stdout);
    unsigned char *volatile wa = a, *volatile wd = d;
    memset(wa + 24, 'x', (size_t)(b - a) - 24); /* up to b's first byte */
    free(b);
    free(a);
    wd[-1] = 'x';
    free(c);
    free(d);
}

/* A 48-byte block freed, and written at offset 0 after `later_frees` more
 * frees of its size; then, if `churn`, 50000 malloc/free pairs. */
static void child_link_word(int later_frees, bool churn)
{
    enum { N = 2000 };
    static void *others[N];
    unsigned char *volatile p = malloc(48);
    CHECK(p != NULL && later_frees <= N);
    memset(p, 'x', 48);
    for (int i = 0; i < later_frees; i++) CHECK((others[i] = malloc(48)) != NULL);
    free(p);
    for (int i = 0; i < later_frees; i++) free(others[i]);
    memset(p, 'w', 8);
    for (int i = 0; churn && i < 50000; i++) {
        char *q = malloc(48);
        CHECK(q != NULL);
        memset(q, 2, 48);
        free(q);
    }
}

/* link_released: the write of bad_link, then no more allocations of that
 * size: malloc_trim gives the emptied page back, and the check of its free
 * blocks must look at their links too. */
static void child_link_released(void)
{
    child_link_word(2000, false);
    (void)malloc_trim(0);
}

static void child_user_tail(void)
{
    unsigned char *volatile p = malloc(1000);
    CHECK(p != NULL);
    memset(p, 'x', 1000);
    free(p);
    memset(p + 992, 'w', 8);
    for (int i = 0; i < 50000; i++) {
        char *q = malloc(1000);
        CHECK(q != NULL);
        q[0] = 1;
        free(q);
    }
}

static void child_realloc_damaged(void)
{
    /* Goes on with a copy: the overflow reported once, the copy whole. */
    char *volatile p = malloc(100);
    CHECK(p != NULL);
    memset(p, 'a', 101);
    char *q = realloc(p, 200);
    CHECK(q != NULL && q != p);
    for (int i = 0; i < 100; i++) CHECK(q[i] == 'a');
    free(q);
    /* No copy: the block stays the program's, its free no double free. */
    p = malloc(100);
    CHECK(p != NULL);
    memset(p, 'b', 101);
    errno = 0;
    CHECK(realloc(p, (size_t)1 << 60) == NULL && errno == ENOMEM);
    free(p);
}

static void child_pow2_pages(void)
{
    enum { N = 2000 };
    static void *blocks[N];
    void *first = malloc(24); /* a page of 48-byte blocks: 16 unused bytes at its end */
    CHECK(first != NULL);
    for (int i = 0; i < N; i++) {
        blocks[i] = malloc(48); /* 64-byte blocks in hardened mode */
        CHECK(blocks[i] != NULL);
        memset(blocks[i], 'y', 48);
    }
    for (int i = 0; i < N; i++) free(blocks[i]);
    free(first);
}

static void child_delay(size_t ring)
{
    void *first = malloc(48);
    CHECK(first != NULL);
    free(first);
    for (size_t i = 0; i + 1 < ring; i++) {
        void *q = malloc(48);
        CHECKF(q != first, "a freed block came back after %zu frees (ring %zu)", i + 1, ring);
        free(q);
    }
    for (size_t i = 0; i < 50 * ring; i++) {
        void *q = malloc(48);
        free(q);
        if (q == first) return;
    }
    FAIL("the freed block never came back in %zu frees", 51 * ring);
}

/* The attribution case's reports, in order: the overflowed block twice,
 * then the underflowed one. */
static void check_attribution(const char *log, const char *out)
{
    void *over = NULL, *under = NULL;
    const char *line = strstr(out, "overflowed=");
    CHECKF(line != NULL && sscanf(line, "overflowed=%p underflowed=%p", &over, &under) == 2, "child said: %s", out);
    char want[3][128];
    snprintf(want[0], sizeof want[0], "ward: error: heap buffer overflow of %p ", over);
    snprintf(want[1], sizeof want[1], "ward: error: heap buffer overflow of %p ", over);
    snprintf(want[2], sizeof want[2], "ward: error: heap buffer underflow of %p ", under);
    FILE *f = fopen(log, "r");
    CHECKF(f != NULL, "no report log %s", log);
    char text[4096];
    int k = 0;
    while (fgets(text, sizeof text, f) != NULL) {
        if (strncmp(text, "ward: error: ", 13) != 0) continue;
        CHECKF(k < 3 && !strncmp(text, want[k], strlen(want[k])), "report %d: %s(expected %s...)", k + 1, text,
               k < 3 ? want[k] : "none");
        k++;
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "child")) {
        if (!strcmp(argv[2], "trailer")) child_trailer();
        else if (!strcmp(argv[2], "state_flip") && argc == 4) child_state_flip(strtoul(argv[3], NULL, 10));
        else if (!strcmp(argv[2], "delay") && argc == 4) child_delay(strtoul(argv[3], NULL, 10));
        else if (!strcmp(argv[2], "stale")) child_stale();
        else if (!strcmp(argv[2], "replay")) child_replay();
        else if (!strcmp(argv[2], "realloc_race")) child_realloc_race();
        else if (!strcmp(argv[2], "owner_race")) child_owner_race();
        else if (!strcmp(argv[2], "attribution")) child_attribution();
        else if (!strcmp(argv[2], "pow2_pages")) child_pow2_pages();
        else if (!strcmp(argv[2], "link_word")) child_link_word(0, true);
        else if (!strcmp(argv[2], "bad_link")) child_link_word(2000, true);
        else if (!strcmp(argv[2], "user_tail")) child_user_tail();
        else if (!strcmp(argv[2], "link_word_exit")) child_link_word(0, false);
        else if (!strcmp(argv[2], "link_released")) child_link_released();
        else if (!strcmp(argv[2], "realloc_damaged")) child_realloc_damaged();
        else FAIL("unknown child case %s", argv[2]);
        return 0;
    }
    CHECKF(argc >= 3, "usage: test_guard_metadata CASE LIBRARY [RING | OFFSET]");
    const char *what = argv[1];
    char preload[4200], log[128], logenv[160];
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", argv[2]);
    snprintf(log, sizeof log, "/tmp/ward-guard-metadata-%d.log", (int)getpid());
    snprintf(logenv, sizeof logenv, "WARD_LOG=%s", log);
    unlink(log);
    const char *env[] = {preload, logenv, "WARD_ON_ERROR=report", "WARD_LEAKS=0", "WARD_SYMBOLIZE=0",
                         "WARD_SAMPLE=0", NULL};
    const char *args[] = {"child", what, argc > 3 ? argv[3] : NULL, NULL};
    static child_result_t r;
    run_child(&r, NULL, args, env);
    char how[128];
    describe_child(&r, how, sizeof how);
    CHECKF(r.exited && r.code == 0, "child %s:\n%.2000s", how, r.out);
    size_t reports = count_log_lines(log, "ward: error: ");
    /* realloc_race: one of each round's two calls loses the race and
     * reports it; a free that runs between realloc's new trailer and its
     * new canary may also report an overflow (the program races). */
    size_t raced = count_log_lines(log, "ward: error: double free") +
                   count_log_lines(log, "ward: error: use after free");
    if (!strcmp(what, "attribution")) check_attribution(log, r.out);
    unlink(log);
    if (!strcmp(what, "attribution")) {
        CHECKF(reports == 3, "attribution: %zu reports", reports);
    } else if (!strcmp(what, "realloc_race")) {
        CHECKF(raced == RACE_ROUNDS, "realloc_race: %zu double free / use after free reports, %zu in all", raced,
               reports);
    } else if (!strcmp(what, "owner_race")) {
        CHECKF(raced == RACE_ROUNDS && reports == RACE_ROUNDS, "owner_race: %zu double free reports, %zu in all",
               raced, reports);
    } else if (!strcmp(what, "realloc_damaged")) {
        /* The first block's overflow; the second's at the realloc and again at its free. */
        CHECKF(reports == 3 && raced == 0, "realloc_damaged: %zu reports, %zu double free / use after free", reports,
               raced);
    } else if (!strcmp(what, "replay")) {
        CHECKF(reports >= 1 && reports <= 3, "replay: %zu reports", reports);
        /* Hardened: the second copy is named a double free when it leaves
         * the quarantine (it was called a write after free at offset 0). */
        CHECKF(strstr(argv[2], "hardened") == NULL || raced >= 1, "replay: no double free among %zu reports", reports);
    } else if (!strcmp(what, "stale") && strstr(r.out, "segment not reused") != NULL) {
        printf("guard_metadata stale (%s): the new heap took another segment, nothing checked\n", argv[2]);
        return 77;
    } else {
        size_t want = !strcmp(what, "trailer") ? 8 : !strcmp(what, "state_flip") ? 1
                      : !strcmp(what, "stale") || !strncmp(what, "link_word", 9) || !strcmp(what, "bad_link") || !strcmp(what, "link_released") || !strcmp(what, "user_tail") ? 1
                                                                                                             : 0;
        CHECKF(reports == want, "%s: %zu reports, expected %zu", what, reports, want);
    }
    printf("guard_metadata %s (%s): ok\n", what, argv[2]);
    return 0;
}
