
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_RESULTS_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_RESULTS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* the calls whose statements answer with a result name */
#define NGX_HTTP_IMS_MEMBER_CALL_UPDATE  0
#define NGX_HTTP_IMS_MEMBER_CALL_LIST    1
#define NGX_HTTP_IMS_MEMBER_CALL_SHOW    2
#define NGX_HTTP_IMS_MEMBER_CALL_CREATE  3
#define NGX_HTTP_IMS_MEMBER_CALL_DELETE  4


ngx_uint_t ngx_http_ims_member_cause_of(ngx_uint_t call, ngx_str_t *result);
ngx_int_t ngx_http_ims_member_job_codes(ngx_pool_t *pool, ngx_str_t *json);


#endif /* _NGX_HTTP_IMS_MEMBER_RESULTS_H_INCLUDED_ */
