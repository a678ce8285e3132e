
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_answer.h"
#include "ngx_http_ims_member_schemas.h"


/*
 * The member schemas as Glance serves them; OpenStack clients load them
 * before they parse a member (python-glanceclient builds its model from
 * them), so the properties and their constraints are Glance's.
 */

#define NGX_HTTP_IMS_MEMBER_SCHEMA_PROPERTIES                                \
    "\"properties\": {"                                                      \
    "\"member_id\": {\"type\": \"string\", \"description\": "                \
        "\"An identifier for the image member (tenantId)\"}, "               \
    "\"image_id\": {\"type\": \"string\", \"description\": "                 \
        "\"An identifier for the image\", \"pattern\": "                     \
        "\"^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}"              \
        "-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$\"}, "                          \
    "\"created_at\": {\"type\": \"string\", \"description\": "               \
        "\"Date and time of image member creation\"}, "                      \
    "\"updated_at\": {\"type\": \"string\", \"description\": "               \
        "\"Date and time of last modification of image member\"}, "          \
    "\"status\": {\"type\": \"string\", \"description\": "                   \
        "\"The status of this image member\", \"enum\": "                    \
        "[\"pending\", \"accepted\", \"rejected\"]}, "                       \
    "\"schema\": {\"readOnly\": true, \"type\": \"string\"}}"

#define NGX_HTTP_IMS_MEMBER_SCHEMA                                           \
    "{\"name\": \"member\", " NGX_HTTP_IMS_MEMBER_SCHEMA_PROPERTIES "}"


static ngx_str_t  ngx_http_ims_member_schema_member =
    ngx_string(NGX_HTTP_IMS_MEMBER_SCHEMA);

static ngx_str_t  ngx_http_ims_member_schema_members =
    ngx_string("{\"name\": \"members\", \"properties\": {"
               "\"members\": {\"type\": \"array\", \"items\": "
               NGX_HTTP_IMS_MEMBER_SCHEMA "}, "
               "\"schema\": {\"type\": \"string\"}}, "
               "\"links\": [{\"rel\": \"describedby\", "
               "\"href\": \"{schema}\"}]}");

static ngx_str_t  ngx_http_ims_member_get_head = ngx_string("GET, HEAD");


ngx_int_t
ngx_http_ims_member_schemas_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_str_t                  *schema;
    ngx_http_ims_member_ctx_t  *ctx;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_ims_member_not_allowed(r,
                                               &ngx_http_ims_member_get_head);
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    /* no statement: the context only carries the request id */

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_ims_member_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_ims_member_module);

    if (ngx_http_ims_member_answer_init(r, &ctx->request_id) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->uri.len == sizeof("/v2/schemas/member") - 1
        && ngx_strncmp(r->uri.data, "/v2/schemas/member", r->uri.len) == 0)
    {
        schema = &ngx_http_ims_member_schema_member;

    } else if (r->uri.len == sizeof("/v2/schemas/members") - 1
               && ngx_strncmp(r->uri.data, "/v2/schemas/members",
                              r->uri.len)
                  == 0)
    {
        schema = &ngx_http_ims_member_schema_members;

    } else {
        return ngx_http_ims_member_send_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_NOT_FOUND);
    }

    return ngx_http_ims_member_send(r, NGX_HTTP_OK, schema);
}
