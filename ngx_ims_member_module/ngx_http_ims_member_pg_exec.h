
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_PG_EXEC_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_PG_EXEC_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_pg_conn.h"


/* prepared statements are tracked in a 64-bit mask per connection */
#define NGX_HTTP_IMS_MEMBER_PG_MAX_STMTS  64

/*
 * A connection that received a row larger than this is not kept: libpq
 * never shrinks its input buffer, which would hold the worker's memory at
 * the size of the largest row it ever read
 */
#define NGX_HTTP_IMS_MEMBER_PG_LARGE      (1024 * 1024)


ngx_int_t ngx_http_ims_member_pg_exec_statement(
    ngx_http_ims_member_pg_conn_t *conn, ngx_uint_t stmt, char *name,
    ngx_str_t *sql, ngx_uint_t nparams, char **args);
ngx_int_t ngx_http_ims_member_pg_exec_query(
    ngx_http_ims_member_pg_conn_t *conn, char *sql);
void ngx_http_ims_member_pg_exec_detach(ngx_http_ims_member_pg_conn_t *conn);


#endif /* _NGX_HTTP_IMS_MEMBER_PG_EXEC_H_INCLUDED_ */
