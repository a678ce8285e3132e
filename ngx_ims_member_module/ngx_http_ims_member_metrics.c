
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_metrics.h"


/*
 * The zone is one fixed structure, found again by its name after a
 * reload: the counters go on from where they were.  Counters and
 * histograms are added to with atomic additions; a worker's gauges are
 * its own slot, which it alone writes and gives back when it exits (the
 * slot of a worker that died is taken again by a new one).
 */

static ngx_int_t ngx_http_ims_member_metrics_init(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_http_ims_member_metrics_clear(
    ngx_http_ims_member_metrics_worker_t *w);
static void ngx_http_ims_member_metrics_observe(
    ngx_http_ims_member_metrics_hist_t *h, const uint64_t *bounds,
    ngx_uint_t n, uint64_t v);


static ngx_str_t  ngx_http_ims_member_metrics_name =
    ngx_string("ims_member_metrics");


/* the endpoints' names: the "endpoint" label, $ims_member_endpoint */

ngx_str_t  ngx_http_ims_member_metrics_endpoints[] = {
    ngx_string("update"),
    ngx_string("member_create"),
    ngx_string("member_delete"),
    ngx_string("member_list"),
    ngx_string("member_show"),
    ngx_string("batch_update"),
    ngx_string("batch_add"),
    ngx_string("batch_remove"),
    ngx_string("job")
};


/* upper bounds: 0.5 ms to 10 s, and group sizes 1 to 256 */

const uint64_t  ngx_http_ims_member_metrics_times[] = {
    500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 5000000, 10000000
};

const uint64_t  ngx_http_ims_member_metrics_sizes[] = {
    1, 2, 4, 8, 16, 32, 64, 128, 256
};


ngx_shm_zone_t *
ngx_http_ims_member_metrics_zone(ngx_conf_t *cf)
{
    size_t           size;
    ngx_shm_zone_t  *zone;

    /* the slab pool's own pages and header around the structure */

    size = ngx_align(sizeof(ngx_http_ims_member_metrics_t), ngx_pagesize)
           + 8 * ngx_pagesize;

    zone = ngx_shared_memory_add(cf, &ngx_http_ims_member_metrics_name, size,
                                 &ngx_http_ims_member_metrics_name);
    if (zone == NULL) {
        return NULL;
    }

    zone->init = ngx_http_ims_member_metrics_init;

    return zone;
}


static ngx_int_t
ngx_http_ims_member_metrics_init(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t                *shpool;
    ngx_http_ims_member_metrics_t  *m;

    /* a reload: the same zone, the counters as they are */

    if (data) {
        shm_zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    m = ngx_slab_calloc(shpool, sizeof(ngx_http_ims_member_metrics_t));
    if (m == NULL) {
        return NGX_ERROR;
    }

    shpool->data = m;
    shm_zone->data = m;

    return NGX_OK;
}


/* a worker takes a free slot for its gauges, or one a dead worker left */

ngx_http_ims_member_metrics_worker_t *
ngx_http_ims_member_metrics_join(ngx_cycle_t *cycle,
    ngx_http_ims_member_metrics_t *m, ngx_uint_t max)
{
    ngx_uint_t                             i;
    ngx_atomic_uint_t                      pid;
    ngx_http_ims_member_metrics_worker_t  *w;

    for (i = 0; i < NGX_HTTP_IMS_MEMBER_METRICS_WORKERS; i++) {
        w = &m->worker[i];
        pid = w->pid;

        /*
         * Workers start side by side and learn of each other later: a
         * slot is taken again only once its process is gone for sure (a
         * pid taken again keeps its slot unused, never counted).
         */

        if (pid != 0 && (kill((pid_t) pid, 0) == 0 || ngx_errno != NGX_ESRCH))
        {
            continue;
        }

        if (!ngx_atomic_cmp_set(&w->pid, pid, (ngx_atomic_uint_t) ngx_pid)) {
            continue;
        }

        ngx_http_ims_member_metrics_clear(w);
        w->max = max;

        return w;
    }

    ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                  "ims_member: more than %d processes share the metrics, "
                  "this worker's gauges are not shown",
                  NGX_HTTP_IMS_MEMBER_METRICS_WORKERS);

    return ngx_pcalloc(cycle->pool,
                       sizeof(ngx_http_ims_member_metrics_worker_t));
}


/*
 * A slot's process is this one or a sibling the master still has: the
 * master tells every process of each one it starts and of each one that
 * exits (its channel), so a pid taken again by another process, or a
 * worker that died, never counts.  No system call.
 */

ngx_uint_t
ngx_http_ims_member_metrics_alive(ngx_atomic_uint_t pid)
{
    ngx_int_t  i;

    if (pid == (ngx_atomic_uint_t) ngx_pid) {
        return 1;
    }

    /* a worker learns of siblings started after it in any slot */

    for (i = 0; i < NGX_MAX_PROCESSES; i++) {
        if ((ngx_atomic_uint_t) ngx_processes[i].pid == pid
            && ngx_processes[i].pid != -1
            && ngx_processes[i].channel[0] != -1)
        {
            return 1;
        }
    }

    return 0;
}


void
ngx_http_ims_member_metrics_leave(ngx_http_ims_member_metrics_worker_t *w)
{
    if (w->pid != (ngx_atomic_uint_t) ngx_pid) {
        return;
    }

    ngx_http_ims_member_metrics_clear(w);

    ngx_memory_barrier();

    w->pid = 0;
}


static void
ngx_http_ims_member_metrics_clear(ngx_http_ims_member_metrics_worker_t *w)
{
    w->max = 0;
    w->open = 0;
    w->connecting = 0;
    w->idle = 0;
    w->waiting = 0;
    w->grouping = 0;
    w->failures = 0;
    w->listen = 0;
}


/* microseconds of a clock that only goes forward */

uint64_t
ngx_http_ims_member_metrics_now(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


void
ngx_http_ims_member_metrics_answer(ngx_http_ims_member_metrics_t *m,
    ngx_uint_t endpoint, ngx_uint_t status, ngx_uint_t cause, uint64_t usec)
{
    ngx_uint_t         i, n;
    ngx_atomic_uint_t  key, k;

    if (endpoint >= NGX_HTTP_IMS_MEMBER_EP_N) {
        return;
    }

    ngx_http_ims_member_metrics_observe(&m->request[endpoint],
                                        ngx_http_ims_member_metrics_times,
                                        NGX_HTTP_IMS_MEMBER_METRICS_TIMES,
                                        usec);

    key = ((endpoint * 1000 + status % 1000) * 128 + cause % 128) + 1;

    /* open addressing: a slot is claimed once, by compare and swap */

    i = (key * 2654435761U) % NGX_HTTP_IMS_MEMBER_ANSWERS;

    for (n = 0; n < NGX_HTTP_IMS_MEMBER_ANSWERS; n++) {
        k = m->key[i];

        if (k == key
            || (k == 0 && (ngx_atomic_cmp_set(&m->key[i], 0, key)
                           || m->key[i] == key)))
        {
            (void) __atomic_fetch_add(&m->n[i], 1, __ATOMIC_RELAXED);
            return;
        }

        i = (i + 1) % NGX_HTTP_IMS_MEMBER_ANSWERS;
    }

    ngx_http_ims_member_metrics_add(m, NGX_HTTP_IMS_MEMBER_M_REQUESTS_UNCOUNTED,
                                    1);
}


ngx_uint_t
ngx_http_ims_member_metrics_answer_key(ngx_atomic_uint_t key,
    ngx_uint_t *endpoint, ngx_uint_t *status, ngx_uint_t *cause)
{
    if (key == 0) {
        return 0;
    }

    key--;

    *cause = key % 128;
    *status = (key / 128) % 1000;
    *endpoint = key / 128 / 1000;

    return 1;
}


void
ngx_http_ims_member_metrics_statement(ngx_http_ims_member_metrics_t *m,
    ngx_uint_t stmt, uint64_t usec)
{
    if (m == NULL || stmt >= NGX_HTTP_IMS_MEMBER_METRICS_STMTS) {
        return;
    }

    ngx_http_ims_member_metrics_observe(&m->stmt[stmt],
                                        ngx_http_ims_member_metrics_times,
                                        NGX_HTTP_IMS_MEMBER_METRICS_TIMES,
                                        usec);
}


void
ngx_http_ims_member_metrics_group(ngx_http_ims_member_metrics_t *m,
    ngx_uint_t n)
{
    if (m == NULL) {
        return;
    }

    ngx_http_ims_member_metrics_observe(&m->group,
                                        ngx_http_ims_member_metrics_sizes,
                                        NGX_HTTP_IMS_MEMBER_METRICS_SIZES,
                                        n);
}


/* the buckets are kept apart; the page sums them up */

static void
ngx_http_ims_member_metrics_observe(ngx_http_ims_member_metrics_hist_t *h,
    const uint64_t *bounds, ngx_uint_t n, uint64_t v)
{
    ngx_uint_t  i;

    for (i = 0; i < n; i++) {
        if (v <= bounds[i]) {
            break;
        }
    }

    (void) __atomic_fetch_add(&h->bucket[i], 1, __ATOMIC_RELAXED);
    (void) __atomic_fetch_add(&h->sum, v, __ATOMIC_RELAXED);
}
