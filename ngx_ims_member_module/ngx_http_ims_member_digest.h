
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_DIGEST_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_DIGEST_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* a SHA-256 digest, and its lower-case hex */
#define NGX_HTTP_IMS_MEMBER_SHA256_LEN      32
#define NGX_HTTP_IMS_MEMBER_SHA256_HEX_LEN  64


ngx_int_t ngx_http_ims_member_sha256(u_char *dst, u_char *data, size_t len);
ngx_int_t ngx_http_ims_member_sha256_parts(u_char *dst, ngx_str_t *parts,
    ngx_uint_t n);
ngx_int_t ngx_http_ims_member_sha256_hex(u_char *dst, u_char *data,
    size_t len);
void ngx_http_ims_member_sha256_free(void);


#endif /* _NGX_HTTP_IMS_MEMBER_DIGEST_H_INCLUDED_ */
