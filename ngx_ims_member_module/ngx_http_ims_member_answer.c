
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_answer.h"
#include "ngx_http_ims_member_glance.h"
#include "ngx_http_ims_member_json.h"
#include "ngx_http_ims_member_util.h"


#define ngx_http_ims_member_error(status, code, message)                     \
    { status, ngx_string(code), ngx_string(message) }

#define NGX_HTTP_IMS_MEMBER_MSG_BODY                                          \
    "The request body must be a JSON object."

#define NGX_HTTP_IMS_MEMBER_MSG_STATUS                                        \
    "Field \"status\" is required and must be one of"                         \
    " \"accepted\", \"rejected\" or \"pending\"."

#define NGX_HTTP_IMS_MEMBER_MSG_SHARED                                        \
    "Only shared images have members: this image's visibility"               \
    " is not \"shared\"."

#define NGX_HTTP_IMS_MEMBER_MSG_MEMBER                                        \
    "Field \"member\" is required and must be a project id: a non-empty"     \
    " string of at most 255 characters."

#define NGX_HTTP_IMS_MEMBER_MSG_OWNER                                         \
    "Only the image owner or an administrator can share an image or stop"    \
    " sharing it."

#define NGX_HTTP_IMS_MEMBER_MSG_OWNER_UPDATE                                  \
    "The image owner shares an image; only the member can accept or"         \
    " reject it."

#define NGX_HTTP_IMS_MEMBER_MSG_SHARE_ROLE                                    \
    "Your roles do not allow you to share this image or stop sharing it:"    \
    " that needs the member role in the owner's project, or an"              \
    " administrator's role."


/*
 * What the module answers: the IMG code of every cause, JSON bodies, the
 * request id of every answer and of the request's error log lines; with
 * "ims_member_errors glance", Glance's answers instead (see
 * ngx_http_ims_member_glance.c).
 */

typedef struct {
    ngx_uint_t                  status;
    ngx_str_t                   code;
    ngx_str_t                   message;
} ngx_http_ims_member_error_t;



static u_char *ngx_http_ims_member_log_error(ngx_http_request_t *r,
    ngx_http_request_t *sr, u_char *buf, size_t len);


/* indexed by NGX_HTTP_IMS_MEMBER_ERR_* */

static ngx_http_ims_member_error_t  ngx_http_ims_member_causes[] = {

    ngx_http_ims_member_error(NGX_HTTP_OK, "", ""),

    ngx_http_ims_member_error(NGX_HTTP_UNAUTHORIZED, "IMG.0001",
        "Authentication required: send a valid, unexpired X-Auth-Token."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0002",
        NGX_HTTP_IMS_MEMBER_MSG_BODY),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0003",
        NGX_HTTP_IMS_MEMBER_MSG_STATUS),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0004",
        "Field \"vault_id\", when given, must be a non-empty string."),

    ngx_http_ims_member_error(NGX_HTTP_NOT_FOUND, "IMG.0005",
        "No image with this id is visible to your project."),

    ngx_http_ims_member_error(NGX_HTTP_FORBIDDEN, "IMG.0006",
        NGX_HTTP_IMS_MEMBER_MSG_SHARED),

    ngx_http_ims_member_error(NGX_HTTP_FORBIDDEN, "IMG.0007",
        NGX_HTTP_IMS_MEMBER_MSG_OWNER_UPDATE),

    ngx_http_ims_member_error(NGX_HTTP_NOT_FOUND, "IMG.0008",
        "Your project is not a member of this image: a member can only"
        " update its own membership."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0009",
        "This full-ECS image was created from a CBR backup: accepting it"
        " requires \"vault_id\", the vault to store its backup in."),

    ngx_http_ims_member_error(NGX_HTTP_SERVICE_UNAVAILABLE, "IMG.0010",
        "The image database is unavailable; retry later."),

    ngx_http_ims_member_error(NGX_HTTP_INTERNAL_SERVER_ERROR, "IMG.0011",
        "The server failed to process the request."),

    ngx_http_ims_member_error(NGX_HTTP_NOT_FOUND, "IMG.0012",
        "No such resource: check the URL."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0013",
        "Field \"images\" is required and must be a non-empty array of"
        " image ids (strings)."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0014",
        "Field \"images\" holds more images than one request may carry;"
        " split the request."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0015",
        "Field \"project_id\" is required: the project whose memberships"
        " change."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0016",
        "Field \"status\" is required and must be \"accepted\" or"
        " \"rejected\"."),

    ngx_http_ims_member_error(NGX_HTTP_FORBIDDEN, "IMG.0017",
        "Field \"project_id\" must be your own project; only an"
        " administrator may act for another."),

    ngx_http_ims_member_error(NGX_HTTP_NOT_FOUND, "IMG.0018",
        "No such job of your project."),

    ngx_http_ims_member_error(NGX_HTTP_UNAUTHORIZED, "IMG.0019",
        "A project-scoped token is required: this token is scoped to a"
        " domain or to the system, not to a project."),

    ngx_http_ims_member_error(NGX_HTTP_SERVICE_UNAVAILABLE, "IMG.0020",
        "The identity service cannot validate the token now; retry later."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0002",
        NGX_HTTP_IMS_MEMBER_MSG_BODY),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0002",
        NGX_HTTP_IMS_MEMBER_MSG_BODY),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0002",
        NGX_HTTP_IMS_MEMBER_MSG_BODY),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0003",
        NGX_HTTP_IMS_MEMBER_MSG_STATUS),

    ngx_http_ims_member_error(NGX_HTTP_NOT_ALLOWED, "", ""),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0021",
        "A body is not expected with this request."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0022",
        NGX_HTTP_IMS_MEMBER_MSG_MEMBER),

    ngx_http_ims_member_error(NGX_HTTP_FORBIDDEN, "IMG.0023",
        NGX_HTTP_IMS_MEMBER_MSG_OWNER),

    ngx_http_ims_member_error(NGX_HTTP_CONFLICT, "IMG.0024",
        "This project is already a member of the image."),

    ngx_http_ims_member_error(NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, "IMG.0025",
        "The image has as many members as it may have; stop sharing it"
        " with a project before adding another."),

    ngx_http_ims_member_error(NGX_HTTP_NOT_FOUND, "IMG.0029",
        "No member of this image with this id is visible to your"
        " project."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0027",
        "Field \"projects\" is required and must be a non-empty array of"
        " project ids (strings)."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0026",
        "Fields \"domains\" and \"organizations\" are not supported: only"
        " sharing with projects (\"projects\") is."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0028",
        "An image is not shared with its owner's own project."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0022",
        NGX_HTTP_IMS_MEMBER_MSG_MEMBER),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0022",
        NGX_HTTP_IMS_MEMBER_MSG_MEMBER),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0002",
        NGX_HTTP_IMS_MEMBER_MSG_BODY),

    ngx_http_ims_member_error(NGX_HTTP_FORBIDDEN, "IMG.0006",
        NGX_HTTP_IMS_MEMBER_MSG_SHARED),

    ngx_http_ims_member_error(NGX_HTTP_FORBIDDEN, "IMG.0023",
        NGX_HTTP_IMS_MEMBER_MSG_OWNER),

    ngx_http_ims_member_error(NGX_HTTP_FORBIDDEN, "IMG.0006",
        NGX_HTTP_IMS_MEMBER_MSG_SHARED),

    ngx_http_ims_member_error(NGX_HTTP_FORBIDDEN, "IMG.0023",
        NGX_HTTP_IMS_MEMBER_MSG_OWNER),

    ngx_http_ims_member_error(NGX_HTTP_FORBIDDEN, "IMG.0006",
        NGX_HTTP_IMS_MEMBER_MSG_SHARED),

    /* to prevent information leakage, as Glance: never 403 on a show */
    ngx_http_ims_member_error(NGX_HTTP_NOT_FOUND, "IMG.0029",
        "No member of this image with this id is visible to your"
        " project."),

    ngx_http_ims_member_error(NGX_HTTP_BAD_REQUEST, "IMG.0014",
        "Fields \"images\" and \"projects\" make more image-project pairs"
        " than one request may carry; split the request."),

    ngx_http_ims_member_error(NGX_HTTP_NOT_FOUND, "IMG.0030",
        "Your token's roles do not let you see this image's members: that"
        " needs a project-scoped token with the reader role, or an"
        " administrator's role."),

    ngx_http_ims_member_error(NGX_HTTP_FORBIDDEN, "IMG.0031",
        NGX_HTTP_IMS_MEMBER_MSG_SHARE_ROLE),

    ngx_http_ims_member_error(NGX_HTTP_FORBIDDEN, "IMG.0031",
        NGX_HTTP_IMS_MEMBER_MSG_SHARE_ROLE),

    ngx_http_ims_member_error(NGX_HTTP_FORBIDDEN, "IMG.0032",
        "Your roles do not allow you to accept or reject this image: that"
        " needs the member role in the member's project, or an"
        " administrator's role."),

    /* modify_member refuses the owner: the legacy owner rule's words */
    ngx_http_ims_member_error(NGX_HTTP_FORBIDDEN, "IMG.0007",
        NGX_HTTP_IMS_MEMBER_MSG_OWNER_UPDATE),
};


static ngx_str_t  ngx_http_ims_member_json_type =
    ngx_string("application/json");
static ngx_str_t  ngx_http_ims_member_request_id_header =
    ngx_string("X-Openstack-Request-Id");


ngx_int_t
ngx_http_ims_member_answer_init(ngx_http_request_t *r, ngx_str_t *request_id)
{
    u_char                           *p;
    ngx_table_elt_t                  *h;
    ngx_http_ims_member_main_conf_t  *imcf;

    h = ngx_http_ims_member_header_in(r,
                                      &ngx_http_ims_member_request_id_header);

    /* echo the caller's id if it is safe to put in a header and a log */

    if (h && ngx_http_ims_member_valid_request_id(&h->value) == NGX_OK) {
        *request_id = h->value;
    }

    if (request_id->len == 0) {
        p = ngx_pnalloc(r->pool, sizeof("req-") - 1
                                 + NGX_HTTP_IMS_MEMBER_UUID_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        request_id->data = p;
        p = ngx_cpymem(p, "req-", sizeof("req-") - 1);
        request_id->len = ngx_http_ims_member_uuid(p) - request_id->data;
    }

    if (ngx_http_ims_member_header_out(r,
                                       &ngx_http_ims_member_request_id_header,
                                       request_id)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the request's error log lines carry the id, as Glance's do */

    if (r->log_handler != ngx_http_ims_member_log_error) {
        imcf = ngx_http_get_module_main_conf(r, ngx_http_ims_member_module);
        imcf->log_handler = r->log_handler;
        r->log_handler = ngx_http_ims_member_log_error;
    }

    return NGX_OK;
}


ngx_table_elt_t *
ngx_http_ims_member_header_in(ngx_http_request_t *r, ngx_str_t *name)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == name->len
            && ngx_strncasecmp(h[i].key.data, name->data, name->len) == 0)
        {
            return &h[i];
        }
    }
}


ngx_int_t
ngx_http_ims_member_not_allowed(ngx_http_request_t *r, ngx_str_t *allow)
{
    static ngx_str_t  name = ngx_string("Allow");

    /*
     * nginx's own 405, so that error_page can hand the request to a Glance
     * behind nginx; that answer must not carry our Allow header
     */

    if (ngx_http_ims_member_error_page(r, NGX_HTTP_NOT_ALLOWED)) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    if (ngx_http_ims_member_header_out(r, &name, allow) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_HTTP_NOT_ALLOWED;
}


ngx_uint_t
ngx_http_ims_member_error_page(ngx_http_request_t *r, ngx_uint_t status)
{
    ngx_uint_t                 i;
    ngx_http_err_page_t       *err_page;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (clcf->error_pages == NULL) {
        return 0;
    }

    err_page = clcf->error_pages->elts;

    for (i = 0; i < clcf->error_pages->nelts; i++) {
        if (err_page[i].status == (ngx_int_t) status) {
            return 1;
        }
    }

    return 0;
}


ngx_int_t
ngx_http_ims_member_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body)
{
    return ngx_http_ims_member_send_parts(r, status, body, 1);
}


/* a JSON body in parts, sent as they are: nothing is copied or joined */

ngx_int_t
ngx_http_ims_member_send_parts(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *parts, ngx_uint_t n)
{
    return ngx_http_ims_member_send_typed(r, status,
                                          &ngx_http_ims_member_json_type,
                                          parts, n);
}


ngx_int_t
ngx_http_ims_member_send_typed(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, ngx_str_t *parts, ngx_uint_t n)
{
    off_t         len;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_uint_t    i;
    ngx_chain_t  *out, **ll, *cl;

    len = 0;

    for (i = 0; i < n; i++) {
        len += parts[i].len;
    }

    r->headers_out.status = status;
    r->headers_out.content_type = *type;
    r->headers_out.content_type_len = type->len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out = NULL;
    ll = &out;
    b = NULL;

    for (i = 0; i < n; i++) {
        if (parts[i].len == 0) {
            continue;
        }

        b = ngx_calloc_buf(r->pool);
        if (b == NULL) {
            return NGX_ERROR;
        }

        b->pos = parts[i].data;
        b->last = parts[i].data + parts[i].len;
        b->memory = 1;

        cl = ngx_alloc_chain_link(r->pool);
        if (cl == NULL) {
            return NGX_ERROR;
        }

        cl->buf = b;
        cl->next = NULL;
        *ll = cl;
        ll = &cl->next;
    }

    if (b == NULL) {
        return ngx_http_send_special(r, NGX_HTTP_LAST);
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    return ngx_http_output_filter(r, out);
}


void
ngx_http_ims_member_finalize(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body)
{
    ngx_http_finalize_request(r, ngx_http_ims_member_send(r, status, body));
}


ngx_int_t
ngx_http_ims_member_send_error(ngx_http_request_t *r, ngx_uint_t err)
{
    ngx_str_t                     body;
    ngx_uint_t                    level;
    ngx_http_ims_member_ctx_t    *ctx;
    ngx_http_ims_member_error_t  *e;

    if (err == NGX_HTTP_IMS_MEMBER_OK
        || err >= sizeof(ngx_http_ims_member_causes)
                  / sizeof(ngx_http_ims_member_error_t))
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "ims_member: unknown error cause %ui", err);
        err = NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
    }

    e = &ngx_http_ims_member_causes[err];

    ctx = ngx_http_get_module_ctx(r, ngx_http_ims_member_module);

    if (err == NGX_HTTP_IMS_MEMBER_ERR_NOT_ALLOWED) {
        return ngx_http_ims_member_glance_send_not_allowed(r, ctx);
    }

    if (ngx_http_ims_member_glance_errors(r)) {
        return ngx_http_ims_member_glance_send_error(r, ctx, err, &e->code,
                                                     &e->message);
    }

    /* the client's own mistakes are answered, and logged only for debug */

    level = (e->status >= NGX_HTTP_INTERNAL_SERVER_ERROR) ? NGX_LOG_ERR
                                                          : NGX_LOG_INFO;

    ngx_log_error(level, r->connection->log, 0,
                  "ims_member: answered %ui %V", e->status, &e->code);

    if (ngx_http_ims_member_json_error(r->pool, &e->code, &e->message, &body)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_ims_member_send(r, e->status, &body);
}


void
ngx_http_ims_member_finalize_error(ngx_http_request_t *r, ngx_uint_t err)
{
    ngx_http_finalize_request(r, ngx_http_ims_member_send_error(r, err));
}


/* the message of an IMG code, for a job's "fail_reason" */

ngx_int_t
ngx_http_ims_member_error_message(ngx_str_t *code, ngx_str_t *message)
{
    ngx_uint_t  i;

    for (i = 1;
         i < sizeof(ngx_http_ims_member_causes)
             / sizeof(ngx_http_ims_member_error_t);
         i++)
    {
        if (ngx_http_ims_member_causes[i].code.len == code->len
            && ngx_strncmp(ngx_http_ims_member_causes[i].code.data,
                           code->data, code->len)
               == 0)
        {
            *message = ngx_http_ims_member_causes[i].message;
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


ngx_int_t
ngx_http_ims_member_header_out(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key = *name;
    h->value = *value;

    return NGX_OK;
}


static u_char *
ngx_http_ims_member_log_error(ngx_http_request_t *r, ngx_http_request_t *sr,
    u_char *buf, size_t len)
{
    u_char                           *p;
    ngx_http_ims_member_ctx_t        *ctx;
    ngx_http_ims_member_main_conf_t  *imcf;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_ims_member_module);

    p = imcf->log_handler(r, sr, buf, len);

    ctx = ngx_http_get_module_ctx(r, ngx_http_ims_member_module);

    if (ctx && ctx->request_id.len) {
        len -= p - buf;
        p = ngx_snprintf(p, len, ", request_id: \"%V\"", &ctx->request_id);
    }

    return p;
}
