
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_cause.h"
#include "ngx_http_ims_member_results.h"


/*
 * The first column of the member statements, a result name, as a cause of
 * the cause table; and the codes the jobs record for the same results.
 */

#define ngx_http_ims_member_map(result, err)                                 \
    { ngx_string(result), err }

typedef struct {
    ngx_str_t                   result;
    ngx_uint_t                  err;
} ngx_http_ims_member_map_t;


static u_char *ngx_http_ims_member_job_pair(u_char *p, size_t *len,
    ngx_str_t *key, ngx_str_t *value, ngx_uint_t first);
static u_char *ngx_http_ims_member_job_put(u_char *p, size_t *len,
    ngx_str_t *s);


/*
 * The results of the statements (sql/ims.sql, sql/members.sql), per call:
 * an update (ims_member_update_failure()), a list, a show, a create
 * (ims_member_share()) and a delete (ims_member_unshare()); jobs take the
 * update's, the create's and the delete's
 */

static ngx_http_ims_member_map_t  ngx_http_ims_member_update_map[] = {
    ngx_http_ims_member_map("ok", NGX_HTTP_IMS_MEMBER_OK),
    ngx_http_ims_member_map("image_not_found", NGX_HTTP_IMS_MEMBER_ERR_IMAGE),
    ngx_http_ims_member_map("private", NGX_HTTP_IMS_MEMBER_ERR_NOT_SHARED),
    ngx_http_ims_member_map("public", NGX_HTTP_IMS_MEMBER_ERR_UPDATE_PUBLIC),
    ngx_http_ims_member_map("community",
                            NGX_HTTP_IMS_MEMBER_ERR_UPDATE_COMMUNITY),
    ngx_http_ims_member_map("owner", NGX_HTTP_IMS_MEMBER_ERR_OWNER),
    ngx_http_ims_member_map("owner_no_member", NGX_HTTP_IMS_MEMBER_ERR_OWNER),
    ngx_http_ims_member_map("member_not_found",
                            NGX_HTTP_IMS_MEMBER_ERR_MEMBER),
    ngx_http_ims_member_map("bad_status",
                            NGX_HTTP_IMS_MEMBER_ERR_STATUS_VALUE),
    ngx_http_ims_member_map("vault_required",
                            NGX_HTTP_IMS_MEMBER_ERR_VAULT_REQUIRED),
    { ngx_null_string, 0 }
};

static ngx_http_ims_member_map_t  ngx_http_ims_member_list_map[] = {
    ngx_http_ims_member_map("ok", NGX_HTTP_IMS_MEMBER_OK),
    ngx_http_ims_member_map("image_not_found", NGX_HTTP_IMS_MEMBER_ERR_IMAGE),
    ngx_http_ims_member_map("private", NGX_HTTP_IMS_MEMBER_ERR_LIST_SHARED),
    ngx_http_ims_member_map("public", NGX_HTTP_IMS_MEMBER_ERR_LIST_PUBLIC),
    ngx_http_ims_member_map("community",
                            NGX_HTTP_IMS_MEMBER_ERR_LIST_COMMUNITY),
    ngx_http_ims_member_map("hidden", NGX_HTTP_IMS_MEMBER_ERR_POLICY_IMAGE),
    { ngx_null_string, 0 }
};

static ngx_http_ims_member_map_t  ngx_http_ims_member_show_map[] = {
    ngx_http_ims_member_map("ok", NGX_HTTP_IMS_MEMBER_OK),
    ngx_http_ims_member_map("image_not_found", NGX_HTTP_IMS_MEMBER_ERR_IMAGE),
    ngx_http_ims_member_map("private", NGX_HTTP_IMS_MEMBER_ERR_SHOW_SHARED),
    ngx_http_ims_member_map("public", NGX_HTTP_IMS_MEMBER_ERR_SHOW_PUBLIC),
    ngx_http_ims_member_map("community",
                            NGX_HTTP_IMS_MEMBER_ERR_SHOW_COMMUNITY),
    ngx_http_ims_member_map("hidden", NGX_HTTP_IMS_MEMBER_ERR_POLICY_IMAGE),
    { ngx_null_string, 0 }
};

static ngx_http_ims_member_map_t  ngx_http_ims_member_create_map[] = {
    ngx_http_ims_member_map("ok", NGX_HTTP_IMS_MEMBER_OK),
    ngx_http_ims_member_map("image_not_found", NGX_HTTP_IMS_MEMBER_ERR_IMAGE),
    ngx_http_ims_member_map("private",
                            NGX_HTTP_IMS_MEMBER_ERR_CREATE_SHARED),
    ngx_http_ims_member_map("public", NGX_HTTP_IMS_MEMBER_ERR_CREATE_PUBLIC),
    ngx_http_ims_member_map("community",
                            NGX_HTTP_IMS_MEMBER_ERR_CREATE_COMMUNITY),
    ngx_http_ims_member_map("forbidden",
                            NGX_HTTP_IMS_MEMBER_ERR_CREATE_OWNER),
    ngx_http_ims_member_map("own_project",
                            NGX_HTTP_IMS_MEMBER_ERR_OWN_PROJECT),
    ngx_http_ims_member_map("whole_image",
                            NGX_HTTP_IMS_MEMBER_ERR_WHOLE_IMAGE),
    ngx_http_ims_member_map("quota", NGX_HTTP_IMS_MEMBER_ERR_QUOTA),
    ngx_http_ims_member_map("duplicate", NGX_HTTP_IMS_MEMBER_ERR_DUPLICATE),
    ngx_http_ims_member_map("hidden", NGX_HTTP_IMS_MEMBER_ERR_POLICY_IMAGE),
    ngx_http_ims_member_map("add_refused", NGX_HTTP_IMS_MEMBER_ERR_POLICY_ADD),
    { ngx_null_string, 0 }
};

static ngx_http_ims_member_map_t  ngx_http_ims_member_delete_map[] = {
    ngx_http_ims_member_map("ok", NGX_HTTP_IMS_MEMBER_OK),
    ngx_http_ims_member_map("image_not_found", NGX_HTTP_IMS_MEMBER_ERR_IMAGE),
    ngx_http_ims_member_map("private",
                            NGX_HTTP_IMS_MEMBER_ERR_DELETE_SHARED),
    ngx_http_ims_member_map("public", NGX_HTTP_IMS_MEMBER_ERR_DELETE_PUBLIC),
    ngx_http_ims_member_map("community",
                            NGX_HTTP_IMS_MEMBER_ERR_DELETE_COMMUNITY),
    ngx_http_ims_member_map("forbidden",
                            NGX_HTTP_IMS_MEMBER_ERR_DELETE_OWNER),
    ngx_http_ims_member_map("member_not_found",
                            NGX_HTTP_IMS_MEMBER_ERR_NO_MEMBER),
    ngx_http_ims_member_map("hidden", NGX_HTTP_IMS_MEMBER_ERR_POLICY_IMAGE),
    ngx_http_ims_member_map("delete_refused",
                            NGX_HTTP_IMS_MEMBER_ERR_POLICY_DELETE),
    { ngx_null_string, 0 }
};

static ngx_str_t  ngx_http_ims_member_internal = ngx_string("internal");
static ngx_str_t  ngx_http_ims_member_failed = ngx_string("failed");
static ngx_str_t  ngx_http_ims_member_end = ngx_string("}");

/* indexed by NGX_HTTP_IMS_MEMBER_CALL_* */

static ngx_http_ims_member_map_t  *ngx_http_ims_member_maps[] = {
    ngx_http_ims_member_update_map,
    ngx_http_ims_member_list_map,
    ngx_http_ims_member_show_map,
    ngx_http_ims_member_create_map,
    ngx_http_ims_member_delete_map
};


/* a statement's result as a cause; NGX_HTTP_IMS_MEMBER_ERR_LAST: unknown */

ngx_uint_t
ngx_http_ims_member_cause_of(ngx_uint_t call, ngx_str_t *result)
{
    ngx_http_ims_member_map_t  *m;

    for (m = ngx_http_ims_member_maps[call]; m->result.len; m++) {
        if (m->result.len == result->len
            && ngx_strncmp(m->result.data, result->data, result->len) == 0)
        {
            return m->err;
        }
    }

    return NGX_HTTP_IMS_MEMBER_ERR_LAST;
}


/*
 * The codes jobs record (ims_job_step()), read from the cause table so
 * that SQL holds none: {"add": {"result": "code", ...}, "delete": {...},
 * "update": {...}, "internal": "code", "failed": "code"}; the add job's
 * results are the create's, the delete job's the delete's.  Results and
 * codes are ASCII without quotes: nothing to escape.  The first pass
 * counts, the second writes.
 */

ngx_int_t
ngx_http_ims_member_job_codes(ngx_pool_t *pool, ngx_str_t *json)
{
    u_char                     *p;
    size_t                      len;
    ngx_str_t                  *code;
    ngx_uint_t                  i, pass, first;
    ngx_http_ims_member_map_t  *m;

    static ngx_uint_t  calls[] = {
        NGX_HTTP_IMS_MEMBER_CALL_CREATE,
        NGX_HTTP_IMS_MEMBER_CALL_DELETE,
        NGX_HTTP_IMS_MEMBER_CALL_UPDATE
    };

    static ngx_str_t  names[] = {
        ngx_string("{\"add\": {"),
        ngx_string("}, \"delete\": {"),
        ngx_string("}, \"update\": {")
    };

    len = 0;
    p = NULL;

    for (pass = 0; pass < 2; pass++) {

        for (i = 0; i < 3; i++) {
            p = ngx_http_ims_member_job_put(p, &len, &names[i]);
            first = 1;

            for (m = ngx_http_ims_member_maps[calls[i]]; m->result.len; m++) {
                if (m->err == NGX_HTTP_IMS_MEMBER_OK) {
                    continue;
                }

                code = &ngx_http_ims_member_cause(m->err)->code->code;

                p = ngx_http_ims_member_job_pair(p, &len, &m->result, code,
                                                 first);
                first = 0;
            }
        }

        code = &ngx_http_ims_member_cause(NGX_HTTP_IMS_MEMBER_ERR_INTERNAL)
                   ->code->code;
        p = ngx_http_ims_member_job_pair(p, &len, &ngx_http_ims_member_internal,
                                         code, 2);

        code = &ngx_http_ims_member_cause(NGX_HTTP_IMS_MEMBER_ERR_JOB_FAILED)
                   ->code->code;
        p = ngx_http_ims_member_job_pair(p, &len, &ngx_http_ims_member_failed,
                                         code, 0);

        p = ngx_http_ims_member_job_put(p, &len, &ngx_http_ims_member_end);

        if (pass == 0) {
            p = ngx_pnalloc(pool, len);
            if (p == NULL) {
                return NGX_ERROR;
            }

            json->data = p;
        }
    }

    json->len = p - json->data;

    return NGX_OK;
}


/* "key": "value" after ", " (first 0), "" (1) or "}, " (2, a map's end) */

static u_char *
ngx_http_ims_member_job_pair(u_char *p, size_t *len, ngx_str_t *key,
    ngx_str_t *value, ngx_uint_t first)
{
    static ngx_str_t  sep[] = {
        ngx_string(", \""),
        ngx_string("\""),
        ngx_string("}, \"")
    };

    static ngx_str_t  colon = ngx_string("\": \"");
    static ngx_str_t  quote = ngx_string("\"");

    p = ngx_http_ims_member_job_put(p, len, &sep[first]);
    p = ngx_http_ims_member_job_put(p, len, key);
    p = ngx_http_ims_member_job_put(p, len, &colon);
    p = ngx_http_ims_member_job_put(p, len, value);

    return ngx_http_ims_member_job_put(p, len, &quote);
}


/* counts (p is NULL) or writes */

static u_char *
ngx_http_ims_member_job_put(u_char *p, size_t *len, ngx_str_t *s)
{
    if (p == NULL) {
        *len += s->len;
        return NULL;
    }

    return ngx_cpymem(p, s->data, s->len);
}
