
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_LOG_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_LOG_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


ngx_int_t ngx_http_ims_member_log_variables(ngx_conf_t *cf);
ngx_int_t ngx_http_ims_member_log_init(ngx_conf_t *cf);


#endif /* _NGX_HTTP_IMS_MEMBER_LOG_H_INCLUDED_ */
