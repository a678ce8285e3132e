
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_PG_LISTEN_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_PG_LISTEN_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


typedef struct ngx_http_ims_member_pg_listen_s
    ngx_http_ims_member_pg_listen_t;

typedef void (*ngx_http_ims_member_pg_notify_pt)(void *data);


ngx_http_ims_member_pg_listen_t *ngx_http_ims_member_pg_listen_create(
    ngx_cycle_t *cycle, ngx_str_t *conninfo, ngx_msec_t timeout, char *sql,
    ngx_http_ims_member_pg_notify_pt handler, void *data, ngx_atomic_t *up);
void ngx_http_ims_member_pg_listen_close(ngx_http_ims_member_pg_listen_t *ls);


#endif /* _NGX_HTTP_IMS_MEMBER_PG_LISTEN_H_INCLUDED_ */
