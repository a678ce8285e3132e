
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


/*
 * libFuzzer: a request URI and the ids in it, as the endpoints split and
 * check them, and a role list as ims_member_roles gives it.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_util.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ngx_str_t   s, parts[5];
    ngx_uint_t  i, n;

    static ngx_str_t  admin = ngx_string("admin");

    s.data = (u_char *) data;
    s.len = size;

    for (n = 4; n <= 5; n++) {
        if (ngx_http_ims_member_split_path(&s, parts, n) == NGX_OK) {
            for (i = 0; i < n; i++) {
                (void) ngx_http_ims_member_valid_id(&parts[i], 36);
                (void) ngx_http_ims_member_valid_id(&parts[i], 255);
                (void) ngx_http_ims_member_valid_job_id(&parts[i]);
            }
        }
    }

    (void) ngx_http_ims_member_valid_id(&s, 255);
    (void) ngx_http_ims_member_has_word(&s, &admin);

    return 0;
}
