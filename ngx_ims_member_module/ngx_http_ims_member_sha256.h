
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_SHA256_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_SHA256_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_HTTP_IMS_MEMBER_SHA256_HEX_LEN  64


u_char *ngx_http_ims_member_sha256_hex(u_char *dst, u_char *data,
    size_t len);


#endif /* _NGX_HTTP_IMS_MEMBER_SHA256_H_INCLUDED_ */
