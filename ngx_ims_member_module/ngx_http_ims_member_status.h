
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_STATUS_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_STATUS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


ngx_int_t ngx_http_ims_member_status_handler(ngx_http_request_t *r);


#endif /* _NGX_HTTP_IMS_MEMBER_STATUS_H_INCLUDED_ */
