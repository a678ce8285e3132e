
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_json.h"
#include "ngx_http_ims_member_keystone_token.h"
#include "ngx_http_ims_member_util.h"


/*
 * Keystone's answer to a token validation, read through the JSON file's
 * plain accessors: what the module keeps of a token is decided here, in
 * the Keystone room, and the JSON file knows nothing of tokens.
 */


static ngx_int_t ngx_http_ims_member_keystone_roles(ngx_pool_t *pool,
    ngx_http_ims_member_json_t *token, ngx_str_t *out);


/*
 * {"token": {"expires_at": ..., "project": {"id": ...}, "roles":
 * [{"name": ...}, ...], ...}}.  NGX_OK: *entry holds the project and the
 * role names (kind VALID), or the role names of a token without a project
 * scope (UNSCOPED), and the expiry, in "pool"; NGX_DECLINED: not such an
 * answer; NGX_ERROR: no memory.
 */

ngx_int_t
ngx_http_ims_member_keystone_token(ngx_pool_t *pool, u_char *data,
    size_t len, ngx_http_ims_member_keystone_entry_t *entry)
{
    ngx_int_t                    rc;
    ngx_str_t                    v;
    ngx_http_ims_member_json_t  *doc, *token, *project, *user;

    rc = ngx_http_ims_member_json_parse(pool, data, len, &doc);

    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_ims_member_json_child(pool, doc, "token", &token);

    if (rc != NGX_OK) {
        return (rc == NGX_ERROR) ? NGX_ERROR : NGX_DECLINED;
    }

    if (ngx_http_ims_member_json_string(token, "expires_at", &v) != NGX_OK) {
        return NGX_DECLINED;
    }

    entry->expire = ngx_http_ims_member_parse_iso8601(v.data, v.len);

    if (entry->expire == NGX_ERROR) {
        return NGX_DECLINED;
    }

    rc = ngx_http_ims_member_json_child(pool, token, "project", &project);

    switch (rc) {

    case NGX_OK:

        /* the parsed answer lives as long as the pool: no copy */

        if (ngx_http_ims_member_json_string(project, "id", &entry->project)
            != NGX_OK
            || ngx_http_ims_member_valid_id(&entry->project, 255) != NGX_OK)
        {
            return NGX_DECLINED;
        }

        entry->kind = NGX_HTTP_IMS_MEMBER_KEYSTONE_VALID;
        break;

    case NGX_DECLINED:

        /* a domain's or the system's roles: Glance still heeds them */

        entry->kind = NGX_HTTP_IMS_MEMBER_KEYSTONE_UNSCOPED;
        ngx_str_null(&entry->project);
        break;

    case NGX_ERROR:
        return NGX_ERROR;

    default:
        return NGX_DECLINED;
    }

    /* who acted, for the events: a token names its user (optional here) */

    ngx_str_null(&entry->user);

    rc = ngx_http_ims_member_json_child(pool, token, "user", &user);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_OK
        && (ngx_http_ims_member_json_string(user, "id", &entry->user)
            != NGX_OK
            || ngx_http_ims_member_valid_id(&entry->user, 255) != NGX_OK))
    {
        ngx_str_null(&entry->user);
    }

    return ngx_http_ims_member_keystone_roles(pool, token, &entry->roles);
}


/*
 * The role names in lower case, comma-separated: policies compare role
 * names in any case; a name with a comma cannot be told apart, and is
 * left out.
 */

static ngx_int_t
ngx_http_ims_member_keystone_roles(ngx_pool_t *pool,
    ngx_http_ims_member_json_t *token, ngx_str_t *out)
{
    u_char      *p;
    size_t       len;
    ngx_int_t    rc;
    ngx_str_t    name;
    ngx_uint_t   i, n;

    ngx_str_null(out);

    rc = ngx_http_ims_member_json_array(token, "roles", &n);

    if (rc == NGX_DECLINED) {
        return NGX_OK;
    }

    if (rc != NGX_OK) {
        return NGX_DECLINED;
    }

    len = 0;

    for (i = 0; i < n; i++) {
        if (ngx_http_ims_member_json_element_string(token, "roles", i,
                                                    "name", &name)
            != NGX_OK)
        {
            return NGX_DECLINED;
        }

        len += name.len + 1;
    }

    if (len == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    for (i = 0; i < n; i++) {
        (void) ngx_http_ims_member_json_element_string(token, "roles", i,
                                                       "name", &name);

        if (name.len == 0
            || ngx_strlchr(name.data, name.data + name.len, ','))
        {
            continue;
        }

        if (p != out->data) {
            *p++ = ',';
        }

        ngx_strlow(p, name.data, name.len);
        p += name.len;
    }

    out->len = p - out->data;

    return NGX_OK;
}
