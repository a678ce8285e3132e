
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <jansson.h>

#include "unit.h"
#include "ngx_http_ims_member_cause.h"
#include "ngx_http_ims_member_results.h"


/*
 * The cause table against IMS's published error table
 * (ims_error_codes.txt: code, status and message of every row of
 * api-ref/source/error_codes.rst of the IMS API reference).
 */

#define UNIT_CODES_MAX  512


typedef struct {
    ngx_str_t    code;
    ngx_str_t    message;
} unit_published_t;


static void test_codes(void);
static void test_causes(void);
static void test_results(void);
static void test_job_codes(void);
static ngx_uint_t unit_read_published(void);
static unit_published_t *unit_published(ngx_str_t *code);


static unit_published_t  unit_table[UNIT_CODES_MAX];
static ngx_uint_t        unit_ntable;
static u_char            unit_buf[65536];


void
test_cause(void)
{
    unit_section("cause: the codes and IMS's published table");

    unit_ntable = unit_read_published();
    unit_ok(unit_ntable > 150, "the published table has %u rows",
            (unsigned) unit_ntable);

    test_codes();
    test_causes();
    test_results();
    test_job_codes();
}


static void
test_codes(void)
{
    ngx_uint_t                   i, j, n;
    unit_published_t            *pub;
    ngx_http_ims_member_code_t  *codes;

    codes = ngx_http_ims_member_codes(&n);

    for (i = 0; i < n; i++) {
        pub = unit_published(&codes[i].code);

        if (codes[i].published) {
            unit_ok(pub != NULL, "%s is in the published table",
                    unit_esc(codes[i].code.data, codes[i].code.len));

            if (pub) {
                unit_is_mem(codes[i].message.data, codes[i].message.len,
                            pub->message.data, pub->message.len,
                            "  with the table's message, verbatim");
            }

        } else {
            unit_ok(pub == NULL
                    && codes[i].code.len == sizeof("IMG.9000") - 1
                    && ngx_strncmp(codes[i].code.data, "IMG.9", 5) == 0,
                    "%s, the module's own, is in a range the table does "
                    "not use", unit_esc(codes[i].code.data,
                                        codes[i].code.len));
        }

        for (j = i + 1; j < n; j++) {
            if (codes[j].code.len == codes[i].code.len
                && ngx_strncmp(codes[j].code.data, codes[i].code.data,
                               codes[i].code.len) == 0)
            {
                unit_ok(0, "%s is in the code table twice",
                        unit_esc(codes[i].code.data, codes[i].code.len));
            }
        }

        unit_ok(ngx_http_ims_member_code(&codes[i].code) == &codes[i],
                "  and is found by its code");
    }
}


static void
test_causes(void)
{
    ngx_uint_t                    err, missing;
    ngx_http_ims_member_cause_t  *c;

    missing = 0;

    for (err = 1; err < NGX_HTTP_IMS_MEMBER_ERR_LAST; err++) {
        c = ngx_http_ims_member_cause(err);

        if (c->err != err) {
            unit_ok(0, "row %u of the cause table is cause %u",
                    (unsigned) err, (unsigned) c->err);
            missing++;
        }

        if (err == NGX_HTTP_IMS_MEMBER_ERR_NOT_ALLOWED) {
            unit_is_int(c->status, NGX_HTTP_NOT_ALLOWED,
                        "405 is nginx's or Glance's own");
            continue;
        }

        if (c->code == NULL || c->code->code.len == 0
            || c->status < NGX_HTTP_BAD_REQUEST
            || c->glance_status < NGX_HTTP_BAD_REQUEST)
        {
            unit_ok(0, "cause %u has no code or no status", (unsigned) err);
            missing++;
        }
    }

    unit_ok(missing == 0, "every cause has its row, a code and two statuses");

    /* the table ends where the causes end: its last row is the last one */

    c = ngx_http_ims_member_cause(NGX_HTTP_IMS_MEMBER_ERR_POLICY_OWNER);
    unit_is_str(&c->code->code, "IMG.0161", "the last cause's code");
    unit_is_str(&c->glance, "You are not authorized to complete"
                " modify_member action.", "  and Glance's words");

    c = ngx_http_ims_member_cause(NGX_HTTP_IMS_MEMBER_ERR_LAST);
    unit_ok(c == ngx_http_ims_member_cause(NGX_HTTP_IMS_MEMBER_ERR_INTERNAL),
            "a cause past the table is the server's failure");

    c = ngx_http_ims_member_cause(NGX_HTTP_IMS_MEMBER_ERR_UNAVAILABLE);
    unit_is_int(c->status, NGX_HTTP_SERVICE_UNAVAILABLE,
                "the database unreachable: 503");
    unit_is_int(c->glance_status, NGX_HTTP_INTERNAL_SERVER_ERROR,
                "  and Glance's 500");

    c = ngx_http_ims_member_cause(NGX_HTTP_IMS_MEMBER_ERR_QUOTA);
    unit_is_str(&c->code->code, "IMG.0088", "the member limit: IMG.0088");
    unit_is_int(c->status, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, "  413");
}


static void
test_results(void)
{
    ngx_str_t  s;

    ngx_str_set(&s, "public");
    unit_is_int(ngx_http_ims_member_cause_of(NGX_HTTP_IMS_MEMBER_CALL_CREATE,
                                             &s),
                NGX_HTTP_IMS_MEMBER_ERR_CREATE_PUBLIC,
                "sharing a public image is IMS's own refusal");
    unit_is_int(ngx_http_ims_member_cause_of(NGX_HTTP_IMS_MEMBER_CALL_UPDATE,
                                             &s),
                NGX_HTTP_IMS_MEMBER_ERR_UPDATE_PUBLIC,
                "  updating a member of one another");

    ngx_str_set(&s, "ok");
    unit_is_int(ngx_http_ims_member_cause_of(NGX_HTTP_IMS_MEMBER_CALL_LIST,
                                             &s),
                NGX_HTTP_IMS_MEMBER_OK, "ok is no cause");

    ngx_str_set(&s, "whole_image");
    unit_is_int(ngx_http_ims_member_cause_of(NGX_HTTP_IMS_MEMBER_CALL_DELETE,
                                             &s),
                NGX_HTTP_IMS_MEMBER_ERR_LAST,
                "a result a call never gives is unknown to it");
}


static void
test_job_codes(void)
{
    json_t       *doc, *v;
    ngx_str_t     json;
    ngx_pool_t   *pool;
    json_error_t  error;

    pool = ngx_stub_pool_create();

    unit_ok(ngx_http_ims_member_job_codes(pool, &json) == NGX_OK,
            "the jobs' codes are written");

    doc = json_loadb((char *) json.data, json.len, 0, &error);
    unit_ok(doc != NULL, "  as JSON: %s", unit_esc(json.data, json.len));

    v = json_object_get(json_object_get(doc, "add"), "quota");
    unit_ok(json_is_string(v)
            && ngx_strcmp(json_string_value(v), "IMG.0088") == 0,
            "  an add's quota: IMG.0088");

    v = json_object_get(json_object_get(doc, "add"), "public");
    unit_ok(json_is_string(v)
            && ngx_strcmp(json_string_value(v), "IMG.0089") == 0,
            "  an add's public image: IMG.0089");

    v = json_object_get(json_object_get(doc, "delete"), "public");
    unit_ok(json_is_string(v)
            && ngx_strcmp(json_string_value(v), "IMG.0083") == 0,
            "  a delete's public image: IMG.0083");

    v = json_object_get(json_object_get(doc, "update"), "vault_required");
    unit_ok(json_is_string(v)
            && ngx_strcmp(json_string_value(v), "IMG.9007") == 0,
            "  an update's vault: IMG.9007");

    unit_ok(json_object_get(json_object_get(doc, "update"), "ok") == NULL,
            "  no code for ok");

    v = json_object_get(doc, "failed");
    unit_ok(json_is_string(v)
            && ngx_strcmp(json_string_value(v), "IMG.9012") == 0,
            "  a job that failed too often: IMG.9012");

    json_decref(doc);
    ngx_stub_pool_destroy(pool);
}


static ngx_uint_t
unit_read_published(void)
{
    u_char      *p, *last, *tab, *eol;
    FILE        *f;
    size_t       n;
    ngx_uint_t   rows;

    f = fopen(UNIT_DIR "/ims_error_codes.txt", "r");
    if (f == NULL) {
        return 0;
    }

    n = fread(unit_buf, 1, sizeof(unit_buf), f);
    fclose(f);

    rows = 0;
    p = unit_buf;
    last = unit_buf + n;

    while (p < last && rows < UNIT_CODES_MAX) {
        eol = ngx_strlchr(p, last, '\n');
        if (eol == NULL) {
            eol = last;
        }

        /* code, status, message */

        tab = ngx_strlchr(p, eol, '\t');
        if (tab == NULL) {
            break;
        }

        unit_table[rows].code.data = p;
        unit_table[rows].code.len = tab - p;

        p = ngx_strlchr(tab + 1, eol, '\t');
        if (p == NULL) {
            break;
        }

        unit_table[rows].message.data = p + 1;
        unit_table[rows].message.len = eol - p - 1;
        rows++;

        p = eol + 1;
    }

    return rows;
}


static unit_published_t *
unit_published(ngx_str_t *code)
{
    ngx_uint_t  i;

    for (i = 0; i < unit_ntable; i++) {
        if (unit_table[i].code.len == code->len
            && ngx_strncmp(unit_table[i].code.data, code->data, code->len)
               == 0)
        {
            return &unit_table[i];
        }
    }

    return NULL;
}
