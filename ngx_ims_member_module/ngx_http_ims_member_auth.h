
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_AUTH_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_AUTH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"


ngx_int_t ngx_http_ims_member_identify(ngx_http_request_t *r,
    ngx_http_ims_member_identity_t *identity, ngx_uint_t *err);
ngx_uint_t ngx_http_ims_member_policy_new(ngx_http_request_t *r,
    ngx_http_ims_member_identity_t *identity);
void ngx_http_ims_member_policy_params(ngx_http_request_t *r,
    ngx_http_ims_member_identity_t *identity, ngx_str_t *params);
void ngx_http_ims_member_identity_params(
    ngx_http_ims_member_identity_t *identity, ngx_str_t *params);
void ngx_http_ims_member_event_params(ngx_http_request_t *r,
    ngx_http_ims_member_identity_t *identity, ngx_str_t *request_id,
    ngx_str_t *params);
char *ngx_http_ims_member_policy(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


#endif /* _NGX_HTTP_IMS_MEMBER_AUTH_H_INCLUDED_ */
