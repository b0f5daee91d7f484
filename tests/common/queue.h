/* queue.h — a bounded blocking queue of (block, size, seed) for tests that hand
 * blocks between threads. Its storage comes from raw_alloc (not the allocator
 * under test); the mutex gives the hand-over its happens-before edge. */
#ifndef WARD_TEST_QUEUE_H
#define WARD_TEST_QUEUE_H

#include <pthread.h>

#include "check.h"

typedef struct {
    void *p;
    size_t size;
    uint64_t seed;
} qitem_t;

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    qitem_t *items;
    size_t cap, head, tail;
    int producers; /* open producers; pop returns 0 when none is left and the queue is empty */
} queue_t;

static TEST_UNUSED void q_init(queue_t *q, size_t cap, int producers)
{
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    q->items = (qitem_t *)raw_alloc(cap * sizeof(qitem_t));
    q->cap = cap;
    q->head = q->tail = 0;
    q->producers = producers;
}
static TEST_UNUSED void q_destroy(queue_t *q)
{
    raw_free(q->items, q->cap * sizeof(qitem_t));
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
}
static TEST_UNUSED void q_push(queue_t *q, qitem_t it)
{
    pthread_mutex_lock(&q->mu);
    while (q->tail - q->head == q->cap) pthread_cond_wait(&q->cv, &q->mu);
    q->items[q->tail % q->cap] = it;
    q->tail++;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}
static TEST_UNUSED void q_producer_done(queue_t *q)
{
    pthread_mutex_lock(&q->mu);
    q->producers--;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}
static TEST_UNUSED int q_pop(queue_t *q, qitem_t *it)
{
    pthread_mutex_lock(&q->mu);
    while (q->tail == q->head && q->producers > 0) pthread_cond_wait(&q->cv, &q->mu);
    if (q->tail == q->head) {
        pthread_mutex_unlock(&q->mu);
        return 0;
    }
    *it = q->items[q->head % q->cap];
    q->head++;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return 1;
}

#endif
