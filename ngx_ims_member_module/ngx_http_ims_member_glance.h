
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_GLANCE_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_GLANCE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"


/* ims_member_errors */
#define NGX_HTTP_IMS_MEMBER_ERRORS_IMS     0
#define NGX_HTTP_IMS_MEMBER_ERRORS_GLANCE  1


char *ngx_http_ims_member_errors(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_uint_t ngx_http_ims_member_glance_errors(ngx_http_request_t *r);
ngx_uint_t ngx_http_ims_member_glance_not_allowed(ngx_http_request_t *r,
    ngx_http_ims_member_endpoint_t *endpoint);
ngx_int_t ngx_http_ims_member_glance_send_error(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx, ngx_uint_t err);
ngx_int_t ngx_http_ims_member_glance_send_not_allowed(ngx_http_request_t *r,
    ngx_http_ims_member_ctx_t *ctx);


#endif /* _NGX_HTTP_IMS_MEMBER_GLANCE_H_INCLUDED_ */
