
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_API_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_API_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* ims_member_quota off: no limit (NGX_CONF_UNSET is -1) */
#define NGX_HTTP_IMS_MEMBER_QUOTA_OFF  -2


ngx_int_t ngx_http_ims_member_api_handler(ngx_http_request_t *r);
char *ngx_http_ims_member_quota(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_ims_member_quota_param(ngx_http_request_t *r,
    ngx_str_t *param);
ngx_int_t ngx_http_ims_member_api_member(ngx_pool_t *pool,
    ngx_uint_t glance, ngx_str_t *image_id, ngx_str_t *member_id,
    ngx_str_t *row, ngx_str_t *out);


#endif /* _NGX_HTTP_IMS_MEMBER_API_H_INCLUDED_ */
