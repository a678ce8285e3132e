
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_job.h"
#include "ngx_http_ims_member_pg_group.h"
#include "ngx_http_ims_member_pg_pool.h"
#include "ngx_http_ims_member_sql.h"
#include "ngx_http_ims_member_worker.h"


/*
 * A worker's side of the database, built once it has forked: the pool of
 * connections, group commit above it, and the batch jobs' timer.
 */

ngx_int_t
ngx_http_ims_member_worker_init(ngx_cycle_t *cycle,
    ngx_http_ims_member_main_conf_t *imcf)
{
    ngx_http_ims_member_pg_conf_t        conf;
    ngx_http_ims_member_pg_group_conf_t  gconf;

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
                                             imcf->job_retention);
    if (imcf->job == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_http_ims_member_worker_exit(ngx_http_ims_member_main_conf_t *imcf)
{
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
}
