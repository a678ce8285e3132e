
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_KEYSTONE_TOKEN_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_KEYSTONE_TOKEN_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_keystone_cache.h"


ngx_int_t ngx_http_ims_member_keystone_token(ngx_pool_t *pool, u_char *data,
    size_t len, ngx_http_ims_member_keystone_entry_t *entry);


#endif /* _NGX_HTTP_IMS_MEMBER_KEYSTONE_TOKEN_H_INCLUDED_ */
