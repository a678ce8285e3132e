
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_JOB_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_JOB_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_pg_pool.h"


typedef struct ngx_http_ims_member_job_s  ngx_http_ims_member_job_t;


ngx_http_ims_member_job_t *ngx_http_ims_member_job_init(ngx_cycle_t *cycle,
    ngx_http_ims_member_pg_pool_t *pg, ngx_str_t *conninfo,
    ngx_msec_t timeout, ngx_msec_t interval, ngx_msec_t lease,
    time_t retention, ngx_http_ims_member_metrics_t *metrics,
    ngx_http_ims_member_metrics_worker_t *worker);
void ngx_http_ims_member_job_exit(ngx_http_ims_member_job_t *job);


#endif /* _NGX_HTTP_IMS_MEMBER_JOB_H_INCLUDED_ */
