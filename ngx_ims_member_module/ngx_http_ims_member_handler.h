
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_HANDLER_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_HANDLER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_json.h"


ngx_int_t ngx_http_ims_member_handle(ngx_http_request_t *r,
    ngx_http_ims_member_endpoint_t *endpoint);
ngx_int_t ngx_http_ims_member_handle_static(ngx_http_request_t *r);
ngx_uint_t ngx_http_ims_member_member_url(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_uint_t n);
ngx_uint_t ngx_http_ims_member_member_ids(ngx_http_ims_member_ctx_t *ctx,
    ngx_uint_t glance, ngx_str_t *member);
ngx_uint_t ngx_http_ims_member_body_object(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_uint_t list_err,
    ngx_http_ims_member_json_t **doc);


#endif /* _NGX_HTTP_IMS_MEMBER_HANDLER_H_INCLUDED_ */
