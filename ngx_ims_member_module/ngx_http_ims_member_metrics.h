
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_METRICS_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_METRICS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * The module's counters, in a shared memory zone that all workers add to
 * with atomic operations and that outlives a reload.  Nothing here takes
 * a lock; the status page reads it as it is (ngx_http_ims_member_status.c).
 */

/* the endpoints requests are counted by */
#define NGX_HTTP_IMS_MEMBER_EP_UPDATE                   0
#define NGX_HTTP_IMS_MEMBER_EP_MEMBER_CREATE            1
#define NGX_HTTP_IMS_MEMBER_EP_MEMBER_DELETE            2
#define NGX_HTTP_IMS_MEMBER_EP_MEMBER_LIST              3
#define NGX_HTTP_IMS_MEMBER_EP_MEMBER_SHOW              4
#define NGX_HTTP_IMS_MEMBER_EP_BATCH_UPDATE             5
#define NGX_HTTP_IMS_MEMBER_EP_BATCH_ADD                6
#define NGX_HTTP_IMS_MEMBER_EP_BATCH_REMOVE             7
#define NGX_HTTP_IMS_MEMBER_EP_JOB                      8
#define NGX_HTTP_IMS_MEMBER_EP_N                        9

/* counters, and gauges set by whoever read them last */
#define NGX_HTTP_IMS_MEMBER_M_CONNECT_FAILURES          0
#define NGX_HTTP_IMS_MEMBER_M_QUEUE_REFUSED             1
#define NGX_HTTP_IMS_MEMBER_M_JOBS_SUBMITTED            2
#define NGX_HTTP_IMS_MEMBER_M_JOB_SLICES                3
#define NGX_HTTP_IMS_MEMBER_M_JOB_SLICE_FAILURES        4
#define NGX_HTTP_IMS_MEMBER_M_KEYSTONE_VALID            5
#define NGX_HTTP_IMS_MEMBER_M_KEYSTONE_INVALID          6
#define NGX_HTTP_IMS_MEMBER_M_KEYSTONE_ERRORS           7
#define NGX_HTTP_IMS_MEMBER_M_KEYSTONE_HITS             8
#define NGX_HTTP_IMS_MEMBER_M_KEYSTONE_MISSES           9
#define NGX_HTTP_IMS_MEMBER_M_KEYSTONE_EVICTIONS        10
#define NGX_HTTP_IMS_MEMBER_M_REQUESTS_UNCOUNTED        11
#define NGX_HTTP_IMS_MEMBER_M_JOB_OLDEST_MS             12
#define NGX_HTTP_IMS_MEMBER_M_N                         13

/* statements timed, as many as the statement catalogue may hold */
#define NGX_HTTP_IMS_MEMBER_METRICS_STMTS               16

/* buckets of the time histograms (microseconds) and of group sizes */
#define NGX_HTTP_IMS_MEMBER_METRICS_TIMES               14
#define NGX_HTTP_IMS_MEMBER_METRICS_SIZES               9

/* the answers told apart: endpoint, status, cause */
#define NGX_HTTP_IMS_MEMBER_ANSWERS                     1024

/* processes with a share of the gauges at once, old workers included */
#define NGX_HTTP_IMS_MEMBER_METRICS_WORKERS             128


/*
 * Counts are 64 bits on every platform (a sum of microseconds would wrap
 * within the hour in 32), added to with the compiler's atomic builtin.
 */
typedef uint64_t  ngx_http_ims_member_count_t;


/* what one worker holds now: written by that worker alone */

typedef struct {
    ngx_atomic_t                        pid;
    /* its ims_member_pool */
    ngx_atomic_t                        max;
    /* database connections, those being opened included */
    ngx_atomic_t                        open;
    ngx_atomic_t                        connecting;
    ngx_atomic_t                        idle;
    /* statements waiting for a connection, updates for a group */
    ngx_atomic_t                        waiting;
    ngx_atomic_t                        grouping;
    /* connection attempts failed in a row (the back-off's exponent) */
    ngx_atomic_t                        failures;
    /* the LISTEN connection of the job timer is up */
    ngx_atomic_t                        listen;
} ngx_http_ims_member_metrics_worker_t;


#define NGX_HTTP_IMS_MEMBER_BUCKETS  (NGX_HTTP_IMS_MEMBER_METRICS_TIMES + 1)

typedef struct {
    ngx_http_ims_member_count_t         bucket[NGX_HTTP_IMS_MEMBER_BUCKETS];
    ngx_http_ims_member_count_t         sum;
} ngx_http_ims_member_metrics_hist_t;


typedef struct {
    ngx_http_ims_member_count_t         counter[NGX_HTTP_IMS_MEMBER_M_N];

    /* (endpoint, status, cause) + 1, and how many were answered so */
    ngx_atomic_t                        key[NGX_HTTP_IMS_MEMBER_ANSWERS];
    ngx_http_ims_member_count_t         n[NGX_HTTP_IMS_MEMBER_ANSWERS];

    ngx_http_ims_member_metrics_hist_t  request[NGX_HTTP_IMS_MEMBER_EP_N];
    ngx_http_ims_member_metrics_hist_t  stmt[NGX_HTTP_IMS_MEMBER_METRICS_STMTS];
    ngx_http_ims_member_metrics_hist_t  group;

    ngx_http_ims_member_metrics_worker_t
                                    worker[NGX_HTTP_IMS_MEMBER_METRICS_WORKERS];
} ngx_http_ims_member_metrics_t;


extern ngx_str_t       ngx_http_ims_member_metrics_endpoints[];
extern const uint64_t  ngx_http_ims_member_metrics_times[];
extern const uint64_t  ngx_http_ims_member_metrics_sizes[];


ngx_shm_zone_t *ngx_http_ims_member_metrics_zone(ngx_conf_t *cf);
ngx_http_ims_member_metrics_worker_t *ngx_http_ims_member_metrics_join(
    ngx_cycle_t *cycle, ngx_http_ims_member_metrics_t *m, ngx_uint_t max);
ngx_uint_t ngx_http_ims_member_metrics_alive(ngx_atomic_uint_t pid);
void ngx_http_ims_member_metrics_leave(
    ngx_http_ims_member_metrics_worker_t *w);
uint64_t ngx_http_ims_member_metrics_now(void);
void ngx_http_ims_member_metrics_answer(ngx_http_ims_member_metrics_t *m,
    ngx_uint_t endpoint, ngx_uint_t status, ngx_uint_t cause,
    uint64_t usec);
void ngx_http_ims_member_metrics_statement(ngx_http_ims_member_metrics_t *m,
    ngx_uint_t stmt, uint64_t usec);
void ngx_http_ims_member_metrics_group(ngx_http_ims_member_metrics_t *m,
    ngx_uint_t n);
ngx_uint_t ngx_http_ims_member_metrics_answer_key(ngx_atomic_uint_t key,
    ngx_uint_t *endpoint, ngx_uint_t *status, ngx_uint_t *cause);


#define ngx_http_ims_member_metrics_add(m, i, n)                             \
    do {                                                                      \
        if (m) {                                                              \
            (void) __atomic_fetch_add(&(m)->counter[i], n,                    \
                                      __ATOMIC_RELAXED);                      \
        }                                                                     \
    } while (0)

#define ngx_http_ims_member_metrics_set(m, i, v)                             \
    do {                                                                      \
        if (m) {                                                              \
            __atomic_store_n(&(m)->counter[i], (uint64_t) (v),                \
                             __ATOMIC_RELAXED);                               \
        }                                                                     \
    } while (0)


#endif /* _NGX_HTTP_IMS_MEMBER_METRICS_H_INCLUDED_ */
