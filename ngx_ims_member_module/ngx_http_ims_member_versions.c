
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_answer.h"
#include "ngx_http_ims_member_handler.h"
#include "ngx_http_ims_member_json.h"
#include "ngx_http_ims_member_versions.h"


/*
 * ims_member_versions: Glance's version document, by which OpenStack
 * clients given an unversioned endpoint find API v2.  "/versions" is
 * answered 200, any other URL 300 (Multiple Choices), as glance-api does;
 * the versions are those of a glance-api 25.1 without an image cache or
 * several stores.  Each link is the request's scheme and Host.
 */

typedef struct {
    ngx_str_t                   id;
    ngx_str_t                   status;
} ngx_http_ims_member_version_t;


static ngx_http_ims_member_version_t  ngx_http_ims_member_versions[] = {
    { ngx_string("v2.15"), ngx_string("CURRENT") },
    { ngx_string("v2.9"), ngx_string("SUPPORTED") },
    { ngx_string("v2.7"), ngx_string("SUPPORTED") },
    { ngx_string("v2.6"), ngx_string("SUPPORTED") },
    { ngx_string("v2.5"), ngx_string("SUPPORTED") },
    { ngx_string("v2.4"), ngx_string("SUPPORTED") },
    { ngx_string("v2.3"), ngx_string("SUPPORTED") },
    { ngx_string("v2.2"), ngx_string("SUPPORTED") },
    { ngx_string("v2.1"), ngx_string("SUPPORTED") },
    { ngx_string("v2.0"), ngx_string("SUPPORTED") },
    { ngx_null_string, ngx_null_string }
};


ngx_int_t
ngx_http_ims_member_versions_handler(ngx_http_request_t *r)
{
    u_char                         *p;
    size_t                          len;
    ngx_int_t                       rc;
    ngx_str_t                       href, quoted, body, host;
    ngx_uint_t                      status;
    ngx_http_ims_member_version_t  *v;

    rc = ngx_http_ims_member_handle_static(r);

    if (rc != NGX_OK) {
        return rc;
    }

    /* the Host the client asked, else the name nginx knows itself by */

    if (r->headers_in.host) {
        host = r->headers_in.host->value;

    } else {
        host = r->headers_in.server;
    }

    len = sizeof("https://") - 1 + host.len + sizeof("/v2/") - 1;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    href.data = p;

#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        p = ngx_cpymem(p, "https://", sizeof("https://") - 1);

    } else
#endif
    {
        p = ngx_cpymem(p, "http://", sizeof("http://") - 1);
    }

    p = ngx_cpymem(p, host.data, host.len);
    p = ngx_cpymem(p, "/v2/", sizeof("/v2/") - 1);
    href.len = p - href.data;

    /* the Host header is the client's: written as a JSON string */

    if (ngx_http_ims_member_json_quote(r->pool, &href, &quoted) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = sizeof("{\"versions\": []}") - 1;

    for (v = ngx_http_ims_member_versions; v->id.len; v++) {
        len += sizeof(", {\"id\": \"\", \"status\": \"\", \"links\": [{\"rel\":"
                      " \"self\", \"href\": }]}") - 1
               + v->id.len + v->status.len + quoted.len;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.data = p;
    p = ngx_cpymem(p, "{\"versions\": [", sizeof("{\"versions\": [") - 1);

    for (v = ngx_http_ims_member_versions; v->id.len; v++) {
        p = ngx_sprintf(p, "%s{\"id\": \"%V\", \"status\": \"%V\", "
                        "\"links\": [{\"rel\": \"self\", \"href\": %V}]}",
                        (v == ngx_http_ims_member_versions) ? "" : ", ",
                        &v->id, &v->status, &quoted);
    }

    p = ngx_cpymem(p, "]}", 2);
    body.len = p - body.data;

    if (r->uri.len == sizeof("/versions") - 1
        && ngx_strncmp(r->uri.data, "/versions", r->uri.len) == 0)
    {
        status = NGX_HTTP_OK;

    } else {
        status = NGX_HTTP_SPECIAL_RESPONSE;

        /* nginx has no status line of its own for 300 */
        ngx_str_set(&r->headers_out.status_line, "300 Multiple Choices");
    }

    return ngx_http_ims_member_send(r, status, &body);
}
