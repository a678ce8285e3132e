
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_answer.h"
#include "ngx_http_ims_member_api.h"
#include "ngx_http_ims_member_auth.h"
#include "ngx_http_ims_member_glance.h"
#include "ngx_http_ims_member_batch.h"
#include "ngx_http_ims_member_job.h"
#include "ngx_http_ims_member_jobs.h"
#include "ngx_http_ims_member_keystone.h"
#include "ngx_http_ims_member_keystone_cache.h"
#include "ngx_http_ims_member_log.h"
#include "ngx_http_ims_member_metrics.h"
#include "ngx_http_ims_member_pg_conn.h"
#include "ngx_http_ims_member_roles.h"
#include "ngx_http_ims_member_schemas.h"
#include "ngx_http_ims_member_share.h"
#include "ngx_http_ims_member_status.h"
#include "ngx_http_ims_member_update.h"
#include "ngx_http_ims_member_versions.h"
#include "ngx_http_ims_member_worker.h"


#define NGX_HTTP_IMS_MEMBER_INT32_MAX  2147483647

/*
 * ims_member_group_threshold's default: updates one worker runs alone at
 * once, while no group is under way, before the next go with a group
 * (measured: bench/)
 */
#define NGX_HTTP_IMS_MEMBER_GROUP_THRESHOLD  8


static void *ngx_http_ims_member_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_ims_member_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_ims_member_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_ims_member_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_ims_member_database(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_ims_member_pool_size(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_ims_member_batch_max(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_ims_member_queue(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_ims_member_job_listen(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_ims_member_update(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_ims_member_batch(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_ims_member_jobs(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_ims_member_schemas(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_ims_member_api(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_ims_member_versions(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_ims_member_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_ims_member_set_handler(ngx_conf_t *cf,
    ngx_http_handler_pt handler);
static void ngx_http_ims_member_needs_database(ngx_conf_t *cf,
    ngx_command_t *cmd);
static ngx_int_t ngx_http_ims_member_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_ims_member_postconfiguration(ngx_conf_t *cf);


static ngx_conf_post_t  ngx_http_ims_member_database_post =
    { ngx_http_ims_member_database };

static ngx_conf_post_t  ngx_http_ims_member_pool_size_post =
    { ngx_http_ims_member_pool_size };

static ngx_conf_post_t  ngx_http_ims_member_batch_max_post =
    { ngx_http_ims_member_batch_max };

static ngx_conf_post_t  ngx_http_ims_member_queue_post =
    { ngx_http_ims_member_queue };


static ngx_command_t  ngx_http_ims_member_commands[] = {

    { ngx_string("ims_member_database"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_ims_member_main_conf_t, database),
      &ngx_http_ims_member_database_post },

    { ngx_string("ims_member_pool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_ims_member_main_conf_t, pool_size),
      &ngx_http_ims_member_pool_size_post },

    { ngx_string("ims_member_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_ims_member_main_conf_t, timeout),
      NULL },

    { ngx_string("ims_member_idle_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_ims_member_main_conf_t, idle_timeout),
      NULL },

    { ngx_string("ims_member_queue"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_ims_member_main_conf_t, queue),
      &ngx_http_ims_member_queue_post },

    { ngx_string("ims_member_group_commit"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_ims_member_main_conf_t, group_commit),
      NULL },

    { ngx_string("ims_member_group_threshold"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_ims_member_main_conf_t, group_threshold),
      &ngx_http_ims_member_queue_post },

    { ngx_string("ims_member_prepare"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_ims_member_main_conf_t, prepare),
      NULL },

    { ngx_string("ims_member_job_listen"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_ims_member_job_listen,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ims_member_job_interval"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_ims_member_main_conf_t, job_interval),
      NULL },

    { ngx_string("ims_member_batch_max"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_ims_member_main_conf_t, batch_max),
      &ngx_http_ims_member_batch_max_post },

    { ngx_string("ims_member_job_retention"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_ims_member_main_conf_t, job_retention),
      NULL },

    { ngx_string("ims_member_keystone"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_ims_member_keystone,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ims_member_keystone_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE123,
      ngx_http_ims_member_keystone_cache,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ims_member_admin_roles"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_ims_member_admin_roles,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ims_member_project"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ims_member_loc_conf_t, project),
      NULL },

    { ngx_string("ims_member_roles"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ims_member_loc_conf_t, roles),
      NULL },

    { ngx_string("ims_member_errors"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_ims_member_errors,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ims_member_policy"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_ims_member_policy,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ims_member_update"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_ims_member_update,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ims_member_batch"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_ims_member_batch,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ims_member_jobs"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_ims_member_jobs,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ims_member_schemas"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_ims_member_schemas,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ims_member_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_ims_member_api,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ims_member_quota"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_ims_member_quota,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ims_member_share_quota"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_ims_member_share_quota,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ims_member_events"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_ims_member_loc_conf_t, events),
      NULL },

    { ngx_string("ims_member_versions"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_ims_member_versions,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("ims_member_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_ims_member_status,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_ims_member_module_ctx = {
    ngx_http_ims_member_preconfiguration,  /* preconfiguration */
    ngx_http_ims_member_postconfiguration, /* postconfiguration */

    ngx_http_ims_member_create_main_conf,  /* create main configuration */
    ngx_http_ims_member_init_main_conf,    /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_ims_member_create_loc_conf,   /* create location configuration */
    ngx_http_ims_member_merge_loc_conf     /* merge location configuration */
};


ngx_module_t  ngx_http_ims_member_module = {
    NGX_MODULE_V1,
    &ngx_http_ims_member_module_ctx,       /* module context */
    ngx_http_ims_member_commands,          /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_ims_member_worker_init,       /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_ims_member_worker_exit,       /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_ims_member_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_ims_member_main_conf_t  *imcf;

    imcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_ims_member_main_conf_t));
    if (imcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     imcf->database = { 0, NULL };
     *     imcf->job_listen = { 0, NULL };
     *     imcf->pool = NULL;
     *     imcf->log_handler = NULL;
     *     imcf->needs_database = { 0, NULL };
     *     imcf->keystone_cache = NULL;
     *     imcf->keystone = 0;
     */

    imcf->pool_size = NGX_CONF_UNSET_UINT;
    imcf->queue = NGX_CONF_UNSET_UINT;
    imcf->timeout = NGX_CONF_UNSET_MSEC;
    imcf->idle_timeout = NGX_CONF_UNSET_MSEC;
    imcf->group_commit = NGX_CONF_UNSET;
    imcf->group_threshold = NGX_CONF_UNSET_UINT;
    imcf->prepare = NGX_CONF_UNSET;
    imcf->job_interval = NGX_CONF_UNSET_MSEC;
    imcf->batch_max = NGX_CONF_UNSET_UINT;
    imcf->job_retention = NGX_CONF_UNSET;
    imcf->keystone_valid = NGX_CONF_UNSET;
    imcf->keystone_invalid = NGX_CONF_UNSET;

    return imcf;
}


static char *
ngx_http_ims_member_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_ims_member_main_conf_t  *imcf = conf;

    ngx_conf_init_uint_value(imcf->pool_size, 8);
    ngx_conf_init_uint_value(imcf->queue, 1024);
    ngx_conf_init_msec_value(imcf->timeout, 10000);
    ngx_conf_init_msec_value(imcf->idle_timeout, 5 * 60 * 1000);
    ngx_conf_init_value(imcf->group_commit, 1);

    /* below it, an update costs what it does without group commit */
    ngx_conf_init_uint_value(imcf->group_threshold,
                             NGX_HTTP_IMS_MEMBER_GROUP_THRESHOLD);
    ngx_conf_init_value(imcf->prepare, 1);
    ngx_conf_init_msec_value(imcf->job_interval, 1000);
    ngx_conf_init_uint_value(imcf->batch_max, 1000);
    ngx_conf_init_value(imcf->job_retention, 7 * 24 * 60 * 60);
    ngx_conf_init_value(imcf->keystone_valid, 5 * 60);
    ngx_conf_init_value(imcf->keystone_invalid, 10);

    /*
     * New jobs are heard on a session of the database itself, unless that
     * is a pooler in transaction mode: a LISTEN needs a session of its own
     */

    if (imcf->job_listen.data == NULL && imcf->prepare) {
        imcf->job_listen = imcf->database;
    }

    if (imcf->timeout == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"ims_member_timeout\" must be more than 0");
        return NGX_CONF_ERROR;
    }

    if (imcf->job_interval == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"ims_member_job_interval\" must be more than 0");
        return NGX_CONF_ERROR;
    }

    if (imcf->idle_timeout == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"ims_member_idle_timeout\" must be more than 0");
        return NGX_CONF_ERROR;
    }

    /*
     * The database takes these as 32-bit integers: the statement and lock
     * timeouts and a job's lease (ims_member_timeout plus
     * ims_member_job_interval) in milliseconds, the retention in seconds.
     */

    if (imcf->timeout > NGX_HTTP_IMS_MEMBER_INT32_MAX
        || imcf->job_interval > NGX_HTTP_IMS_MEMBER_INT32_MAX
        || imcf->timeout + imcf->job_interval > NGX_HTTP_IMS_MEMBER_INT32_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"ims_member_timeout\" and "
                           "\"ims_member_job_interval\" together must be "
                           "less than 24 days: a job's lease is their sum "
                           "in milliseconds");
        return NGX_CONF_ERROR;
    }

    if (imcf->job_retention > NGX_HTTP_IMS_MEMBER_INT32_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"ims_member_job_retention\" must be less than "
                           "68 years (2147483647 seconds)");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_ims_member_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_ims_member_loc_conf_t  *imlcf;

    imlcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_ims_member_loc_conf_t));
    if (imlcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     imlcf->keystone = { 0, NULL };
     *     imlcf->keystone_args = { 0, NULL };
     */

    imlcf->project = NGX_CONF_UNSET_PTR;
    imlcf->roles = NGX_CONF_UNSET_PTR;
    imlcf->admin_roles = NGX_CONF_UNSET_PTR;
    imlcf->errors = NGX_CONF_UNSET_UINT;
    imlcf->policy = NGX_CONF_UNSET_UINT;
    imlcf->quota = NGX_CONF_UNSET;
    imlcf->share_quota[0] = NGX_CONF_UNSET;
    imlcf->share_quota[1] = NGX_CONF_UNSET;
    imlcf->events = NGX_CONF_UNSET;

    return imlcf;
}


static char *
ngx_http_ims_member_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_ims_member_loc_conf_t  *prev = parent;
    ngx_http_ims_member_loc_conf_t  *conf = child;

    ngx_str_t  *role;

    if (conf->keystone.data == NULL) {
        conf->keystone = prev->keystone;
        conf->keystone_args = prev->keystone_args;
    }

    ngx_conf_merge_ptr_value(conf->project, prev->project, NULL);
    ngx_conf_merge_ptr_value(conf->roles, prev->roles, NULL);
    ngx_conf_merge_ptr_value(conf->admin_roles, prev->admin_roles, NULL);
    ngx_conf_merge_uint_value(conf->errors, prev->errors,
                              NGX_HTTP_IMS_MEMBER_ERRORS_IMS);
    ngx_conf_merge_uint_value(conf->policy, prev->policy,
                              NGX_HTTP_IMS_MEMBER_POLICY_NEW);
    /* unset: Glance's 128 with Glance's rules, none with IMS's */
    ngx_conf_merge_value(conf->quota, prev->quota, NGX_CONF_UNSET);
    ngx_conf_merge_value(conf->share_quota[0], prev->share_quota[0], 256);
    ngx_conf_merge_value(conf->share_quota[1], prev->share_quota[1], 10);
    ngx_conf_merge_value(conf->events, prev->events, 1);

    if (conf->admin_roles == NULL) {
        conf->admin_roles = ngx_array_create(cf->pool, 1, sizeof(ngx_str_t));
        if (conf->admin_roles == NULL) {
            return NGX_CONF_ERROR;
        }

        role = ngx_array_push(conf->admin_roles);
        if (role == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_str_set(role, "admin");
    }

    if (conf->roles && conf->project == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"ims_member_roles\" is set where "
                           "\"ims_member_project\" is not: roles come from "
                           "the same trusted layer as the project");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_ims_member_database(ngx_conf_t *cf, void *post, void *data)
{
    ngx_str_t  *conninfo = data;

    if (conninfo->len == 0) {
        return "is empty";
    }

    return ngx_http_ims_member_pg_conn_check(cf, conninfo);
}


/* a connection string, or "off": new jobs wait for the timer alone */

static char *
ngx_http_ims_member_job_listen(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_ims_member_main_conf_t  *imcf = conf;

    ngx_str_t  *value;

    if (imcf->job_listen.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        /* set, and empty */
        ngx_str_set(&imcf->job_listen, "");
        return NGX_CONF_OK;
    }

    if (value[1].len == 0) {
        return "is empty";
    }

    imcf->job_listen = value[1];

    return ngx_http_ims_member_pg_conn_check(cf, &value[1]);
}


static char *
ngx_http_ims_member_pool_size(ngx_conf_t *cf, void *post, void *data)
{
    ngx_uint_t  *np = data;

    /* PostgreSQL's own max_connections bounds it in practice */

    if (*np < 1 || *np > 4096) {
        return "must be between 1 and 4096";
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_ims_member_batch_max(ngx_conf_t *cf, void *post, void *data)
{
    ngx_uint_t  *np = data;

    if (*np < 1 || *np > 100000) {
        return "must be between 1 and 100000";
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_ims_member_queue(ngx_conf_t *cf, void *post, void *data)
{
    ngx_uint_t  *np = data;

    /* 0: never wait, answer 503 when every connection is busy */

    if (*np > 1048576) {
        return "must be between 0 and 1048576";
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_ims_member_update(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ims_member_needs_database(cf, cmd);

    return ngx_http_ims_member_set_handler(cf,
                                          ngx_http_ims_member_update_handler);
}


static char *
ngx_http_ims_member_batch(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ims_member_main_conf_t  *imcf;

    ngx_http_ims_member_needs_database(cf, cmd);

    /* the workers then run the job timer */

    imcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_ims_member_module);
    imcf->jobs = 1;

    return ngx_http_ims_member_set_handler(cf,
                                           ngx_http_ims_member_batch_handler);
}


static char *
ngx_http_ims_member_jobs(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ims_member_main_conf_t  *imcf;

    ngx_http_ims_member_needs_database(cf, cmd);

    imcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_ims_member_module);
    imcf->jobs = 1;

    return ngx_http_ims_member_set_handler(cf,
                                           ngx_http_ims_member_jobs_handler);
}


static char *
ngx_http_ims_member_schemas(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_http_ims_member_set_handler(cf,
                                         ngx_http_ims_member_schemas_handler);
}


static char *
ngx_http_ims_member_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ims_member_needs_database(cf, cmd);

    return ngx_http_ims_member_set_handler(cf,
                                           ngx_http_ims_member_api_handler);
}


static char *
ngx_http_ims_member_versions(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_http_ims_member_set_handler(cf,
                                        ngx_http_ims_member_versions_handler);
}


static char *
ngx_http_ims_member_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ims_member_main_conf_t  *imcf;

    imcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_ims_member_module);
    imcf->status = 1;

    return ngx_http_ims_member_set_handler(cf,
                                          ngx_http_ims_member_status_handler);
}


static char *
ngx_http_ims_member_set_handler(ngx_conf_t *cf, ngx_http_handler_pt handler)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler) {
        return "is duplicate: the location already has a content handler";
    }

    clcf->handler = handler;

    return NGX_CONF_OK;
}


/* the first directive that needs the database names it in nginx -t */

static void
ngx_http_ims_member_needs_database(ngx_conf_t *cf, ngx_command_t *cmd)
{
    ngx_http_ims_member_main_conf_t  *imcf;

    imcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_ims_member_module);

    if (imcf->needs_database.len == 0) {
        imcf->needs_database = cmd->name;
    }
}


static ngx_int_t
ngx_http_ims_member_preconfiguration(ngx_conf_t *cf)
{
    return ngx_http_ims_member_log_variables(cf);
}


static ngx_int_t
ngx_http_ims_member_postconfiguration(ngx_conf_t *cf)
{
    ngx_http_ims_member_main_conf_t  *imcf;

    imcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_ims_member_module);

    if (imcf->needs_database.len && imcf->database.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" needs the database: set "
                           "\"ims_member_database\" in the http block",
                           &imcf->needs_database);
        return NGX_ERROR;
    }

    /* the metrics' zone, where there is something to count or to show */

    if (imcf->database.len || imcf->status) {
        imcf->metrics_zone = ngx_http_ims_member_metrics_zone(cf);
        if (imcf->metrics_zone == NULL) {
            return NGX_ERROR;
        }

        if (ngx_http_ims_member_log_init(cf) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    /* the filters that take Keystone's answers, where they are needed */

    if (imcf->keystone) {
        return ngx_http_ims_member_keystone_init(cf);
    }

    return NGX_OK;
}
