
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_sql.h"


/*
 * Every statement the module runs; each is prepared once per connection and
 * takes every value as a parameter.  The logic lives in server-side
 * functions (sql/ims.sql), so that one request is one round trip.
 */

ngx_str_t  ngx_http_ims_member_sql[] = {

    /* NGX_HTTP_IMS_MEMBER_SQL_UPDATE: token hash, project, admin, image,
     * member, status (NULL: identity only), vault */
    ngx_string("SELECT result, status, created_at, updated_at"
               " FROM ims_member_update($1, $2, $3::boolean, $4, $5, $6, $7)"),
};
