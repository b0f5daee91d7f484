/* 100 MiB of 1000-byte blocks for the tests of memory reused between
 * threads: allocate_all fills them in, free_all checks and frees them
 * (thread functions; include after api.h). */
#ifndef WARD_TEST_BLOCKS100_H
#define WARD_TEST_BLOCKS100_H

enum { N = 100000, SIZE = 1000 };
static void *blocks[N];

static void *allocate_all(void *arg)
{
    (void)arg;
    for (int i = 0; i < N; i++) {
        blocks[i] = t_malloc(SIZE);
        CHECK(blocks[i] != NULL);
        memset(blocks[i], 0x5a, SIZE);
    }
    return NULL;
}

static void *free_all(void *arg)
{
    (void)arg;
    for (int i = 0; i < N; i++) {
        CHECK(((unsigned char *)blocks[i])[SIZE - 1] == 0x5a);
        t_free(blocks[i]);
    }
    return NULL;
}

#endif
