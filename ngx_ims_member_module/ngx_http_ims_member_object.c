
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_json.h"
#include "ngx_http_ims_member_object.h"


/*
 * A member as Glance shows it: its three columns (status, created_at,
 * updated_at) from "row", in the contract's order, or in Glance's own
 * (keys, and UTF-8 as it is)
 */

ngx_int_t
ngx_http_ims_member_object(ngx_pool_t *pool, ngx_uint_t glance,
    ngx_str_t *image_id, ngx_str_t *member_id, ngx_str_t *row,
    ngx_str_t *out)
{
    ngx_str_t  kv[12];

    if (glance) {
        ngx_str_set(&kv[0], "member_id");
        kv[1] = *member_id;
        ngx_str_set(&kv[2], "image_id");
        kv[3] = *image_id;
        ngx_str_set(&kv[4], "status");
        kv[5] = row[0];
        ngx_str_set(&kv[6], "created_at");
        kv[7] = row[1];
        ngx_str_set(&kv[8], "updated_at");
        kv[9] = row[2];

    } else {
        ngx_str_set(&kv[0], "status");
        kv[1] = row[0];
        ngx_str_set(&kv[2], "created_at");
        kv[3] = row[1];
        ngx_str_set(&kv[4], "updated_at");
        kv[5] = row[2];
        ngx_str_set(&kv[6], "image_id");
        kv[7] = *image_id;
        ngx_str_set(&kv[8], "member_id");
        kv[9] = *member_id;
    }

    ngx_str_set(&kv[10], "schema");
    ngx_str_set(&kv[11], "/v2/schemas/member");

    if (glance) {
        return ngx_http_ims_member_json_object_utf8(pool, kv, 6, out);
    }

    return ngx_http_ims_member_json_object(pool, kv, 6, out);
}
