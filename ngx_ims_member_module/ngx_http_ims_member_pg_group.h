
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_PG_GROUP_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_PG_GROUP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_ims_member_pg_pool.h"


/* the group room of one worker's pool */
typedef struct ngx_http_ims_member_pg_groups_s
    ngx_http_ims_member_pg_groups_t;


/*
 * Group commit: operations of statement "grouped" that wait together go
 * as one statement "group", whose parameters are arrays of theirs and
 * whose rows are one per operation: a "skipped" flag (its row another
 * transaction held: it goes again alone, as "grouped"), then the row the
 * operation's own statement gives.  One alone goes as "group_one", with
 * its own parameters and a row of the same kind.  "on": off, every
 * operation goes alone; "threshold": at most that many go alone at once
 * (as with "on" off), those beyond wait to go with a group; "queue": the
 * pool's ims_member_queue, which bounds what waits here and in the pool
 * together.
 */

typedef struct {
    ngx_uint_t                          on;        /* unsigned  on:1 */
    ngx_uint_t                          threshold;
    ngx_uint_t                          queue;
    ngx_uint_t                          grouped;
    ngx_uint_t                          group;
    ngx_uint_t                          group_one;
    /* the counters, and this worker's gauges */
    ngx_http_ims_member_metrics_t      *metrics;
    ngx_http_ims_member_metrics_worker_t  *worker;
} ngx_http_ims_member_pg_group_conf_t;


ngx_http_ims_member_pg_groups_t *ngx_http_ims_member_pg_group_init(
    ngx_cycle_t *cycle, ngx_http_ims_member_pg_pool_t *pg,
    ngx_http_ims_member_pg_group_conf_t *conf);
void ngx_http_ims_member_pg_group_close(ngx_http_ims_member_pg_groups_t *gs);


#endif /* _NGX_HTTP_IMS_MEMBER_PG_GROUP_H_INCLUDED_ */
