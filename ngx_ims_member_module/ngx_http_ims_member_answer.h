
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_ANSWER_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_ANSWER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"


/* the causes of error answers; each has one stable IMG code */

#define NGX_HTTP_IMS_MEMBER_OK                  0
#define NGX_HTTP_IMS_MEMBER_ERR_UNAUTHORIZED    1
#define NGX_HTTP_IMS_MEMBER_ERR_BODY            2
#define NGX_HTTP_IMS_MEMBER_ERR_STATUS          3
#define NGX_HTTP_IMS_MEMBER_ERR_VAULT           4
#define NGX_HTTP_IMS_MEMBER_ERR_IMAGE           5
#define NGX_HTTP_IMS_MEMBER_ERR_NOT_SHARED      6
#define NGX_HTTP_IMS_MEMBER_ERR_OWNER           7
#define NGX_HTTP_IMS_MEMBER_ERR_MEMBER          8
#define NGX_HTTP_IMS_MEMBER_ERR_VAULT_REQUIRED  9
#define NGX_HTTP_IMS_MEMBER_ERR_UNAVAILABLE     10
#define NGX_HTTP_IMS_MEMBER_ERR_INTERNAL        11
#define NGX_HTTP_IMS_MEMBER_ERR_NOT_FOUND       12
#define NGX_HTTP_IMS_MEMBER_ERR_IMAGES          13
#define NGX_HTTP_IMS_MEMBER_ERR_TOO_MANY        14
#define NGX_HTTP_IMS_MEMBER_ERR_PROJECT         15
#define NGX_HTTP_IMS_MEMBER_ERR_BATCH_STATUS    16
#define NGX_HTTP_IMS_MEMBER_ERR_FORBIDDEN       17
#define NGX_HTTP_IMS_MEMBER_ERR_JOB             18
#define NGX_HTTP_IMS_MEMBER_ERR_UNSCOPED        19
#define NGX_HTTP_IMS_MEMBER_ERR_IDENTITY        20

/* finer causes of IMG.0002 and IMG.0003, told apart in Glance's words */
#define NGX_HTTP_IMS_MEMBER_ERR_BODY_EMPTY      21
#define NGX_HTTP_IMS_MEMBER_ERR_BODY_TYPE       22
#define NGX_HTTP_IMS_MEMBER_ERR_BODY_LIST       23
#define NGX_HTTP_IMS_MEMBER_ERR_STATUS_VALUE    24

/* a method the endpoint does not serve, answered after identity */
#define NGX_HTTP_IMS_MEMBER_ERR_NOT_ALLOWED     25

/* the member API (POST, GET, DELETE) and the batch's POST and DELETE */
#define NGX_HTTP_IMS_MEMBER_ERR_BODY_REJECT     26
#define NGX_HTTP_IMS_MEMBER_ERR_MEMBER_FIELD    27
#define NGX_HTTP_IMS_MEMBER_ERR_SHARE_FORBIDDEN 28
#define NGX_HTTP_IMS_MEMBER_ERR_DUPLICATE       29
#define NGX_HTTP_IMS_MEMBER_ERR_QUOTA           30
#define NGX_HTTP_IMS_MEMBER_ERR_NO_MEMBER       31
#define NGX_HTTP_IMS_MEMBER_ERR_PROJECTS        32
#define NGX_HTTP_IMS_MEMBER_ERR_DOMAINS         33
#define NGX_HTTP_IMS_MEMBER_ERR_OWN_PROJECT     34

/* finer causes of those codes, told apart in Glance's words */
#define NGX_HTTP_IMS_MEMBER_ERR_MEMBER_MISSING  35
#define NGX_HTTP_IMS_MEMBER_ERR_MEMBER_EMPTY    36
#define NGX_HTTP_IMS_MEMBER_ERR_MEMBER_FORM     37
#define NGX_HTTP_IMS_MEMBER_ERR_CREATE_SHARED   38
#define NGX_HTTP_IMS_MEMBER_ERR_CREATE_OWNER    39
#define NGX_HTTP_IMS_MEMBER_ERR_DELETE_SHARED   40
#define NGX_HTTP_IMS_MEMBER_ERR_DELETE_OWNER    41
#define NGX_HTTP_IMS_MEMBER_ERR_LIST_SHARED     42
#define NGX_HTTP_IMS_MEMBER_ERR_SHOW_SHARED     43
#define NGX_HTTP_IMS_MEMBER_ERR_TOO_MANY_PAIRS  44

/* refusals of Glance's new default policies (ims_member_policy new) */
#define NGX_HTTP_IMS_MEMBER_ERR_POLICY_IMAGE    45
#define NGX_HTTP_IMS_MEMBER_ERR_POLICY_ADD      46
#define NGX_HTTP_IMS_MEMBER_ERR_POLICY_DELETE   47
#define NGX_HTTP_IMS_MEMBER_ERR_POLICY_MODIFY   48
#define NGX_HTTP_IMS_MEMBER_ERR_POLICY_OWNER    49

/* ims_member_errors */
#define NGX_HTTP_IMS_MEMBER_ERRORS_IMS          0
#define NGX_HTTP_IMS_MEMBER_ERRORS_GLANCE       1


ngx_int_t ngx_http_ims_member_answer_init(ngx_http_request_t *r,
    ngx_str_t *request_id);
ngx_table_elt_t *ngx_http_ims_member_header_in(ngx_http_request_t *r,
    ngx_str_t *name);
ngx_int_t ngx_http_ims_member_not_allowed(ngx_http_request_t *r,
    ngx_str_t *allow);
ngx_uint_t ngx_http_ims_member_error_page(ngx_http_request_t *r,
    ngx_uint_t status);
ngx_int_t ngx_http_ims_member_header_out(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);
ngx_int_t ngx_http_ims_member_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body);
ngx_int_t ngx_http_ims_member_send_parts(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *parts, ngx_uint_t n);
ngx_int_t ngx_http_ims_member_send_typed(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *type, ngx_str_t *parts, ngx_uint_t n);
void ngx_http_ims_member_finalize(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body);
ngx_int_t ngx_http_ims_member_send_error(ngx_http_request_t *r,
    ngx_uint_t err);
void ngx_http_ims_member_finalize_error(ngx_http_request_t *r,
    ngx_uint_t err);
ngx_int_t ngx_http_ims_member_error_message(ngx_str_t *code,
    ngx_str_t *message);


#endif /* _NGX_HTTP_IMS_MEMBER_ANSWER_H_INCLUDED_ */
