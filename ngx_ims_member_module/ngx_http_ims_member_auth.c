
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
        identity->roles = ngx_http_ims_member_roles_mask(&roles);
    }

    return NGX_OK;
}


/*
 * Whether Glance's new default policies decide a v2 member call: the
 * location asks for them (ims_member_policy) and the caller's roles are
 * known; else the legacy rules do, which need no roles.
 */

ngx_uint_t
ngx_http_ims_member_policy_new(ngx_http_request_t *r,
    ngx_http_ims_member_identity_t *identity)
{
    ngx_http_ims_member_loc_conf_t  *imlcf;

    imlcf = ngx_http_get_module_loc_conf(r, ngx_http_ims_member_module);

    return imlcf->policy == NGX_HTTP_IMS_MEMBER_POLICY_NEW
           && (identity->roles & NGX_HTTP_IMS_MEMBER_ROLES_KNOWN);
}


/*
 * The roles as two parameters of the member API's statements (role:reader,
 * role:member), both NULL for the legacy rules
 */

void
ngx_http_ims_member_policy_params(ngx_http_request_t *r,
    ngx_http_ims_member_identity_t *identity, ngx_str_t *params)
{
    if (!ngx_http_ims_member_policy_new(r, identity)) {
        ngx_str_null(&params[0]);
        ngx_str_null(&params[1]);
        return;
    }

    if (identity->roles & NGX_HTTP_IMS_MEMBER_ROLE_READER) {
        ngx_str_set(&params[0], "t");

    } else {
        ngx_str_set(&params[0], "f");
    }

    if (identity->roles & NGX_HTTP_IMS_MEMBER_ROLE_MEMBER) {
        ngx_str_set(&params[1], "t");

    } else {
        ngx_str_set(&params[1], "f");
    }
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


/*
 * The last three parameters of a statement that changes members: whether
 * it writes their events (ims_member_events), and who acted: the Keystone
 * user (NULL when not known) and the request's id
 */

void
ngx_http_ims_member_event_params(ngx_http_request_t *r,
    ngx_http_ims_member_identity_t *identity, ngx_str_t *request_id,
    ngx_str_t *params)
{
    ngx_http_ims_member_loc_conf_t  *imlcf;

    imlcf = ngx_http_get_module_loc_conf(r, ngx_http_ims_member_module);

    if (!imlcf->events) {
        ngx_str_set(&params[0], "f");
        return;
    }

    ngx_str_set(&params[0], "t");

    if (identity->user.len) {
        params[1] = identity->user;
    }

    params[2] = *request_id;
}


/* ims_member_policy new | legacy */

char *
ngx_http_ims_member_policy(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ims_member_loc_conf_t  *imlcf = conf;

    ngx_str_t  *value;

    if (imlcf->policy != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 3 && ngx_strncmp(value[1].data, "new", 3) == 0) {
        imlcf->policy = NGX_HTTP_IMS_MEMBER_POLICY_NEW;
        return NGX_CONF_OK;
    }

    if (value[1].len == 6 && ngx_strncmp(value[1].data, "legacy", 6) == 0) {
        imlcf->policy = NGX_HTTP_IMS_MEMBER_POLICY_LEGACY;
        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\": \"new\" (Glance's new default "
                       "policies, which read the caller's roles) or "
                       "\"legacy\" (Glance's legacy rules)", &value[1]);

    return NGX_CONF_ERROR;
}
