
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_ROLES_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_ROLES_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"


ngx_uint_t ngx_http_ims_member_is_admin(ngx_http_request_t *r,
    ngx_str_t *roles);
ngx_uint_t ngx_http_ims_member_roles_mask(ngx_str_t *roles);
char *ngx_http_ims_member_admin_roles(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


#endif /* _NGX_HTTP_IMS_MEMBER_ROLES_H_INCLUDED_ */
