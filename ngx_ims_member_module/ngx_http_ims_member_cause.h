
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_CAUSE_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_CAUSE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* the causes of error answers, indexes of the cause table */

#define NGX_HTTP_IMS_MEMBER_OK                  0

/* identity, the server */
#define NGX_HTTP_IMS_MEMBER_ERR_UNAUTHORIZED 1
#define NGX_HTTP_IMS_MEMBER_ERR_UNSCOPED 2
#define NGX_HTTP_IMS_MEMBER_ERR_IDENTITY 3
#define NGX_HTTP_IMS_MEMBER_ERR_UNAVAILABLE 4
#define NGX_HTTP_IMS_MEMBER_ERR_BUSY    5
#define NGX_HTTP_IMS_MEMBER_ERR_INTERNAL 6
#define NGX_HTTP_IMS_MEMBER_ERR_NOT_FOUND 7
#define NGX_HTTP_IMS_MEMBER_ERR_NOT_ALLOWED 8

/* the body, told apart in Glance's words */
#define NGX_HTTP_IMS_MEMBER_ERR_BODY    9
#define NGX_HTTP_IMS_MEMBER_ERR_BODY_EMPTY 10
#define NGX_HTTP_IMS_MEMBER_ERR_BODY_TYPE 11
#define NGX_HTTP_IMS_MEMBER_ERR_BODY_LIST 12
#define NGX_HTTP_IMS_MEMBER_ERR_BODY_REJECT 13
#define NGX_HTTP_IMS_MEMBER_ERR_STATUS  14
#define NGX_HTTP_IMS_MEMBER_ERR_STATUS_VALUE 15
#define NGX_HTTP_IMS_MEMBER_ERR_VAULT   16
#define NGX_HTTP_IMS_MEMBER_ERR_MEMBER_FIELD 17
#define NGX_HTTP_IMS_MEMBER_ERR_MEMBER_MISSING 18
#define NGX_HTTP_IMS_MEMBER_ERR_MEMBER_EMPTY 19
#define NGX_HTTP_IMS_MEMBER_ERR_MEMBER_FORM 20

/* the batch's bodies and the jobs */
#define NGX_HTTP_IMS_MEMBER_ERR_IMAGES  21
#define NGX_HTTP_IMS_MEMBER_ERR_TOO_MANY 22
#define NGX_HTTP_IMS_MEMBER_ERR_TOO_MANY_PAIRS 23
#define NGX_HTTP_IMS_MEMBER_ERR_PROJECT 24
#define NGX_HTTP_IMS_MEMBER_ERR_PROJECTS 25
#define NGX_HTTP_IMS_MEMBER_ERR_BATCH_STATUS 26
#define NGX_HTTP_IMS_MEMBER_ERR_DOMAINS 27
#define NGX_HTTP_IMS_MEMBER_ERR_FORBIDDEN 28
#define NGX_HTTP_IMS_MEMBER_ERR_JOB     29
#define NGX_HTTP_IMS_MEMBER_ERR_JOB_FAILED 30

/* the image, per call: its visibility is not "shared" */
#define NGX_HTTP_IMS_MEMBER_ERR_IMAGE   31
#define NGX_HTTP_IMS_MEMBER_ERR_IMAGE_ID 32
#define NGX_HTTP_IMS_MEMBER_ERR_NOT_SHARED 33
#define NGX_HTTP_IMS_MEMBER_ERR_UPDATE_PUBLIC 34
#define NGX_HTTP_IMS_MEMBER_ERR_UPDATE_COMMUNITY 35
#define NGX_HTTP_IMS_MEMBER_ERR_CREATE_SHARED 36
#define NGX_HTTP_IMS_MEMBER_ERR_CREATE_PUBLIC 37
#define NGX_HTTP_IMS_MEMBER_ERR_CREATE_COMMUNITY 38
#define NGX_HTTP_IMS_MEMBER_ERR_DELETE_SHARED 39
#define NGX_HTTP_IMS_MEMBER_ERR_DELETE_PUBLIC 40
#define NGX_HTTP_IMS_MEMBER_ERR_DELETE_COMMUNITY 41
#define NGX_HTTP_IMS_MEMBER_ERR_LIST_SHARED 42
#define NGX_HTTP_IMS_MEMBER_ERR_LIST_PUBLIC 43
#define NGX_HTTP_IMS_MEMBER_ERR_LIST_COMMUNITY 44
#define NGX_HTTP_IMS_MEMBER_ERR_SHOW_SHARED 45
#define NGX_HTTP_IMS_MEMBER_ERR_SHOW_PUBLIC 46
#define NGX_HTTP_IMS_MEMBER_ERR_SHOW_COMMUNITY 47

/* who may do it, the membership, the sharing rules */
#define NGX_HTTP_IMS_MEMBER_ERR_OWNER   48
#define NGX_HTTP_IMS_MEMBER_ERR_CREATE_OWNER 49
#define NGX_HTTP_IMS_MEMBER_ERR_DELETE_OWNER 50
#define NGX_HTTP_IMS_MEMBER_ERR_MEMBER  51
#define NGX_HTTP_IMS_MEMBER_ERR_NO_MEMBER 52
#define NGX_HTTP_IMS_MEMBER_ERR_MEMBER_ID 53
#define NGX_HTTP_IMS_MEMBER_ERR_VAULT_REQUIRED 54
#define NGX_HTTP_IMS_MEMBER_ERR_DUPLICATE 55
#define NGX_HTTP_IMS_MEMBER_ERR_QUOTA   56
#define NGX_HTTP_IMS_MEMBER_ERR_OWN_PROJECT 57
#define NGX_HTTP_IMS_MEMBER_ERR_WHOLE_IMAGE 58

/* refusals of Glance's new default policies (ims_member_policy new) */
#define NGX_HTTP_IMS_MEMBER_ERR_POLICY_IMAGE 59
#define NGX_HTTP_IMS_MEMBER_ERR_POLICY_ADD 60
#define NGX_HTTP_IMS_MEMBER_ERR_POLICY_DELETE 61
#define NGX_HTTP_IMS_MEMBER_ERR_POLICY_MODIFY 62
#define NGX_HTTP_IMS_MEMBER_ERR_POLICY_OWNER 63

#define NGX_HTTP_IMS_MEMBER_ERR_LAST    64

/* the ids a Glance explanation names, in its order */
#define NGX_HTTP_IMS_MEMBER_GLANCE_NONE         0
#define NGX_HTTP_IMS_MEMBER_GLANCE_IMAGE        1
#define NGX_HTTP_IMS_MEMBER_GLANCE_MEMBER       2
#define NGX_HTTP_IMS_MEMBER_GLANCE_QUOTA        3


typedef struct {
    ngx_str_t                   code;
    ngx_str_t                   message;
    ngx_uint_t                  published;  /* in IMS's error table */
} ngx_http_ims_member_code_t;


typedef struct {
    ngx_uint_t                  err;        /* its own index */
    ngx_uint_t                  status;
    ngx_http_ims_member_code_t *code;
    ngx_uint_t                  glance_status;
    ngx_uint_t                  glance_args;
    ngx_str_t                   glance;     /* Glance's explanation */
} ngx_http_ims_member_cause_t;


ngx_http_ims_member_cause_t *ngx_http_ims_member_cause(ngx_uint_t err);
ngx_http_ims_member_code_t *ngx_http_ims_member_code(ngx_str_t *code);
ngx_http_ims_member_code_t *ngx_http_ims_member_codes(ngx_uint_t *n);


#endif /* _NGX_HTTP_IMS_MEMBER_CAUSE_H_INCLUDED_ */
