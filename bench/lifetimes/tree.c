/* tree — build a binary tree of N small nodes, each with a short string,
 * walk it, tear it down; ROUNDS times.
 *
 * usage: tree [nodes (1000000)] [rounds (10)]
 *
 * Models a parse tree / DOM / AST: many small objects of two kinds that are
 * born one by one and die together. The tree is built depth first (the
 * middle key first, then the left half, then the right half), so it is
 * balanced; the walk visits it in order and checks every node's key and
 * string against a reference computed without the tree.
 *
 * Teardown per contender:
 *   ward arena   ward_arena_destroy (a new arena every round)
 *   ward pool    ward_pool_destroy of the node pool and the string pool
 *   talloc       talloc_free of the root context (nodes are children of
 *                their parent node, strings of their node: the usual talloc
 *                hierarchy)
 *   APR          apr_pool_destroy (a new pool every round)
 *   obstack      obstack_free to the first object of the round
 *   malloc       free() of every string and node, post order
 */
#include "common.h"

#include <stddef.h>

typedef struct node {
    struct node *left, *right;
    uint64_t key;
    char *name;
} node_t;

#define NAME_MAX_LEN 20 /* names are 4..19 characters + NUL */

/* The name of key k, written to buf; returns its length (without NUL). */
static inline size_t make_name(uint64_t k, char *buf) {
    uint64_t h = mix64(k + 1);
    size_t len = 4 + (size_t)(h & 15);
    h >>= 4;
    for (size_t i = 0; i < len; i++) {
        buf[i] = (char)('a' + (h % 26));
        h = h / 26 + (uint64_t)i * 0x9E3779B9u;
    }
    buf[len] = 0;
    return len;
}

static inline uint64_t node_hash(uint64_t key, const char *name) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) h = (h ^ *p) * 1099511628211ull;
    return mix64(key ^ h);
}

/* ---- the contenders ------------------------------------------------------ */

#if defined(USE_WARD_ARENA)
#include <ward.h>
#define VARIANT "ward-arena"
typedef ward_arena_t *ctx_t;
static ctx_t ctx_new(void) { return ward_arena_new(0); }
static inline node_t *node_alloc(ctx_t c, node_t *parent) {
    (void)parent;
    return ward_arena_alloc(c, sizeof(node_t), _Alignof(node_t));
}
static inline char *name_alloc(ctx_t c, node_t *n, size_t size) {
    (void)n;
    return ward_arena_alloc(c, size, 1);
}
static void teardown(ctx_t c, node_t *root) {
    (void)root;
    ward_arena_destroy(c);
}

#elif defined(USE_WARD_POOL)
#include <ward.h>
#define VARIANT "ward-pool"
typedef struct {
    ward_pool_t *nodes, *names;
} *ctx_t;
static ctx_t ctx_new(void) {
    ctx_t c = malloc(sizeof *c);
    if (c == NULL) return NULL;
    c->nodes = ward_pool_new(sizeof(node_t), _Alignof(node_t));
    c->names = ward_pool_new(NAME_MAX_LEN, 1); /* fixed 24-byte slots (8-aligned) */
    return c->nodes && c->names ? c : NULL;
}
static inline node_t *node_alloc(ctx_t c, node_t *parent) {
    (void)parent;
    return ward_pool_alloc(c->nodes);
}
static inline char *name_alloc(ctx_t c, node_t *n, size_t size) {
    (void)n;
    (void)size;
    return ward_pool_alloc(c->names);
}
static void teardown(ctx_t c, node_t *root) {
    (void)root;
    ward_pool_destroy(c->nodes);
    ward_pool_destroy(c->names);
    free(c);
}

#elif defined(USE_TALLOC)
#include <talloc.h>
#define VARIANT "talloc"
typedef void *ctx_t;
static ctx_t ctx_new(void) { return talloc_new(NULL); }
static inline node_t *node_alloc(ctx_t c, node_t *parent) {
    return talloc_size(parent ? (void *)parent : c, sizeof(node_t));
}
static inline char *name_alloc(ctx_t c, node_t *n, size_t size) {
    (void)c;
    return talloc_size(n, size);
}
static void teardown(ctx_t c, node_t *root) {
    (void)root;
    CHECK(talloc_free(c) == 0, "talloc_free failed");
}

#elif defined(USE_APR)
#include <apr_general.h>
#include <apr_pools.h>
#define VARIANT "apr"
typedef apr_pool_t *ctx_t;
static ctx_t ctx_new(void) {
    apr_pool_t *p = NULL;
    return apr_pool_create(&p, NULL) == APR_SUCCESS ? p : NULL;
}
static inline node_t *node_alloc(ctx_t c, node_t *parent) {
    (void)parent;
    return apr_palloc(c, sizeof(node_t));
}
static inline char *name_alloc(ctx_t c, node_t *n, size_t size) {
    (void)n;
    return apr_palloc(c, size);
}
static void teardown(ctx_t c, node_t *root) {
    (void)root;
    apr_pool_destroy(c);
}

#elif defined(USE_OBSTACK)
#include <obstack.h>
#define obstack_chunk_alloc malloc
#define obstack_chunk_free free
#define VARIANT "obstack"
static struct obstack ob;
typedef void *ctx_t; /* the round's first object: obstack_free goes back to it */
static ctx_t ctx_new(void) { return obstack_alloc(&ob, 1); }
static inline node_t *node_alloc(ctx_t c, node_t *parent) {
    (void)c;
    (void)parent;
    return obstack_alloc(&ob, sizeof(node_t));
}
static inline char *name_alloc(ctx_t c, node_t *n, size_t size) {
    (void)c;
    (void)n;
    return obstack_alloc(&ob, size);
}
static void teardown(ctx_t c, node_t *root) {
    (void)root;
    obstack_free(&ob, c);
}

#elif defined(USE_MALLOC)
#define VARIANT "malloc"
typedef void *ctx_t;
static ctx_t ctx_new(void) { return (void *)1; }
static inline node_t *node_alloc(ctx_t c, node_t *parent) {
    (void)c;
    (void)parent;
    return malloc(sizeof(node_t));
}
static inline char *name_alloc(ctx_t c, node_t *n, size_t size) {
    (void)c;
    (void)n;
    return malloc(size);
}
static void free_tree(node_t *n) {
    while (n != NULL) {
        free_tree(n->left);
        node_t *right = n->right;
        free(n->name);
        free(n);
        n = right;
    }
}
static void teardown(ctx_t c, node_t *root) {
    (void)c;
    free_tree(root);
}

#else
#error "define one of USE_WARD_ARENA USE_WARD_POOL USE_TALLOC USE_APR USE_OBSTACK USE_MALLOC"
#endif

/* ---- the workload ------------------------------------------------------------ */

static node_t *build(ctx_t c, node_t *parent, uint64_t lo, uint64_t hi) { /* keys [lo, hi) */
    if (lo >= hi) return NULL;
    uint64_t mid = lo + (hi - lo) / 2;
    node_t *n = node_alloc(c, parent);
    CHECK(n != NULL, "node allocation failed");
    char buf[NAME_MAX_LEN + 4];
    size_t len = make_name(mid, buf);
    n->name = name_alloc(c, n, len + 1);
    CHECK(n->name != NULL, "name allocation failed");
    memcpy(n->name, buf, len + 1);
    n->key = mid;
    n->left = build(c, n, lo, mid);
    n->right = build(c, n, mid + 1, hi);
    return n;
}

typedef struct {
    uint64_t count, sum, next_key, bad;
} walk_t;

static void walk(const node_t *n, walk_t *w) {
    while (n != NULL) {
        walk(n->left, w);
        if (n->key != w->next_key) w->bad++;
        w->next_key = n->key + 1;
        w->count++;
        w->sum += node_hash(n->key, n->name);
        n = n->right;
    }
}

int main(int argc, char **argv) {
    uint64_t nodes = arg_u64(argc, argv, 1, 1000000);
    uint64_t rounds = arg_u64(argc, argv, 2, 10);

#if defined(USE_APR)
    CHECK(apr_initialize() == APR_SUCCESS, "apr_initialize failed");
#elif defined(USE_OBSTACK)
    CHECK(obstack_begin(&ob, 64 * 1024), "obstack_begin failed"); /* 64 KiB chunks, as ward's first */
    obstack_alignment_mask(&ob) = _Alignof(node_t) - 1;           /* 8, as APR and the arena's nodes */
#endif

    /* The reference: what the walk must find, computed without a tree. */
    uint64_t expect = 0;
    for (uint64_t k = 0; k < nodes; k++) {
        char buf[NAME_MAX_LEN + 4];
        make_name(k, buf);
        expect += node_hash(k, buf);
    }

    double t0 = now_s();
    uint64_t total = 0;
    for (uint64_t r = 0; r < rounds; r++) {
        ctx_t c = ctx_new();
        CHECK(c != NULL, "context creation failed");
        node_t *root = build(c, NULL, 0, nodes);
        walk_t w = {0, 0, 0, 0};
        walk(root, &w);
        CHECK(w.count == nodes && w.bad == 0, "walk found %llu nodes (%llu out of order), expected %llu",
              (unsigned long long)w.count, (unsigned long long)w.bad, (unsigned long long)nodes);
        CHECK(w.sum == expect, "round %llu: checksum %016llx, expected %016llx", (unsigned long long)r,
              (unsigned long long)w.sum, (unsigned long long)expect);
        total += w.sum;
        teardown(c, root);
    }
    double t1 = now_s();

#if defined(USE_APR)
    apr_terminate();
#elif defined(USE_OBSTACK)
    obstack_free(&ob, NULL);
#endif
    printf("tree %s ok checksum=%016llx nodes=%llu rounds=%llu time=%.3f peak_rss_kb=%llu\n", VARIANT, (unsigned long long)total,
           (unsigned long long)nodes, (unsigned long long)rounds, t1 - t0, peak_rss_kb());
    return 0;
}
