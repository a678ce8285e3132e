
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <jansson.h>

#include "ngx_http_ims_member_json.h"


/* Python's json.dumps() layout, as Glance answers: ", " and ": " */
#define NGX_HTTP_IMS_MEMBER_JSON_DUMP  (JSON_ENSURE_ASCII|JSON_PRESERVE_ORDER)


struct ngx_http_ims_member_json_s {
    json_t  *root;
};


static void ngx_http_ims_member_json_cleanup(void *data);
static ngx_int_t ngx_http_ims_member_json_dump(ngx_pool_t *pool,
    json_t *root, ngx_str_t *out);


/*
 * Parses a request body.  NGX_OK: *doc is a JSON object whose memory is
 * released with the pool; NGX_DECLINED: the body is not a JSON object.
 */

ngx_int_t
ngx_http_ims_member_json_parse(ngx_pool_t *pool, u_char *data, size_t len,
    ngx_http_ims_member_json_t **doc)
{
    json_t                      *root;
    json_error_t                 err;
    ngx_pool_cleanup_t          *cln;
    ngx_http_ims_member_json_t  *d;

    cln = ngx_pool_cleanup_add(pool, sizeof(ngx_http_ims_member_json_t));
    if (cln == NULL) {
        return NGX_ERROR;
    }

    d = cln->data;
    d->root = NULL;
    cln->handler = ngx_http_ims_member_json_cleanup;

    /* strings with NUL are refused: they could not reach the database */

    root = json_loadb((const char *) data, len, 0, &err);

    if (root == NULL) {
        return NGX_DECLINED;
    }

    d->root = root;

    if (!json_is_object(root)) {
        return NGX_DECLINED;
    }

    *doc = d;

    return NGX_OK;
}


/*
 * A member of the object that must be a string.  NGX_OK: *value points to
 * it (valid while the pool lives); NGX_DECLINED: absent; NGX_ABORT: present
 * but not a string.
 */

ngx_int_t
ngx_http_ims_member_json_string(ngx_http_ims_member_json_t *doc, char *key,
    ngx_str_t *value)
{
    json_t  *v;

    v = json_object_get(doc->root, key);

    if (v == NULL) {
        return NGX_DECLINED;
    }

    if (!json_is_string(v)) {
        return NGX_ABORT;
    }

    value->data = (u_char *) json_string_value(v);
    value->len = json_string_length(v);

    return NGX_OK;
}


/*
 * A flat object of strings from n key/value pairs (kv[2i], kv[2i + 1]);
 * a value with data == NULL is written as null.
 */

ngx_int_t
ngx_http_ims_member_json_object(ngx_pool_t *pool, ngx_str_t *kv,
    ngx_uint_t n, ngx_str_t *out)
{
    json_t      *root, *v;
    ngx_int_t    rc;
    ngx_uint_t   i;

    root = json_object();
    if (root == NULL) {
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    for (i = 0; i < n; i++, kv += 2) {

        if (kv[1].data == NULL) {
            v = json_null();

        } else {
            v = json_stringn((const char *) kv[1].data, kv[1].len);
        }

        if (v == NULL) {
            goto done;
        }

        if (json_object_setn_new(root, (const char *) kv[0].data, kv[0].len,
                                 v)
            != 0)
        {
            goto done;
        }
    }

    rc = ngx_http_ims_member_json_dump(pool, root, out);

done:

    json_decref(root);

    return rc;
}


static ngx_int_t
ngx_http_ims_member_json_dump(ngx_pool_t *pool, json_t *root, ngx_str_t *out)
{
    size_t   size;
    u_char  *p;

    size = json_dumpb(root, NULL, 0, NGX_HTTP_IMS_MEMBER_JSON_DUMP);
    if (size == 0) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(pool, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (json_dumpb(root, (char *) p, size, NGX_HTTP_IMS_MEMBER_JSON_DUMP)
        != size)
    {
        return NGX_ERROR;
    }

    out->data = p;
    out->len = size;

    return NGX_OK;
}


static void
ngx_http_ims_member_json_cleanup(void *data)
{
    ngx_http_ims_member_json_t  *d = data;

    if (d->root) {
        json_decref(d->root);
    }
}
