
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <jansson.h>

#include "ngx_http_ims_member_json.h"


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
 * A member of the object that must be an object, as a document of its
 * own (valid while "doc" is).  NGX_OK: *child; NGX_DECLINED: absent or
 * null; NGX_ABORT: something else; NGX_ERROR: no memory.
 */

ngx_int_t
ngx_http_ims_member_json_child(ngx_pool_t *pool,
    ngx_http_ims_member_json_t *doc, char *key,
    ngx_http_ims_member_json_t **child)
{
    json_t                      *v;
    ngx_http_ims_member_json_t  *d;

    v = json_object_get(doc->root, key);

    if (v == NULL || json_is_null(v)) {
        return NGX_DECLINED;
    }

    if (!json_is_object(v)) {
        return NGX_ABORT;
    }

    /* no cleanup: the value is the parent's, released with it */

    d = ngx_palloc(pool, sizeof(ngx_http_ims_member_json_t));
    if (d == NULL) {
        return NGX_ERROR;
    }

    d->root = v;
    *child = d;

    return NGX_OK;
}


/*
 * A member that must be an array.  NGX_OK: *n is its length;
 * NGX_DECLINED: absent or null; NGX_ABORT: something else.
 */

ngx_int_t
ngx_http_ims_member_json_array(ngx_http_ims_member_json_t *doc, char *key,
    ngx_uint_t *n)
{
    json_t  *v;

    v = json_object_get(doc->root, key);

    if (v == NULL || json_is_null(v)) {
        return NGX_DECLINED;
    }

    if (!json_is_array(v)) {
        return NGX_ABORT;
    }

    *n = json_array_size(v);

    return NGX_OK;
}


/*
 * The string member "field" of the i-th element of an array member, an
 * object: [{"field": "..."}, ...].  NGX_OK: *value points to it (valid
 * while the document is); NGX_DECLINED: no such string.
 */

ngx_int_t
ngx_http_ims_member_json_element_string(ngx_http_ims_member_json_t *doc,
    char *key, ngx_uint_t i, char *field, ngx_str_t *value)
{
    json_t  *v;

    v = json_object_get(json_array_get(json_object_get(doc->root, key), i),
                        field);

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


static void
ngx_http_ims_member_json_cleanup(void *data)
{
    ngx_http_ims_member_json_t  *d = data;

    if (d->root) {
        json_decref(d->root);
    }
}
