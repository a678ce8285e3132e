
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_SEND_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_SEND_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


ngx_table_elt_t *ngx_http_ims_member_header_in(ngx_http_request_t *r,
    ngx_str_t *name);
ngx_int_t ngx_http_ims_member_header_out(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);
ngx_uint_t ngx_http_ims_member_error_page(ngx_http_request_t *r,
    ngx_uint_t status);
ngx_int_t ngx_http_ims_member_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body);
ngx_int_t ngx_http_ims_member_send_parts(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *parts, ngx_uint_t n);
ngx_int_t ngx_http_ims_member_send_typed(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *type, ngx_str_t *parts, ngx_uint_t n);
void ngx_http_ims_member_finalize(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body);


#endif /* _NGX_HTTP_IMS_MEMBER_SEND_H_INCLUDED_ */
