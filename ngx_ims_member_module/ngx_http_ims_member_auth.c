
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_answer.h"
#include "ngx_http_ims_member_auth.h"
#include "ngx_http_ims_member_digest.h"
#include "ngx_http_ims_member_keystone.h"
#include "ngx_http_ims_member_roles.h"
#include "ngx_http_ims_member_util.h"


/* Glance's column size for project ids (image_members.member) */
#define NGX_HTTP_IMS_MEMBER_PROJECT_ID_MAX  255


static ngx_str_t  ngx_http_ims_member_token_header =
    ngx_string("X-Auth-Token");


/*
 * Who calls, in the contract's order of precedence: a Keystone token
 * validated by Keystone (ims_member_keystone), a project a trusted layer
 * in front vouches for (ims_member_project, ims_member_roles), or the
 * SHA-256 of the caller's X-Auth-Token, which the database's ims_tokens
 * knows.  NGX_OK: *err is NGX_HTTP_IMS_MEMBER_OK or the answer's cause
 * (401 for no identity); NGX_AGAIN: identity->identified will be told.
 */

ngx_int_t
ngx_http_ims_member_identify(ngx_http_request_t *r,
    ngx_http_ims_member_identity_t *identity, ngx_uint_t *err)
{
    u_char                          *p;
    ngx_str_t                        roles;
    ngx_table_elt_t                 *h;
    ngx_http_ims_member_loc_conf_t  *imlcf;

    imlcf = ngx_http_get_module_loc_conf(r, ngx_http_ims_member_module);

    *err = NGX_HTTP_IMS_MEMBER_OK;

    if (imlcf->keystone.len || imlcf->project == NULL) {
        h = ngx_http_ims_member_header_in(r,
                                          &ngx_http_ims_member_token_header);

        if (h == NULL || h->value.len == 0) {
            *err = NGX_HTTP_IMS_MEMBER_ERR_UNAUTHORIZED;
            return NGX_OK;
        }

        if (imlcf->keystone.len) {
            return ngx_http_ims_member_keystone_identify(r, &h->value,
                                                         identity, err);
        }

        /* only the hash of a token leaves nginx */

        p = ngx_pnalloc(r->pool, NGX_HTTP_IMS_MEMBER_SHA256_HEX_LEN);
        if (p == NULL) {
            *err = NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
            return NGX_OK;
        }

        if (ngx_http_ims_member_sha256_hex(p, h->value.data, h->value.len)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "ims_member: SHA-256 failed in OpenSSL");
            *err = NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
            return NGX_OK;
        }

        identity->token_sha256.data = p;
        identity->token_sha256.len = NGX_HTTP_IMS_MEMBER_SHA256_HEX_LEN;

        return NGX_OK;
    }

    if (ngx_http_complex_value(r, imlcf->project, &identity->project)
        != NGX_OK)
    {
        *err = NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
        return NGX_OK;
    }

    if (identity->project.len == 0) {
        *err = NGX_HTTP_IMS_MEMBER_ERR_UNAUTHORIZED;
        return NGX_OK;
    }

    if (ngx_http_ims_member_valid_id(&identity->project,
                                     NGX_HTTP_IMS_MEMBER_PROJECT_ID_MAX)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "ims_member: the project given by "
                      "\"ims_member_project\" is not a valid project id");
        *err = NGX_HTTP_IMS_MEMBER_ERR_UNAUTHORIZED;
        return NGX_OK;
    }

    if (imlcf->roles) {
        if (ngx_http_complex_value(r, imlcf->roles, &roles) != NGX_OK) {
            *err = NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
            return NGX_OK;
        }

        identity->admin = ngx_http_ims_member_is_admin(r, &roles);
    }

    return NGX_OK;
}


/* the first three parameters of every statement: token hash, project, admin */

void
ngx_http_ims_member_identity_params(ngx_http_ims_member_identity_t *identity,
    ngx_str_t *params)
{
    if (identity->token_sha256.len) {
        params[0] = identity->token_sha256;
        return;
    }

    params[1] = identity->project;

    if (identity->admin) {
        ngx_str_set(&params[2], "t");

    } else {
        ngx_str_set(&params[2], "f");
    }
}
