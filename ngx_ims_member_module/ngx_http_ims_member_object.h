
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_OBJECT_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_OBJECT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


ngx_int_t ngx_http_ims_member_object(ngx_pool_t *pool, ngx_uint_t glance,
    ngx_str_t *image_id, ngx_str_t *member_id, ngx_str_t *row,
    ngx_str_t *out);


#endif /* _NGX_HTTP_IMS_MEMBER_OBJECT_H_INCLUDED_ */
