
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_KEYSTONE_CACHE_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_KEYSTONE_CACHE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_digest.h"
#include "ngx_http_ims_member_metrics.h"


/* a SHA-256 of the token and its Keystone, all the cache keeps of it */
#define NGX_HTTP_IMS_MEMBER_KEYSTONE_KEY_LEN  NGX_HTTP_IMS_MEMBER_SHA256_LEN

/* what Keystone said of a token */
#define NGX_HTTP_IMS_MEMBER_KEYSTONE_VALID     0
#define NGX_HTTP_IMS_MEMBER_KEYSTONE_INVALID   1
#define NGX_HTTP_IMS_MEMBER_KEYSTONE_UNSCOPED  2


typedef struct {
    ngx_uint_t                  kind;
    ngx_str_t                   project;
    ngx_str_t                   roles;     /* lower case, comma-separated */
    /* the user's id, for the events; empty if Keystone gave none */
    ngx_str_t                   user;
    time_t                      expire;
} ngx_http_ims_member_keystone_entry_t;


ngx_shm_zone_t *ngx_http_ims_member_keystone_cache_add(ngx_conf_t *cf,
    ngx_str_t *name, size_t size);
ngx_int_t ngx_http_ims_member_keystone_cache_key(ngx_shm_zone_t *zone,
    void *server, ngx_str_t *uri, ngx_str_t *args, ngx_str_t *token,
    u_char *key);
ngx_int_t ngx_http_ims_member_keystone_cache_get(ngx_shm_zone_t *zone,
    u_char *key, ngx_http_ims_member_keystone_entry_t *entry,
    ngx_pool_t *pool);
void ngx_http_ims_member_keystone_cache_put(ngx_shm_zone_t *zone,
    u_char *key, ngx_http_ims_member_keystone_entry_t *entry, ngx_log_t *log,
    ngx_http_ims_member_metrics_t *metrics);
ngx_uint_t ngx_http_ims_member_keystone_cache_entries(ngx_shm_zone_t *zone);
char *ngx_http_ims_member_keystone_cache(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


#endif /* _NGX_HTTP_IMS_MEMBER_KEYSTONE_CACHE_H_INCLUDED_ */
