
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_pg_conn.h"
#include "ngx_http_ims_member_pg_session.h"


/* the session settings: the module's timeouts */
#define NGX_HTTP_IMS_MEMBER_PG_SET                                            \
    "SET statement_timeout = %M; SET lock_timeout = %M"

/* the server's timeouts of the role that are off or above the module's */
#define NGX_HTTP_IMS_MEMBER_PG_CHECK                                          \
    "SELECT string_agg(name || ' = ' || setting || unit, ', ' ORDER BY name)" \
    " FROM pg_settings"                                                       \
    " WHERE name IN ('lock_timeout', 'statement_timeout')"                    \
    " AND setting::bigint NOT BETWEEN 1 AND %M HAVING count(*) > 0"


char **
ngx_http_ims_member_pg_session_names(ngx_pool_t *pool, ngx_uint_t nstmts)
{
    char        **names;
    u_char       *p;
    ngx_uint_t    i;

    names = ngx_palloc(pool, nstmts * sizeof(char *));
    if (names == NULL) {
        return NULL;
    }

    for (i = 0; i < nstmts; i++) {
        p = ngx_pnalloc(pool, sizeof("ims_member_") + NGX_INT_T_LEN);
        if (p == NULL) {
            return NULL;
        }

        *ngx_sprintf(p, "ims_member_%ui", i) = '\0';
        names[i] = (char *) p;
    }

    return names;
}


/*
 * The server ends what a request gave up on: a statement abandoned at
 * ims_member_timeout stops there, with its locks, instead of running on.
 * Behind a pooler in transaction mode a session setting would stay in
 * whichever server session ran it: the settings must then come from the
 * role, and the session only checks them.
 */

char *
ngx_http_ims_member_pg_session_setup(ngx_pool_t *pool, ngx_uint_t prepare,
    ngx_msec_t timeout)
{
    u_char  *p;

    p = ngx_pnalloc(pool, ngx_max(sizeof(NGX_HTTP_IMS_MEMBER_PG_CHECK),
                                  sizeof(NGX_HTTP_IMS_MEMBER_PG_SET))
                          + 2 * NGX_INT_T_LEN);
    if (p == NULL) {
        return NULL;
    }

    if (prepare) {
        *ngx_sprintf(p, NGX_HTTP_IMS_MEMBER_PG_SET, timeout, timeout) = '\0';

    } else {
        *ngx_sprintf(p, NGX_HTTP_IMS_MEMBER_PG_CHECK, timeout) = '\0';
    }

    return (char *) p;
}


void
ngx_http_ims_member_pg_session_check(ngx_http_ims_member_pg_rows_t *rows,
    ngx_log_t *log, ngx_msec_t timeout)
{
    if (rows->nrows == 0 || rows->values[0].data == NULL) {
        return;
    }

    ngx_log_error(NGX_LOG_WARN, log, 0,
                  "ims_member: PostgreSQL has %V for the module's role: "
                  "with \"ims_member_prepare off\" the module sets no "
                  "session settings, and a statement abandoned at "
                  "ims_member_timeout runs on with its locks; set "
                  "statement_timeout and lock_timeout to %M ms on the role "
                  "(ALTER ROLE ... SET)",
                  &rows->values[0], timeout);
}
