
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_UTIL_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_UTIL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* Glance's column sizes: images.id, image_members.member */
#define NGX_HTTP_IMS_MEMBER_IMAGE_ID_MAX   36
#define NGX_HTTP_IMS_MEMBER_MEMBER_ID_MAX  255

#define NGX_HTTP_IMS_MEMBER_UUID_LEN    36
#define NGX_HTTP_IMS_MEMBER_JOB_ID_LEN  32

#define NGX_HTTP_IMS_MEMBER_REQUEST_ID_MAX  128


ngx_int_t ngx_http_ims_member_split_path(ngx_str_t *path, ngx_str_t *parts,
    ngx_uint_t n);
ngx_int_t ngx_http_ims_member_valid_id(ngx_str_t *id, size_t max);
ngx_int_t ngx_http_ims_member_valid_ascii(ngx_str_t *id);
ngx_int_t ngx_http_ims_member_has_word(ngx_str_t *list, ngx_str_t *word);
u_char *ngx_http_ims_member_uuid(u_char *dst);
ngx_int_t ngx_http_ims_member_job_id(u_char *dst, ngx_log_t *log);
ngx_int_t ngx_http_ims_member_random(u_char *dst, size_t len, ngx_log_t *log);
ngx_int_t ngx_http_ims_member_valid_job_id(ngx_str_t *id);
ngx_int_t ngx_http_ims_member_valid_request_id(ngx_str_t *id);
time_t ngx_http_ims_member_parse_iso8601(u_char *p, size_t len);


#endif /* _NGX_HTTP_IMS_MEMBER_UTIL_H_INCLUDED_ */
