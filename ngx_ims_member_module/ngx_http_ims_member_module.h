
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_MODULE_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_job.h"
#include "ngx_http_ims_member_metrics.h"
#include "ngx_http_ims_member_pg_group.h"
#include "ngx_http_ims_member_pg_pool.h"


typedef struct {
    ngx_str_t                          database;
    ngx_uint_t                         pool_size;
    ngx_uint_t                         queue;
    ngx_msec_t                         timeout;
    ngx_msec_t                         idle_timeout;
    ngx_flag_t                         group_commit;
    ngx_uint_t                         group_threshold;
    ngx_flag_t                         prepare;
    /* where new jobs are heard (LISTEN); empty: the timer alone */
    ngx_str_t                          job_listen;
    ngx_msec_t                         job_interval;
    ngx_uint_t                         batch_max;
    time_t                             job_retention;

    /* ims_member_keystone_cache: what Keystone said, shared by workers */
    ngx_shm_zone_t                    *keystone_cache;
    time_t                             keystone_valid;
    time_t                             keystone_invalid;

    /* the metrics' zone; its counters and this worker's gauges */
    ngx_shm_zone_t                    *metrics_zone;
    ngx_http_ims_member_metrics_t     *metrics;
    ngx_http_ims_member_metrics_worker_t  *metrics_worker;

    /* per worker, built in init_process */
    ngx_http_ims_member_pg_pool_t     *pool;
    ngx_http_ims_member_pg_groups_t   *groups;
    ngx_http_ims_member_job_t         *job;

    /* the core's error log handler, wrapped to add the request id */
    ngx_http_log_handler_pt            log_handler;

    /* the first handler directive that needs the database, for nginx -t */
    ngx_str_t                          needs_database;

    /* a batch or job handler is configured: workers run the job timer */
    ngx_uint_t                         jobs;       /* unsigned  jobs:1 */

    /* ims_member_keystone is set somewhere: its filters are needed */
    ngx_uint_t                         keystone;   /* unsigned  keystone:1 */

    /* ims_member_status is set somewhere */
    ngx_uint_t                         status;     /* unsigned  status:1 */
} ngx_http_ims_member_main_conf_t;


typedef struct {
    /* the internal location that proxies to Keystone; empty: none */
    ngx_str_t                          keystone;
    ngx_str_t                          keystone_args;
    ngx_http_complex_value_t          *project;
    ngx_http_complex_value_t          *roles;
    ngx_array_t                       *admin_roles;   /* of ngx_str_t */
    ngx_uint_t                         errors;
    ngx_uint_t                         policy;
    ngx_int_t                          quota;
    ngx_int_t                          share_quota[2];
    /* ims_member_events: member changes write their events */
    ngx_flag_t                         events;
} ngx_http_ims_member_loc_conf_t;


/* ims_member_policy: Glance's legacy rules, or its new default policies */
#define NGX_HTTP_IMS_MEMBER_POLICY_LEGACY  0
#define NGX_HTTP_IMS_MEMBER_POLICY_NEW     1

/* the roles the new policies read, when the caller's roles are known */
#define NGX_HTTP_IMS_MEMBER_ROLES_KNOWN    0x01
#define NGX_HTTP_IMS_MEMBER_ROLE_READER    0x02
#define NGX_HTTP_IMS_MEMBER_ROLE_MEMBER    0x04


/* told the identity found later (an ims_member_* answer cause, or 0) */
typedef void (*ngx_http_ims_member_identified_pt)(ngx_http_request_t *r,
    ngx_uint_t err);


/* the caller's identity, as far as nginx knows it before the database */
typedef struct {
    ngx_str_t                          token_sha256;  /* hex, or empty */
    ngx_str_t                          project;
    /* the Keystone user, for the events; empty: not known */
    ngx_str_t                          user;
    ngx_uint_t                         admin;         /* unsigned  admin:1 */
    /* NGX_HTTP_IMS_MEMBER_ROLES_KNOWN and the roles, or 0: not known */
    ngx_uint_t                         roles;

    /* a validation under way (Keystone), and whom it tells its end */
    void                              *keystone;
    ngx_http_ims_member_identified_pt  identified;
} ngx_http_ims_member_identity_t;


typedef struct ngx_http_ims_member_ctx_s  ngx_http_ims_member_ctx_t;

/* what nginx can tell without the database: an answer cause, or 0 */
typedef ngx_uint_t (*ngx_http_ims_member_parse_pt)(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx);
/* the statement's parameters after the identity's three */
typedef ngx_int_t (*ngx_http_ims_member_params_pt)(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *params);
/* the statement's one row, the caller known: finalize the request */
typedef void (*ngx_http_ims_member_answer_pt)(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_str_t *row);


/*
 * An endpoint, as the common request prologue runs it: method, body,
 * identity, the endpoint's checks, one statement, the endpoint's answer.
 */

typedef struct {
    /* NGX_HTTP_IMS_MEMBER_EP_*, what the metrics count it as */
    ngx_uint_t                         id;
    ngx_uint_t                         methods;
    ngx_str_t                          allow;
    ngx_uint_t                         body;       /* unsigned  body:1 */
    size_t                             ctx_size;
    ngx_uint_t                         stmt;
    ngx_uint_t                         nparams;
    ngx_uint_t                         ncols;
    ngx_uint_t                         more_rows;  /* unsigned  more_rows:1 */
    /* Glance's endpoint: errors as "ims_member_errors" says */
    ngx_uint_t                         glance;     /* unsigned  glance:1 */
    ngx_http_ims_member_parse_pt       parse;
    ngx_http_ims_member_params_pt      params;
    ngx_http_ims_member_answer_pt      answer;
} ngx_http_ims_member_endpoint_t;


struct ngx_http_ims_member_ctx_s {
    /* first: the error log wrapper reads it */
    ngx_str_t                          request_id;

    ngx_http_request_t                *request;
    ngx_http_ims_member_endpoint_t    *endpoint;
    ngx_http_ims_member_pg_op_t       *op;
    ngx_http_ims_member_identity_t     identity;
    ngx_str_t                          body;

    /* the URL's ids as sent, for Glance's messages */
    ngx_str_t                          image_id;
    ngx_str_t                          member_id;

    /* the answer nginx found without asking for the entities, if any */
    ngx_uint_t                         error;

    /* the rows of the statement's answer */
    ngx_uint_t                         nrows;

    /* an image's live members with the one refused (Glance's 413) */
    ngx_uint_t                         attempted;

    /* the endpoint's own context, of endpoint->ctx_size */
    void                              *data;

    /*
     * For the access log and the metrics: when the prologue began
     * (ngx_http_ims_member_metrics_now()), the cause answered, the
     * statements' time in microseconds, and how many updates went in the
     * statement that carried this one (0: no statement ran).
     */
    uint64_t                           start;
    uint64_t                           db_time;
    ngx_uint_t                         cause;
    ngx_uint_t                         group;
};


extern ngx_module_t  ngx_http_ims_member_module;


#endif /* _NGX_HTTP_IMS_MEMBER_MODULE_H_INCLUDED_ */
