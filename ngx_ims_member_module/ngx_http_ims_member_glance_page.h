
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_GLANCE_PAGE_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_GLANCE_PAGE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* the three formats of Glance's (webob's) error pages */

#define NGX_HTTP_IMS_MEMBER_GLANCE_PLAIN  0
#define NGX_HTTP_IMS_MEMBER_GLANCE_HTML   1
#define NGX_HTTP_IMS_MEMBER_GLANCE_JSON   2


typedef struct {
    ngx_uint_t                  format;
    ngx_uint_t                  status;
    ngx_str_t                   title;          /* "Not Found" */
    ngx_str_t                   explanation;    /* bytes as the URL had them */
    ngx_str_t                   tail;           /* after it; empty: usual */
} ngx_http_ims_member_glance_page_t;


ngx_uint_t ngx_http_ims_member_glance_format(u_char *p, u_char *last);
ngx_int_t ngx_http_ims_member_glance_page(ngx_pool_t *pool,
    ngx_http_ims_member_glance_page_t *page, ngx_str_t *out);
ngx_str_t *ngx_http_ims_member_glance_type(ngx_uint_t format);


#endif /* _NGX_HTTP_IMS_MEMBER_GLANCE_PAGE_H_INCLUDED_ */
