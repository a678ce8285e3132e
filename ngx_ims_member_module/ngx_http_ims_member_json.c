
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <jansson.h>

#include "ngx_http_ims_member_json.h"
#include "ngx_http_ims_member_keystone_cache.h"
#include "ngx_http_ims_member_util.h"


/*
 * The layout of Python's json.dumps(), as Glance answers: ", " and ": ",
 * ASCII only; reals to 6 digits (a share of 1/10 is 0.1, not 0.1000...01)
 */
#define NGX_HTTP_IMS_MEMBER_JSON_DUMP                                        \
    (JSON_ENSURE_ASCII|NGX_HTTP_IMS_MEMBER_JSON_DUMP_UTF8)

/* the same with UTF-8 as it is: Glance's members (ensure_ascii=False) */
#define NGX_HTTP_IMS_MEMBER_JSON_DUMP_UTF8                                   \
    (JSON_PRESERVE_ORDER|JSON_REAL_PRECISION(6)|JSON_ENCODE_ANY)


struct ngx_http_ims_member_json_s {
    json_t  *root;
};


static ngx_int_t ngx_http_ims_member_json_roles(ngx_pool_t *pool,
    json_t *roles, ngx_str_t *out);
static void ngx_http_ims_member_json_cleanup(void *data);
static json_t *ngx_http_ims_member_json_str(ngx_str_t *s);
static ngx_int_t ngx_http_ims_member_json_value(ngx_pool_t *pool,
    json_t *value, ngx_str_t *out);
static ngx_int_t ngx_http_ims_member_json_flat(ngx_pool_t *pool,
    ngx_str_t *kv, ngx_uint_t n, size_t flags, ngx_str_t *out);
static ngx_int_t ngx_http_ims_member_json_dump(ngx_pool_t *pool,
    json_t *root, size_t flags, ngx_str_t *out);


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


/* for an answer that names the mistake: the JSON value, if any, a text is */

ngx_uint_t
ngx_http_ims_member_json_kind(u_char *data, size_t len)
{
    json_t        *root;
    ngx_uint_t     kind;
    json_error_t   err;

    root = json_loadb((const char *) data, len, JSON_DECODE_ANY, &err);

    if (root == NULL) {
        return NGX_HTTP_IMS_MEMBER_JSON_MALFORMED;
    }

    if (json_is_object(root)) {
        kind = NGX_HTTP_IMS_MEMBER_JSON_OBJECT;

    } else if (json_is_array(root)) {
        kind = NGX_HTTP_IMS_MEMBER_JSON_ARRAY;

    } else {
        kind = NGX_HTTP_IMS_MEMBER_JSON_SCALAR;
    }

    json_decref(root);

    return kind;
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
 * Whether a member is there and true as Glance's Python reads it: null,
 * false, 0, "", [] and {} are not.  NGX_DECLINED: absent; NGX_ABORT: false.
 */

ngx_int_t
ngx_http_ims_member_json_truth(ngx_http_ims_member_json_t *doc, char *key)
{
    json_t  *v;

    v = json_object_get(doc->root, key);

    if (v == NULL) {
        return NGX_DECLINED;
    }

    switch (json_typeof(v)) {

    case JSON_NULL:
    case JSON_FALSE:
        return NGX_ABORT;

    case JSON_INTEGER:
        return json_integer_value(v) ? NGX_OK : NGX_ABORT;

    case JSON_REAL:
        return (json_real_value(v) != 0.0) ? NGX_OK : NGX_ABORT;

    case JSON_STRING:
        return json_string_length(v) ? NGX_OK : NGX_ABORT;

    case JSON_ARRAY:
        return json_array_size(v) ? NGX_OK : NGX_ABORT;

    case JSON_OBJECT:
        return json_object_size(v) ? NGX_OK : NGX_ABORT;

    default:
        return NGX_OK;
    }
}


/*
 * A member that must be a non-empty array of at most "max" strings.
 * NGX_OK: *array is the array as compact JSON text, *n its length;
 * NGX_DECLINED: absent, not an array, empty, or not all strings;
 * NGX_ABORT: longer than "max".
 */

ngx_int_t
ngx_http_ims_member_json_strings(ngx_http_ims_member_json_t *doc, char *key,
    ngx_uint_t max, ngx_pool_t *pool, ngx_str_t *array, ngx_uint_t *n)
{
    size_t   i, size;
    u_char  *p;
    json_t  *v;

    v = json_object_get(doc->root, key);

    if (v == NULL || !json_is_array(v) || json_array_size(v) == 0) {
        return NGX_DECLINED;
    }

    for (i = 0; i < json_array_size(v); i++) {
        if (!json_is_string(json_array_get(v, i))) {
            return NGX_DECLINED;
        }
    }

    if (json_array_size(v) > max) {
        return NGX_ABORT;
    }

    size = json_dumpb(v, NULL, 0, JSON_COMPACT);
    if (size == 0) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(pool, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (json_dumpb(v, (char *) p, size, JSON_COMPACT) != size) {
        return NGX_ERROR;
    }

    array->data = p;
    array->len = size;
    *n = json_array_size(v);

    return NGX_OK;
}


/* the i-th element of an array member, if it is a string */

ngx_int_t
ngx_http_ims_member_json_element(ngx_http_ims_member_json_t *doc, char *key,
    ngx_uint_t i, ngx_str_t *value)
{
    json_t  *v;

    v = json_array_get(json_object_get(doc->root, key), i);

    if (v == NULL || !json_is_string(v)) {
        return NGX_DECLINED;
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
    return ngx_http_ims_member_json_flat(pool, kv, n,
                                         NGX_HTTP_IMS_MEMBER_JSON_DUMP, out);
}


/* the same, characters past ASCII written as they are, as Glance does */

ngx_int_t
ngx_http_ims_member_json_object_utf8(ngx_pool_t *pool, ngx_str_t *kv,
    ngx_uint_t n, ngx_str_t *out)
{
    return ngx_http_ims_member_json_flat(pool, kv, n,
                                         NGX_HTTP_IMS_MEMBER_JSON_DUMP_UTF8,
                                         out);
}


static ngx_int_t
ngx_http_ims_member_json_flat(ngx_pool_t *pool, ngx_str_t *kv, ngx_uint_t n,
    size_t flags, ngx_str_t *out)
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

    rc = ngx_http_ims_member_json_dump(pool, root, flags, out);

done:

    json_decref(root);

    return rc;
}


/* {"error": {"code": "IMG.xxxx", "message": "..."}} */

ngx_int_t
ngx_http_ims_member_json_error(ngx_pool_t *pool, ngx_str_t *code,
    ngx_str_t *message, ngx_str_t *out)
{
    json_t     *root;
    ngx_int_t   rc;

    root = json_pack("{s:{s:s%,s:s%}}", "error",
                     "code", code->data, code->len,
                     "message", message->data, message->len);
    if (root == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_ims_member_json_dump(pool, root,
                                       NGX_HTTP_IMS_MEMBER_JSON_DUMP, out);

    json_decref(root);

    return rc;
}


/*
 * A JSON value of the module's answers, alone: a string (or null when
 * s->data is NULL), or a number; written with the same flags as the rest.
 */

ngx_int_t
ngx_http_ims_member_json_quote(ngx_pool_t *pool, ngx_str_t *s, ngx_str_t *out)
{
    return ngx_http_ims_member_json_value(pool,
                                          ngx_http_ims_member_json_str(s),
                                          out);
}


ngx_int_t
ngx_http_ims_member_json_number(ngx_pool_t *pool, double n, ngx_str_t *out)
{
    return ngx_http_ims_member_json_value(pool, json_real(n), out);
}


static ngx_int_t
ngx_http_ims_member_json_value(ngx_pool_t *pool, json_t *value,
    ngx_str_t *out)
{
    ngx_int_t  rc;

    if (value == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_ims_member_json_dump(pool, value,
                                       NGX_HTTP_IMS_MEMBER_JSON_DUMP, out);

    json_decref(value);

    return rc;
}


static json_t *
ngx_http_ims_member_json_str(ngx_str_t *s)
{
    if (s->data == NULL) {
        return json_null();
    }

    return json_stringn((const char *) s->data, s->len);
}


static ngx_int_t
ngx_http_ims_member_json_dump(ngx_pool_t *pool, json_t *root, size_t flags,
    ngx_str_t *out)
{
    size_t   size;
    u_char  *p;

    size = json_dumpb(root, NULL, 0, flags);
    if (size == 0) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(pool, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (json_dumpb(root, (char *) p, size, flags) != size) {
        return NGX_ERROR;
    }

    out->data = p;
    out->len = size;

    return NGX_OK;
}


/*
 * Keystone's answer to a token validation, {"token": {"expires_at": ...,
 * "project": {"id": ...}, "roles": [{"name": ...}, ...], ...}}.  NGX_OK:
 * *entry holds the project and the role names (kind VALID), or the role
 * names of a token without a project scope (UNSCOPED), and the expiry;
 * NGX_DECLINED:
 * not such an answer; NGX_ERROR: no memory.
 */

ngx_int_t
ngx_http_ims_member_json_token(ngx_pool_t *pool, u_char *data, size_t len,
    ngx_http_ims_member_keystone_entry_t *entry)
{
    json_t       *root, *token, *v, *project;
    ngx_int_t     rc;
    ngx_str_t     id;
    json_error_t  err;

    root = json_loadb((const char *) data, len, 0, &err);

    if (root == NULL) {
        return NGX_DECLINED;
    }

    rc = NGX_DECLINED;

    token = json_object_get(root, "token");

    if (!json_is_object(token)) {
        goto done;
    }

    v = json_object_get(token, "expires_at");

    if (!json_is_string(v)) {
        goto done;
    }

    entry->expire = ngx_http_ims_member_parse_iso8601(
                                          (u_char *) json_string_value(v),
                                          json_string_length(v));
    if (entry->expire == NGX_ERROR) {
        goto done;
    }

    project = json_object_get(token, "project");

    if (project == NULL || json_is_null(project)) {

        /* a domain's or the system's roles: Glance still heeds them */

        entry->kind = NGX_HTTP_IMS_MEMBER_KEYSTONE_UNSCOPED;
        ngx_str_null(&entry->project);
        rc = ngx_http_ims_member_json_roles(pool,
                                            json_object_get(token, "roles"),
                                            &entry->roles);
        goto done;
    }

    v = json_object_get(project, "id");

    if (!json_is_string(v)) {
        goto done;
    }

    id.data = (u_char *) json_string_value(v);
    id.len = json_string_length(v);

    if (id.len > 255 || ngx_http_ims_member_valid_id(&id, 255) != NGX_OK) {
        goto done;
    }

    entry->project.data = ngx_pnalloc(pool, id.len);
    if (entry->project.data == NULL) {
        rc = NGX_ERROR;
        goto done;
    }

    ngx_memcpy(entry->project.data, id.data, id.len);
    entry->project.len = id.len;

    rc = ngx_http_ims_member_json_roles(pool, json_object_get(token, "roles"),
                                        &entry->roles);

    entry->kind = NGX_HTTP_IMS_MEMBER_KEYSTONE_VALID;

done:

    json_decref(root);

    return rc;
}


/* the role names, comma-separated; a name with a comma cannot be told apart */

static ngx_int_t
ngx_http_ims_member_json_roles(ngx_pool_t *pool, json_t *roles,
    ngx_str_t *out)
{
    u_char      *p;
    size_t       len, n;
    json_t      *role, *name;
    const char  *s;
    ngx_uint_t   i;

    ngx_str_null(out);

    if (roles == NULL || json_is_null(roles)) {
        return NGX_OK;
    }

    if (!json_is_array(roles)) {
        return NGX_DECLINED;
    }

    len = 0;

    for (i = 0; i < json_array_size(roles); i++) {
        role = json_array_get(roles, i);
        name = json_object_get(role, "name");

        if (!json_is_string(name)) {
            return NGX_DECLINED;
        }

        len += json_string_length(name) + 1;
    }

    if (len == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    for (i = 0; i < json_array_size(roles); i++) {
        name = json_object_get(json_array_get(roles, i), "name");
        s = json_string_value(name);
        n = json_string_length(name);

        if (n == 0 || ngx_strlchr((u_char *) s, (u_char *) s + n, ',')
            || ngx_strlchr((u_char *) s, (u_char *) s + n, '\0'))
        {
            continue;
        }

        if (p != out->data) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, s, n);
    }

    out->len = p - out->data;

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
