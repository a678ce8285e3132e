
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_ANSWER_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_ANSWER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_cause.h"
#include "ngx_http_ims_member_send.h"


ngx_int_t ngx_http_ims_member_answer_init(ngx_http_request_t *r,
    ngx_str_t *request_id);
ngx_int_t ngx_http_ims_member_not_allowed(ngx_http_request_t *r,
    ngx_str_t *allow);
ngx_int_t ngx_http_ims_member_send_error(ngx_http_request_t *r,
    ngx_uint_t err);
void ngx_http_ims_member_finalize_error(ngx_http_request_t *r,
    ngx_uint_t err);


#endif /* _NGX_HTTP_IMS_MEMBER_ANSWER_H_INCLUDED_ */
