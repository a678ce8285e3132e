
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_SHARE_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_SHARE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"


/* ims_member_quota off, ims_member_share_quota off (NGX_CONF_UNSET is -1) */
#define NGX_HTTP_IMS_MEMBER_QUOTA_OFF     -2

/* Glance's image_member_quota */
#define NGX_HTTP_IMS_MEMBER_IMAGE_MEMBER_QUOTA  128


char *ngx_http_ims_member_quota(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_ims_member_share_quota(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_ims_member_quota_glance(ngx_http_request_t *r);
ngx_int_t ngx_http_ims_member_share_params(ngx_http_request_t *r,
    ngx_uint_t ims, ngx_str_t *quota, ngx_str_t *ims_quota);


#endif /* _NGX_HTTP_IMS_MEMBER_SHARE_H_INCLUDED_ */
