
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


/*
 * libFuzzer: a request body as every endpoint reads it (the member update,
 * the batch request): parsed, then each field taken as the endpoints take
 * it; and the same bytes as Keystone's answer to a token validation.  Any
 * crash, leak or sanitizer report fails the run.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_json.h"
#include "ngx_http_ims_member_keystone_token.h"
#include "unit.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static char  *ngx_fuzz_keys[] = {
    "status", "vault_id", "project_id", "member", "images", "projects",
    "domains", NULL
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                                 **key;
    ngx_str_t                              value, images;
    ngx_uint_t                             n;
    ngx_pool_t                            *pool;
    ngx_http_ims_member_json_t            *doc;
    ngx_http_ims_member_keystone_entry_t   entry;

    pool = ngx_stub_pool_create();

    if (ngx_http_ims_member_json_parse(pool, (u_char *) data, size, &doc)
        == NGX_OK)
    {
        for (key = ngx_fuzz_keys; *key; key++) {
            (void) ngx_http_ims_member_json_string(doc, *key, &value);
            (void) ngx_http_ims_member_json_truth(doc, *key);
            (void) ngx_http_ims_member_json_element(doc, *key, 0, &value);
        }

        (void) ngx_http_ims_member_json_strings(doc, "images", 1000, pool,
                                                &images, &n);
    }

    (void) ngx_http_ims_member_keystone_token(pool, (u_char *) data, size,
                                              &entry);

    ngx_stub_pool_destroy(pool);

    return 0;
}
