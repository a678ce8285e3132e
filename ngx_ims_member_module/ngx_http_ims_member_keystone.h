
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_KEYSTONE_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_KEYSTONE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"


ngx_int_t ngx_http_ims_member_keystone_init(ngx_conf_t *cf);
char *ngx_http_ims_member_keystone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_ims_member_keystone_identify(ngx_http_request_t *r,
    ngx_str_t *token, ngx_http_ims_member_identity_t *identity,
    ngx_uint_t *err);


#endif /* _NGX_HTTP_IMS_MEMBER_KEYSTONE_H_INCLUDED_ */
