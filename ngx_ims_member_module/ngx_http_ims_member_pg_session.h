
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_PG_SESSION_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_PG_SESSION_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_pg_conn.h"


/*
 * What every session of the pool gets before its first statement:
 *
 * names(): the names its statements are prepared under, one per
 *     statement of the catalogue;
 * setup(): the query a new session runs first: the module's timeouts as
 *     session settings, or, when statements go unnamed (a pooler in
 *     transaction mode), a check of the role's own;
 * check(): what the check found, said once in the log if the role lacks
 *     them.
 */

char **ngx_http_ims_member_pg_session_names(ngx_pool_t *pool,
    ngx_uint_t nstmts);
char *ngx_http_ims_member_pg_session_setup(ngx_pool_t *pool,
    ngx_uint_t prepare, ngx_msec_t timeout);
void ngx_http_ims_member_pg_session_check(ngx_http_ims_member_pg_rows_t *rows,
    ngx_log_t *log, ngx_msec_t timeout);


#endif /* _NGX_HTTP_IMS_MEMBER_PG_SESSION_H_INCLUDED_ */
