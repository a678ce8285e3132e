
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "unit.h"
#include "ngx_http_ims_member_keystone_token.h"


#define unit_s(text)  { sizeof(text) - 1, (u_char *) text }


typedef struct {
    ngx_str_t    text;
    ngx_int_t    rc;
    ngx_uint_t   kind;
    char        *project;
    char        *roles;
    char        *user;     /* NULL: none */
} unit_token_t;


#define unit_token(body)                                                     \
    unit_s("{\"token\": {\"expires_at\": \"2026-11-29T22:58:53.000000Z\", " \
           body "}}")


static unit_token_t  unit_tokens[] = {
    { unit_token("\"project\": {\"id\": \"a2df593de13341b9\", "
                 "\"name\": \"member\"}, \"roles\": [{\"id\": \"1\", "
                 "\"name\": \"reader\"}, {\"id\": \"2\", "
                 "\"name\": \"Cloud_Admin\"}]"),
      NGX_OK, NGX_HTTP_IMS_MEMBER_KEYSTONE_VALID, "a2df593de13341b9",
      "reader,cloud_admin", NULL },
    { unit_token("\"project\": {\"id\": \"p\"}"),
      NGX_OK, NGX_HTTP_IMS_MEMBER_KEYSTONE_VALID, "p", "", NULL },
    { unit_token("\"user\": {\"id\": \"0b7a1f5e9c\", \"name\": \"alice\"}, "
                 "\"project\": {\"id\": \"p\"}"),
      NGX_OK, NGX_HTTP_IMS_MEMBER_KEYSTONE_VALID, "p", "", "0b7a1f5e9c" },
    { unit_token("\"user\": {\"id\": \"u\"}, "
                 "\"domain\": {\"id\": \"default\"}"),
      NGX_OK, NGX_HTTP_IMS_MEMBER_KEYSTONE_UNSCOPED, "", "", "u" },

    /* a user id the events could not hold is left out, not refused */
    { unit_token("\"user\": {\"id\": 7}, \"project\": {\"id\": \"p\"}"),
      NGX_OK, NGX_HTTP_IMS_MEMBER_KEYSTONE_VALID, "p", "", NULL },
    { unit_token("\"user\": {\"id\": \"a\\nb\"}, "
                 "\"project\": {\"id\": \"p\"}"),
      NGX_OK, NGX_HTTP_IMS_MEMBER_KEYSTONE_VALID, "p", "", NULL },
    { unit_token("\"user\": \"alice\", \"project\": {\"id\": \"p\"}"),
      NGX_OK, NGX_HTTP_IMS_MEMBER_KEYSTONE_VALID, "p", "", NULL },
    { unit_token("\"project\": {\"id\": \"p\"}, \"roles\": []"),
      NGX_OK, NGX_HTTP_IMS_MEMBER_KEYSTONE_VALID, "p", "", NULL },
    { unit_token("\"project\": {\"id\": \"p\"}, \"roles\": "
                 "[{\"name\": \"a,b\"}, {\"name\": \"\"}, "
                 "{\"name\": \"member\"}]"),
      NGX_OK, NGX_HTTP_IMS_MEMBER_KEYSTONE_VALID, "p", "member", NULL },
    { unit_token("\"system\": {\"all\": true}, \"roles\": "
                 "[{\"name\": \"admin\"}]"),
      NGX_OK, NGX_HTTP_IMS_MEMBER_KEYSTONE_UNSCOPED, "", "admin", NULL },
    { unit_token("\"domain\": {\"id\": \"d\"}, \"roles\": 5"),
      NGX_DECLINED, 0, NULL, NULL, NULL },
    { unit_token("\"domain\": {\"id\": \"default\"}"),
      NGX_OK, NGX_HTTP_IMS_MEMBER_KEYSTONE_UNSCOPED, "", "", NULL },
    { unit_token("\"project\": null"),
      NGX_OK, NGX_HTTP_IMS_MEMBER_KEYSTONE_UNSCOPED, "", "", NULL },
    { unit_token("\"project\": {\"id\": 7}"),
      NGX_DECLINED, 0, NULL, NULL, NULL },
    { unit_token("\"project\": {\"name\": \"p\"}"),
      NGX_DECLINED, 0, NULL, NULL, NULL },
    { unit_token("\"project\": \"p\""), NGX_DECLINED, 0, NULL, NULL, NULL },
    { unit_token("\"project\": {\"id\": \"p\\u0000q\"}"),
      NGX_DECLINED, 0, NULL, NULL, NULL },
    { unit_token("\"project\": {\"id\": \"p\\nq\"}"),
      NGX_DECLINED, 0, NULL, NULL, NULL },
    { unit_token("\"project\": {\"id\": \"\"}"),
      NGX_DECLINED, 0, NULL, NULL, NULL },
    { unit_token("\"project\": {\"id\": \"p\"}, \"roles\": {}"),
      NGX_DECLINED, 0, NULL, NULL, NULL },
    { unit_token("\"project\": {\"id\": \"p\"}, \"roles\": "
                 "[{\"id\": \"1\"}]"),
      NGX_DECLINED, 0, NULL, NULL, NULL },
    { unit_s("{\"token\": {\"project\": {\"id\": \"p\"}}}"),
      NGX_DECLINED, 0, NULL, NULL, NULL },
    { unit_s("{\"token\": {\"expires_at\": \"tomorrow\", "
             "\"project\": {\"id\": \"p\"}}}"),
      NGX_DECLINED, 0, NULL, NULL, NULL },
    { unit_s("{\"error\": {\"code\": 404}}"),
      NGX_DECLINED, 0, NULL, NULL, NULL },
    { unit_s("{\"token\": []}"), NGX_DECLINED, 0, NULL, NULL, NULL },
    { unit_s("<html>"), NGX_DECLINED, 0, NULL, NULL, NULL },
    { unit_s(""), NGX_DECLINED, 0, NULL, NULL, NULL },
    { ngx_null_string, 0, 0, NULL, NULL, NULL }
};


void
test_keystone(void)
{
    ngx_int_t                              rc;
    ngx_pool_t                            *pool;
    unit_token_t                          *t;
    ngx_http_ims_member_keystone_entry_t   e;

    unit_section("keystone: ngx_http_ims_member_keystone_token");

    pool = ngx_stub_pool_create();

    for (t = unit_tokens; t->text.data; t++) {
        ngx_memzero(&e, sizeof(e));

        rc = ngx_http_ims_member_keystone_token(pool, t->text.data,
                                                t->text.len, &e);

        unit_is_int(rc, t->rc, "%s", unit_esc(t->text.data, t->text.len));

        if (rc != NGX_OK || t->rc != NGX_OK) {
            continue;
        }

        unit_is_int(e.kind, t->kind, "  its kind");
        unit_is_mem(e.project.data ? e.project.data : (u_char *) "",
                    e.project.len, (u_char *) t->project, strlen(t->project),
                    "  its project");
        unit_is_mem(e.roles.data ? e.roles.data : (u_char *) "",
                    e.roles.len, (u_char *) t->roles, strlen(t->roles),
                    "  its roles");
        unit_is_int(e.expire, 1795993133, "  its expiry");
        unit_is_mem(e.user.data ? e.user.data : (u_char *) "", e.user.len,
                    (u_char *) (t->user ? t->user : ""),
                    t->user ? strlen(t->user) : 0, "  its user");
    }

    ngx_stub_pool_destroy(pool);

    /* the parsed answers live as long as the pool they were read into */

    unit_is_int(unit_json_blocks, 0,
                "jansson's memory of the tokens is released with the pool");
}
