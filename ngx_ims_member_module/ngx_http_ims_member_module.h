
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_MODULE_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_pg.h"


typedef struct {
    ngx_str_t                          database;
    ngx_uint_t                         pool_size;
    ngx_msec_t                         timeout;
    ngx_msec_t                         job_interval;
    ngx_uint_t                         batch_max;
    time_t                             job_retention;

    /* per worker, built in init_process */
    ngx_http_ims_member_pg_pool_t     *pool;

    /* the core's error log handler, wrapped to add the request id */
    ngx_http_log_handler_pt            log_handler;

    /* the first handler directive that needs the database, for nginx -t */
    ngx_str_t                          needs_database;

    /* a batch or job handler is configured: workers run the job timer */
    ngx_uint_t                         jobs;       /* unsigned  jobs:1 */
} ngx_http_ims_member_main_conf_t;


typedef struct {
    ngx_http_complex_value_t          *project;
    ngx_http_complex_value_t          *roles;
} ngx_http_ims_member_loc_conf_t;


/* the caller's identity, as far as nginx knows it before the database */
typedef struct {
    ngx_str_t                          token_sha256;  /* hex, or empty */
    ngx_str_t                          project;
    ngx_uint_t                         admin;         /* unsigned  admin:1 */
} ngx_http_ims_member_identity_t;


typedef struct ngx_http_ims_member_ctx_s  ngx_http_ims_member_ctx_t;

typedef void (*ngx_http_ims_member_body_pt)(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx);


struct ngx_http_ims_member_ctx_s {
    ngx_http_request_t                *request;
    ngx_http_ims_member_pg_op_t       *op;
    ngx_str_t                          request_id;
    ngx_http_ims_member_identity_t     identity;
    ngx_str_t                          body;

    /* the answer nginx found without asking for the entities, if any */
    ngx_uint_t                         error;

    /* PUT /v2/images/{image_id}/members/{member_id} */
    ngx_str_t                          image_id;
    ngx_str_t                          member_id;
    ngx_str_t                          status;
    ngx_str_t                          vault_id;

    /* PUT /v1/cloudimages/members */
    ngx_str_t                          job_id;
    ngx_str_t                          project_id;
    ngx_str_t                          images;

    /* GET /v1/{project_id}/jobs/{job_id}, /v1/cloudimages/job/{job_id} */
    ngx_uint_t                         progress;  /* unsigned  progress:1 */

    ngx_http_ims_member_body_pt        body_handler;
};


extern ngx_module_t  ngx_http_ims_member_module;


#endif /* _NGX_HTTP_IMS_MEMBER_MODULE_H_INCLUDED_ */
