
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_JSON_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_JSON_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


typedef struct ngx_http_ims_member_json_s  ngx_http_ims_member_json_t;


/* what a text that is not a JSON object is */
#define NGX_HTTP_IMS_MEMBER_JSON_MALFORMED  0
#define NGX_HTTP_IMS_MEMBER_JSON_ARRAY      1
#define NGX_HTTP_IMS_MEMBER_JSON_SCALAR     2
#define NGX_HTTP_IMS_MEMBER_JSON_OBJECT     3




ngx_int_t ngx_http_ims_member_json_parse(ngx_pool_t *pool, u_char *data,
    size_t len, ngx_http_ims_member_json_t **doc);
ngx_uint_t ngx_http_ims_member_json_kind(u_char *data, size_t len);
ngx_int_t ngx_http_ims_member_json_string(ngx_http_ims_member_json_t *doc,
    char *key, ngx_str_t *value);
ngx_int_t ngx_http_ims_member_json_truth(ngx_http_ims_member_json_t *doc,
    char *key);
ngx_int_t ngx_http_ims_member_json_strings(ngx_http_ims_member_json_t *doc,
    char *key, ngx_uint_t max, ngx_pool_t *pool, ngx_str_t *array,
    ngx_uint_t *n);
ngx_int_t ngx_http_ims_member_json_element(ngx_http_ims_member_json_t *doc,
    char *key, ngx_uint_t i, ngx_str_t *value);
ngx_int_t ngx_http_ims_member_json_child(ngx_pool_t *pool,
    ngx_http_ims_member_json_t *doc, char *key,
    ngx_http_ims_member_json_t **child);
ngx_int_t ngx_http_ims_member_json_array(ngx_http_ims_member_json_t *doc,
    char *key, ngx_uint_t *n);
ngx_int_t ngx_http_ims_member_json_element_string(
    ngx_http_ims_member_json_t *doc, char *key, ngx_uint_t i, char *field,
    ngx_str_t *value);
ngx_int_t ngx_http_ims_member_json_object(ngx_pool_t *pool, ngx_str_t *kv,
    ngx_uint_t n, ngx_str_t *out);
ngx_int_t ngx_http_ims_member_json_object_utf8(ngx_pool_t *pool,
    ngx_str_t *kv, ngx_uint_t n, ngx_str_t *out);
ngx_int_t ngx_http_ims_member_json_error(ngx_pool_t *pool, ngx_str_t *code,
    ngx_str_t *message, ngx_str_t *out);
ngx_int_t ngx_http_ims_member_json_quote(ngx_pool_t *pool, ngx_str_t *s,
    ngx_str_t *out);
ngx_int_t ngx_http_ims_member_json_number(ngx_pool_t *pool, double n,
    ngx_str_t *out);


#endif /* _NGX_HTTP_IMS_MEMBER_JSON_H_INCLUDED_ */
