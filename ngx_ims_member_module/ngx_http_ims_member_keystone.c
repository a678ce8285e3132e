
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_answer.h"
#include "ngx_http_ims_member_digest.h"
#include "ngx_http_ims_member_glance.h"
#include "ngx_http_ims_member_keystone.h"
#include "ngx_http_ims_member_keystone_cache.h"
#include "ngx_http_ims_member_keystone_token.h"
#include "ngx_http_ims_member_roles.h"


/*
 * A Keystone token, validated by Keystone itself: a subrequest to the
 * internal location of ims_member_keystone, which proxies to
 * /v3/auth/tokens, with the token as both X-Auth-Token and X-Subject-Token
 * (a token may validate itself).  nginx's upstream does the HTTP; this
 * file's own header and body filters take the subrequest's answer, up to
 * the location's subrequest_output_buffer_size, before any other filter
 * sees it, so nothing of it reaches the client.  What Keystone says is
 * remembered in the shared cache under a SHA-256 of the token and of the
 * Keystone asked (ngx_http_ims_member_keystone_cache_key()).
 */

typedef struct {
    ngx_http_ims_member_identity_t        *identity;
    ngx_int_t                              rc;
    ngx_uint_t                             status;
    ngx_buf_t                             *body;
    u_char                                 key[NGX_HTTP_IMS_MEMBER_SHA256_LEN];
    unsigned                               done:1;
    unsigned                               header:1;
    unsigned                               complete:1;
    unsigned                               too_big:1;
} ngx_http_ims_member_keystone_ctx_t;


static ngx_int_t ngx_http_ims_member_keystone_validate(
    ngx_http_request_t *r, ngx_http_ims_member_keystone_ctx_t *ks,
    ngx_str_t *token);
static ngx_int_t ngx_http_ims_member_keystone_header(ngx_pool_t *pool,
    ngx_table_elt_t *h, ngx_str_t *key, ngx_str_t *value);
static ngx_http_ims_member_keystone_ctx_t *
    ngx_http_ims_member_keystone_capture(ngx_http_request_t *r);
static ngx_int_t ngx_http_ims_member_keystone_header_filter(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_ims_member_keystone_body_filter(
    ngx_http_request_t *r, ngx_chain_t *in);
static ngx_int_t ngx_http_ims_member_keystone_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static void ngx_http_ims_member_keystone_resume(ngx_http_request_t *r);
static ngx_uint_t ngx_http_ims_member_keystone_answer(ngx_http_request_t *r,
    ngx_http_ims_member_keystone_ctx_t *ks,
    ngx_http_ims_member_keystone_entry_t *entry);
static ngx_uint_t ngx_http_ims_member_keystone_apply(ngx_http_request_t *r,
    ngx_http_ims_member_identity_t *identity,
    ngx_http_ims_member_keystone_entry_t *entry);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


/* the token twice, then what the module reads */

#define NGX_HTTP_IMS_MEMBER_KEYSTONE_HEADERS  3

static ngx_str_t  ngx_http_ims_member_keystone_names[] = {
    ngx_string("X-Auth-Token"),
    ngx_string("X-Subject-Token"),
    ngx_string("Accept"),
};

static ngx_str_t  ngx_http_ims_member_keystone_json =
    ngx_string("application/json");


/*
 * NGX_OK: *err says who calls (NGX_HTTP_IMS_MEMBER_OK, identity filled)
 * or why nobody; NGX_AGAIN: Keystone is asked, identity->identified is
 * called with its verdict.
 */

ngx_int_t
ngx_http_ims_member_keystone_identify(ngx_http_request_t *r,
    ngx_str_t *token, ngx_http_ims_member_identity_t *identity,
    ngx_uint_t *err)
{
    ngx_int_t                              rc;
    ngx_http_core_srv_conf_t              *cscf;
    ngx_http_ims_member_loc_conf_t        *imlcf;
    ngx_http_ims_member_main_conf_t       *imcf;
    ngx_http_ims_member_keystone_ctx_t    *ks;
    ngx_http_ims_member_keystone_entry_t   entry;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_ims_member_module);
    imlcf = ngx_http_get_module_loc_conf(r, ngx_http_ims_member_module);

    ks = ngx_pcalloc(r->pool, sizeof(ngx_http_ims_member_keystone_ctx_t));
    if (ks == NULL) {
        *err = NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
        return NGX_OK;
    }

    ks->identity = identity;

    if (imcf->keystone_cache) {

        /*
         * The subrequest finds its location in this request's server:
         * the same URI may reach another Keystone in another server.
         */

        cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);

        if (ngx_http_ims_member_keystone_cache_key(imcf->keystone_cache, cscf,
                                                   &imlcf->keystone,
                                                   &imlcf->keystone_args,
                                                   token, ks->key)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "ims_member: SHA-256 failed in OpenSSL");
            *err = NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
            return NGX_OK;
        }

        rc = ngx_http_ims_member_keystone_cache_get(imcf->keystone_cache,
                                                    ks->key, &entry, r->pool);

        if (rc == NGX_OK) {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "ims_member: keystone cache hit");

            ngx_http_ims_member_metrics_add(imcf->metrics,
                                          NGX_HTTP_IMS_MEMBER_M_KEYSTONE_HITS,
                                          1);

            *err = ngx_http_ims_member_keystone_apply(r, identity, &entry);
            return NGX_OK;
        }

        if (rc == NGX_ERROR) {
            *err = NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
            return NGX_OK;
        }

        ngx_http_ims_member_metrics_add(imcf->metrics,
                                        NGX_HTTP_IMS_MEMBER_M_KEYSTONE_MISSES,
                                        1);
    }

    if (ngx_http_ims_member_keystone_validate(r, ks, token) != NGX_OK) {
        *err = NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
        return NGX_OK;
    }

    identity->keystone = ks;

    return NGX_AGAIN;
}


static ngx_int_t
ngx_http_ims_member_keystone_validate(ngx_http_request_t *r,
    ngx_http_ims_member_keystone_ctx_t *ks, ngx_str_t *token)
{
    ngx_str_t                       *value;
    ngx_uint_t                       i;
    ngx_list_t                      *list;
    ngx_table_elt_t                 *h;
    ngx_http_request_t              *sr;
    ngx_http_post_subrequest_t      *ps;
    ngx_http_ims_member_loc_conf_t  *imlcf;

    imlcf = ngx_http_get_module_loc_conf(r, ngx_http_ims_member_module);

    /* all that can fail, before the subrequest exists */

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_ims_member_keystone_done;
    ps->data = ks;

    h = ngx_palloc(r->pool, NGX_HTTP_IMS_MEMBER_KEYSTONE_HEADERS
                            * sizeof(ngx_table_elt_t));
    if (h == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < NGX_HTTP_IMS_MEMBER_KEYSTONE_HEADERS; i++) {
        value = (i < 2) ? token : &ngx_http_ims_member_keystone_json;

        if (ngx_http_ims_member_keystone_header(r->pool, &h[i],
                                        &ngx_http_ims_member_keystone_names[i],
                                        value)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (ngx_http_subrequest(r, &imlcf->keystone, &imlcf->keystone_args, &sr,
                            ps, NGX_HTTP_SUBREQUEST_WAITED)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /*
     * Keystone gets a GET with the token and nothing of the client's
     * request: neither its other headers nor its body, nor the discarding
     * of a body the client is still sending, which is the parent's.
     */

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    sr->headers_in.content_length_n = -1;
    sr->headers_in.keep_alive_n = -1;
    sr->request_body = NULL;
    sr->discard_body = 0;

    /* a list of the headers made above, as ngx_list_init() would */

    list = &sr->headers_in.headers;
    list->part.elts = h;
    list->part.nelts = NGX_HTTP_IMS_MEMBER_KEYSTONE_HEADERS;
    list->part.next = NULL;
    list->last = &list->part;
    list->size = sizeof(ngx_table_elt_t);
    list->nalloc = NGX_HTTP_IMS_MEMBER_KEYSTONE_HEADERS;
    list->pool = r->pool;

    /* the parent goes on when the subrequest is done */

    r->write_event_handler = ngx_http_ims_member_keystone_resume;

    return NGX_OK;
}


static ngx_int_t
ngx_http_ims_member_keystone_header(ngx_pool_t *pool, ngx_table_elt_t *h,
    ngx_str_t *key, ngx_str_t *value)
{
    h->lowcase_key = ngx_pnalloc(pool, key->len);
    if (h->lowcase_key == NULL) {
        return NGX_ERROR;
    }

    h->key = *key;
    h->value = *value;
    h->hash = ngx_hash_strlow(h->lowcase_key, key->data, key->len);

#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return NGX_OK;
}


ngx_int_t
ngx_http_ims_member_keystone_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_ims_member_keystone_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_ims_member_keystone_body_filter;

    return NGX_OK;
}


/*
 * The validation a request is the subrequest of, or NULL.  Known by its
 * post handler, not by a module context: an internal redirect in the
 * subrequest (X-Accel-Redirect, error_page) clears those.
 */

static ngx_http_ims_member_keystone_ctx_t *
ngx_http_ims_member_keystone_capture(ngx_http_request_t *r)
{
    if (r == r->main
        || r->post_subrequest == NULL
        || r->post_subrequest->handler != ngx_http_ims_member_keystone_done)
    {
        return NULL;
    }

    return r->post_subrequest->data;
}


static ngx_int_t
ngx_http_ims_member_keystone_header_filter(ngx_http_request_t *r)
{
    ngx_http_ims_member_keystone_ctx_t  *ks;

    ks = ngx_http_ims_member_keystone_capture(r);

    if (ks == NULL) {
        return ngx_http_next_header_filter(r);
    }

    ks->status = r->headers_out.status;
    ks->header = 1;

    /* as nginx's last header filter would */

    r->header_sent = 1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_ims_member_keystone_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in)
{
    off_t                                size;
    size_t                               len;
    ngx_buf_t                           *b;
    ngx_chain_t                         *cl;
    ngx_http_core_loc_conf_t            *clcf;
    ngx_http_ims_member_keystone_ctx_t  *ks;

    ks = ngx_http_ims_member_keystone_capture(r);

    if (ks == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    if (ks->body == NULL) {
        clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

        size = clcf->subrequest_output_buffer_size;

        if (r->headers_out.content_length_n > size) {
            ks->too_big = 1;

        } else if (r->headers_out.content_length_n >= 0) {
            size = r->headers_out.content_length_n;
        }

        ks->body = ngx_create_temp_buf(r->pool, size ? size : 1);
        if (ks->body == NULL) {
            return NGX_ERROR;
        }
    }

    /* everything is taken, so that the upstream reuses its buffers */

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_in_memory(b)) {
            len = b->last - b->pos;

            if (len > (size_t) (ks->body->end - ks->body->last)) {
                ks->too_big = 1;
            }

            if (!ks->too_big && len) {
                ks->body->last = ngx_cpymem(ks->body->last, b->pos, len);
            }

            b->pos = b->last;

        } else if (!ngx_buf_special(b)) {
            ks->too_big = 1;
        }

        if (b->in_file) {
            b->file_pos = b->file_last;
        }

        /* the end of the answer: not there when the upstream broke off */

        if (b->last_buf || b->last_in_chain) {
            ks->complete = 1;
        }
    }

    return NGX_OK;
}


/*
 * The subrequest's end, in its own context.  Nothing of it reaches the
 * client, so unless the client is gone nginx is told all went well, also
 * when Keystone failed: no error page is made and an error does not end
 * the parent, which answers 503.
 */

static ngx_int_t
ngx_http_ims_member_keystone_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_http_ims_member_keystone_ctx_t  *ks = data;

    if (!ks->done) {
        ks->done = 1;
        ks->rc = rc;

        /*
         * Only an answer that went through the header filter is
         * Keystone's; a status nginx ends the subrequest with (502, 504,
         * or 404 for a missing location) is nginx's own.
         */

        if (!ks->header) {
            ks->status = (rc >= NGX_HTTP_SPECIAL_RESPONSE)
                         ? (ngx_uint_t) rc : 0;
        }
    }

    if (sr->connection->error) {
        return rc;
    }

    return NGX_OK;
}


static void
ngx_http_ims_member_keystone_resume(ngx_http_request_t *r)
{
    ngx_uint_t                             err, verdict;
    ngx_http_ims_member_ctx_t             *ctx;
    ngx_http_ims_member_main_conf_t       *imcf;
    ngx_http_ims_member_keystone_ctx_t    *ks;
    ngx_http_ims_member_keystone_entry_t   entry;

    ctx = ngx_http_get_module_ctx(r, ngx_http_ims_member_module);

    if (ctx == NULL || ctx->identity.keystone == NULL) {
        return;
    }

    ks = ctx->identity.keystone;

    if (!ks->done) {
        return;
    }

    ctx->identity.keystone = NULL;
    r->write_event_handler = ngx_http_request_empty_handler;

    err = ngx_http_ims_member_keystone_answer(r, ks, &entry);

    imcf = ngx_http_get_module_main_conf(r, ngx_http_ims_member_module);

    if (err != NGX_HTTP_IMS_MEMBER_OK) {
        verdict = NGX_HTTP_IMS_MEMBER_M_KEYSTONE_ERRORS;

    } else if (entry.kind == NGX_HTTP_IMS_MEMBER_KEYSTONE_INVALID) {
        verdict = NGX_HTTP_IMS_MEMBER_M_KEYSTONE_INVALID;

    } else {
        verdict = NGX_HTTP_IMS_MEMBER_M_KEYSTONE_VALID;
    }

    ngx_http_ims_member_metrics_add(imcf->metrics, verdict, 1);

    if (err == NGX_HTTP_IMS_MEMBER_OK) {
        err = ngx_http_ims_member_keystone_apply(r, ks->identity, &entry);
    }

    ctx->identity.identified(r, err);
}


/*
 * Keystone's verdict: 200 with a token, 401 or 404 for a token it does
 * not take (missing, expired, revoked); anything else, or no answer, means
 * it cannot tell, and the caller is told to retry: 503, never 401.
 */

static ngx_uint_t
ngx_http_ims_member_keystone_answer(ngx_http_request_t *r,
    ngx_http_ims_member_keystone_ctx_t *ks,
    ngx_http_ims_member_keystone_entry_t *entry)
{
    u_char                           *data;
    size_t                            len;
    time_t                            now, valid;
    ngx_int_t                         rc;
    ngx_http_ims_member_loc_conf_t   *imlcf;
    ngx_http_ims_member_main_conf_t  *imcf;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_ims_member_module);
    imlcf = ngx_http_get_module_loc_conf(r, ngx_http_ims_member_module);

    now = ngx_time();

    if (!ks->header) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "ims_member: Keystone is unreachable or failing: "
                      "the token validation through \"%V\" ended with "
                      "%ui before any answer; answering 503",
                      &imlcf->keystone, ks->status);
        return NGX_HTTP_IMS_MEMBER_ERR_IDENTITY;
    }

    if (ks->rc == NGX_ERROR || !ks->complete) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "ims_member: Keystone's answer (%ui) through \"%V\" "
                      "broke off before its end; answering 503",
                      ks->status, &imlcf->keystone);
        return NGX_HTTP_IMS_MEMBER_ERR_IDENTITY;
    }

    if (ks->too_big
        && ks->status != NGX_HTTP_UNAUTHORIZED
        && ks->status != NGX_HTTP_NOT_FOUND)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "ims_member: Keystone's answer (%ui) through \"%V\" "
                      "is larger than that location's "
                      "subrequest_output_buffer_size; answering 503",
                      ks->status, &imlcf->keystone);
        return NGX_HTTP_IMS_MEMBER_ERR_IDENTITY;
    }

    switch (ks->status) {

    case NGX_HTTP_OK:

        data = NULL;
        len = 0;

        if (ks->body) {
            data = ks->body->pos;
            len = ks->body->last - ks->body->pos;
        }

        rc = ngx_http_ims_member_keystone_token(r->pool, data, len, entry);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
        }

        if (rc != NGX_OK) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "ims_member: the answer of \"%V\" to a token "
                          "validation is not a Keystone v3 token; does the "
                          "location proxy to Keystone's /v3/auth/tokens?",
                          &imlcf->keystone);
            return NGX_HTTP_IMS_MEMBER_ERR_IDENTITY;
        }

        if (entry->expire <= now) {
            entry->kind = NGX_HTTP_IMS_MEMBER_KEYSTONE_INVALID;
            entry->expire = now + imcf->keystone_invalid;
            ngx_str_null(&entry->project);
            ngx_str_null(&entry->roles);
            ngx_str_null(&entry->user);
            break;
        }

        if (entry->kind == NGX_HTTP_IMS_MEMBER_KEYSTONE_UNSCOPED) {
            entry->expire = ngx_min(entry->expire,
                                    now + imcf->keystone_invalid);
            break;
        }

        valid = now + imcf->keystone_valid;
        entry->expire = ngx_min(entry->expire, valid);

        break;

    case NGX_HTTP_UNAUTHORIZED:
    case NGX_HTTP_NOT_FOUND:

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "ims_member: Keystone refused the token (%ui)",
                      ks->status);

        entry->kind = NGX_HTTP_IMS_MEMBER_KEYSTONE_INVALID;
        entry->expire = now + imcf->keystone_invalid;
        ngx_str_null(&entry->project);
        ngx_str_null(&entry->roles);
        ngx_str_null(&entry->user);
        break;

    default:

        if (ks->status >= NGX_HTTP_INTERNAL_SERVER_ERROR) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "ims_member: Keystone is unreachable or failing: "
                          "the token validation through \"%V\" ended with "
                          "%ui; answering 503",
                          &imlcf->keystone, ks->status);

        } else {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "ims_member: Keystone answered the token "
                          "validation through \"%V\" with %ui, neither a "
                          "token nor a refusal; answering 503",
                          &imlcf->keystone, ks->status);
        }

        return NGX_HTTP_IMS_MEMBER_ERR_IDENTITY;
    }

    if (imcf->keystone_cache) {
        ngx_http_ims_member_keystone_cache_put(imcf->keystone_cache, ks->key,
                                               entry, r->connection->log,
                                               imcf->metrics);
    }

    return NGX_HTTP_IMS_MEMBER_OK;
}


static ngx_uint_t
ngx_http_ims_member_keystone_apply(ngx_http_request_t *r,
    ngx_http_ims_member_identity_t *identity,
    ngx_http_ims_member_keystone_entry_t *entry)
{
    switch (entry->kind) {

    case NGX_HTTP_IMS_MEMBER_KEYSTONE_VALID:
        identity->project = entry->project;
        identity->user = entry->user;
        identity->admin = ngx_http_ims_member_is_admin(r, &entry->roles);
        identity->roles = ngx_http_ims_member_roles_mask(&entry->roles);
        return NGX_HTTP_IMS_MEMBER_OK;

    case NGX_HTTP_IMS_MEMBER_KEYSTONE_UNSCOPED:

        /*
         * Glance takes such a token as a caller without a project, and an
         * administrator by its roles; the module's own endpoints want one
         */

        if (!ngx_http_ims_member_glance_errors(r)) {
            return NGX_HTTP_IMS_MEMBER_ERR_UNSCOPED;
        }

        ngx_str_set(&identity->project, "");
        identity->user = entry->user;
        identity->admin = ngx_http_ims_member_is_admin(r, &entry->roles);
        identity->roles = ngx_http_ims_member_roles_mask(&entry->roles);
        return NGX_HTTP_IMS_MEMBER_OK;

    default:
        return NGX_HTTP_IMS_MEMBER_ERR_UNAUTHORIZED;
    }
}


/* "off", or the URI of an internal location; a query string is kept */

char *
ngx_http_ims_member_keystone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ims_member_loc_conf_t  *imlcf = conf;

    u_char                           *q;
    ngx_str_t                        *value;
    ngx_http_ims_member_main_conf_t  *imcf;

    if (imlcf->keystone.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        ngx_str_set(&imlcf->keystone, "");
        return NGX_CONF_OK;
    }

    if (value[1].len < 2 || value[1].data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"ims_member_keystone\" takes \"off\" or the "
                           "URI of an internal location that proxies to "
                           "Keystone's /v3/auth/tokens, not \"%V\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    imcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_ims_member_module);
    imcf->keystone = 1;

    imlcf->keystone = value[1];

    q = ngx_strlchr(value[1].data, value[1].data + value[1].len, '?');

    if (q) {
        imlcf->keystone.len = q - value[1].data;
        imlcf->keystone_args.data = q + 1;
        imlcf->keystone_args.len = value[1].data + value[1].len - (q + 1);

    } else {
        /* the service catalog is of no use here and makes answers long */
        ngx_str_set(&imlcf->keystone_args, "nocatalog");
    }

    return NGX_CONF_OK;
}
