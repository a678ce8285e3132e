
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "unit.h"
#include "ngx_http_ims_member_digest.h"


#define unit_s(text)  { sizeof(text) - 1, (u_char *) text }


/* FIPS 180-2's first example: SHA-256("abc") */
#define UNIT_SHA256_ABC                                                      \
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


void
test_digest(void)
{
    u_char     md[NGX_HTTP_IMS_MEMBER_SHA256_LEN];
    u_char     parts_md[NGX_HTTP_IMS_MEMBER_SHA256_LEN];
    u_char     hex[NGX_HTTP_IMS_MEMBER_SHA256_HEX_LEN];
    ngx_str_t  parts[3] = { unit_s("a"), unit_s(""), unit_s("bc") };

    unit_section("digest: ngx_http_ims_member_sha256");

    unit_is_int(ngx_http_ims_member_sha256_hex(hex, (u_char *) "abc", 3),
                NGX_OK, "the hex digest of \"abc\"");
    unit_is_mem(hex, sizeof(hex), (u_char *) UNIT_SHA256_ABC,
                sizeof(UNIT_SHA256_ABC) - 1, "  is FIPS 180-2's");

    unit_is_int(ngx_http_ims_member_sha256(md, (u_char *) "abc", 3), NGX_OK,
                "the digest of \"abc\"");
    unit_is_int(ngx_http_ims_member_sha256_parts(parts_md, parts, 3),
                NGX_OK, "the digest of \"a\", \"\" and \"bc\"");
    unit_is_mem(parts_md, sizeof(parts_md), md, sizeof(md),
                "  is the digest of the parts one after the other");

    /* the context is made again after it was freed (a worker's exit) */

    ngx_http_ims_member_sha256_free();

    unit_is_int(ngx_http_ims_member_sha256_hex(hex, (u_char *) "abc", 3),
                NGX_OK, "after sha256_free(), a digest again");
    unit_is_mem(hex, sizeof(hex), (u_char *) UNIT_SHA256_ABC,
                sizeof(UNIT_SHA256_ABC) - 1, "  still FIPS 180-2's");

    ngx_http_ims_member_sha256_free();
}
