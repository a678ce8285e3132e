
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


/*
 * libFuzzer: an X-Openstack-Request-Id header value; one that passes must
 * be safe to echo in a header and a log line.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_util.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t     i;
    ngx_str_t  s;

    s.data = (u_char *) data;
    s.len = size;

    if (ngx_http_ims_member_valid_request_id(&s) != NGX_OK) {
        return 0;
    }

    if (size == 0 || size > NGX_HTTP_IMS_MEMBER_REQUEST_ID_MAX) {
        __builtin_trap();
    }

    for (i = 0; i < size; i++) {
        if (data[i] <= 0x20 || data[i] >= 0x7f || data[i] == '"') {
            __builtin_trap();
        }
    }

    return 0;
}
