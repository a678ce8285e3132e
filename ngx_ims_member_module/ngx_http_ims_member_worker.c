
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_digest.h"
#include "ngx_http_ims_member_job.h"
#include "ngx_http_ims_member_pg_group.h"
#include "ngx_http_ims_member_pg_pool.h"
#include "ngx_http_ims_member_sql.h"
#include "ngx_http_ims_member_worker.h"


/*
 * A worker's life (init_process, exit_process): its side of the database,
 * built once it has forked: its share of the metrics' gauges, the pool of
 * connections, group commit above it, and the batch jobs' timer.
 */

static ngx_int_t ngx_http_ims_member_worker_database(ngx_cycle_t *cycle,
    ngx_http_ims_member_main_conf_t *imcf);


ngx_int_t
ngx_http_ims_member_worker_init(ngx_cycle_t *cycle)
{
    ngx_http_ims_member_main_conf_t  *imcf;

    /* cache manager and loader processes serve no requests */

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    imcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_ims_member_module);

    if (imcf == NULL) {
        return NGX_OK;
    }

    if (imcf->metrics_zone) {
        imcf->metrics = imcf->metrics_zone->data;
    }

    if (imcf->database.len == 0) {
        return NGX_OK;
    }

    return ngx_http_ims_member_worker_database(cycle, imcf);
}


static ngx_int_t
ngx_http_ims_member_worker_database(ngx_cycle_t *cycle,
    ngx_http_ims_member_main_conf_t *imcf)
{
    ngx_http_ims_member_pg_conf_t        conf;
    ngx_http_ims_member_pg_group_conf_t  gconf;

    /* this worker's share of the gauges */

    imcf->metrics_worker = ngx_http_ims_member_metrics_join(cycle,
                                                            imcf->metrics,
                                                            imcf->pool_size);
    if (imcf->metrics_worker == NULL) {
        return NGX_ERROR;
    }

    /* connections are opened on demand, never before the fork */

    conf.conninfo = imcf->database;
    conf.max = imcf->pool_size;
    conf.queue = imcf->queue;
    conf.timeout = imcf->timeout;
    conf.idle_timeout = imcf->idle_timeout;
    conf.prepare = imcf->prepare;
    conf.stmts = ngx_http_ims_member_sql;
    conf.nstmts = NGX_HTTP_IMS_MEMBER_SQL_N;
    conf.idempotent = NGX_HTTP_IMS_MEMBER_SQL_IDEMPOTENT;
    conf.metrics = imcf->metrics;
    conf.worker = imcf->metrics_worker;

    imcf->pool = ngx_http_ims_member_pg_pool_create(cycle, &conf);
    if (imcf->pool == NULL) {
        return NGX_ERROR;
    }

    /* the group room sits above the pool, which it gives its handlers */

    gconf.on = imcf->group_commit;
    gconf.threshold = imcf->group_threshold;
    gconf.queue = imcf->queue;
    gconf.grouped = NGX_HTTP_IMS_MEMBER_SQL_UPDATE;
    gconf.group = NGX_HTTP_IMS_MEMBER_SQL_UPDATE_GROUP;
    gconf.group_one = NGX_HTTP_IMS_MEMBER_SQL_UPDATE_ONE;
    gconf.metrics = imcf->metrics;
    gconf.worker = imcf->metrics_worker;

    imcf->groups = ngx_http_ims_member_pg_group_init(cycle, imcf->pool,
                                                     &gconf);
    if (imcf->groups == NULL) {
        return NGX_ERROR;
    }

    if (!imcf->jobs) {
        return NGX_OK;
    }

    /* a lease outlives a step: each step is bounded by ims_member_timeout */

    imcf->job = ngx_http_ims_member_job_init(cycle, imcf->pool,
                                             imcf->job_listen.len
                                             ? &imcf->job_listen : NULL,
                                             imcf->timeout,
                                             imcf->job_interval,
                                             imcf->timeout
                                             + imcf->job_interval,
                                             imcf->job_retention,
                                             imcf->metrics,
                                             imcf->metrics_worker);
    if (imcf->job == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_http_ims_member_worker_exit(ngx_cycle_t *cycle)
{
    ngx_http_ims_member_main_conf_t  *imcf;

    ngx_http_ims_member_sha256_free();

    imcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_ims_member_module);

    if (imcf == NULL) {
        return;
    }

    if (imcf->job) {
        ngx_http_ims_member_job_exit(imcf->job);
        imcf->job = NULL;
    }

    if (imcf->groups) {
        ngx_http_ims_member_pg_group_close(imcf->groups);
        imcf->groups = NULL;
    }

    if (imcf->pool) {
        ngx_http_ims_member_pg_pool_close(imcf->pool);
        imcf->pool = NULL;
    }

    if (imcf->metrics_worker) {
        ngx_http_ims_member_metrics_leave(imcf->metrics_worker);
        imcf->metrics_worker = NULL;
    }
}
