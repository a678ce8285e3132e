
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_roles.h"
#include "ngx_http_ims_member_util.h"


/*
 * The caller's roles, as every way of knowing the caller gives them (a
 * Keystone token, ims_member_roles): a comma-separated list of names.
 * Below both the identity and the Keystone files, which ask it.
 */


/* a role of ims_member_admin_roles, in any case, is among "roles" */

ngx_uint_t
ngx_http_ims_member_is_admin(ngx_http_request_t *r, ngx_str_t *roles)
{
    ngx_str_t                       *role;
    ngx_uint_t                       i;
    ngx_http_ims_member_loc_conf_t  *imlcf;

    imlcf = ngx_http_get_module_loc_conf(r, ngx_http_ims_member_module);

    role = imlcf->admin_roles->elts;

    for (i = 0; i < imlcf->admin_roles->nelts; i++) {
        if (ngx_http_ims_member_has_word(roles, &role[i])) {
            return 1;
        }
    }

    return 0;
}


/*
 * The roles Glance's new default policies read (role:reader, role:member)
 * among "roles", in any case, as Glance lower-cases them; taken as they
 * are: a role list of Keystone's already holds the roles others imply.
 */

ngx_uint_t
ngx_http_ims_member_roles_mask(ngx_str_t *roles)
{
    ngx_uint_t  bits;

    static ngx_str_t  reader = ngx_string("reader");
    static ngx_str_t  member = ngx_string("member");

    bits = NGX_HTTP_IMS_MEMBER_ROLES_KNOWN;

    if (ngx_http_ims_member_has_word(roles, &reader)) {
        bits |= NGX_HTTP_IMS_MEMBER_ROLE_READER;
    }

    if (ngx_http_ims_member_has_word(roles, &member)) {
        bits |= NGX_HTTP_IMS_MEMBER_ROLE_MEMBER;
    }

    return bits;
}


/* role names as Keystone spells them; compared in any case */

char *
ngx_http_ims_member_admin_roles(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_ims_member_loc_conf_t  *imlcf = conf;

    ngx_str_t   *value, *role;
    ngx_uint_t   i;

    if (imlcf->admin_roles != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    imlcf->admin_roles = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                          sizeof(ngx_str_t));
    if (imlcf->admin_roles == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len == 0
            || ngx_strlchr(value[i].data, value[i].data + value[i].len, ',')
            || ngx_strlchr(value[i].data, value[i].data + value[i].len, ' ')
            || ngx_strlchr(value[i].data, value[i].data + value[i].len,
                           '\t'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid role \"%V\": one role name per "
                               "parameter, without commas or blanks",
                               &value[i]);
            return NGX_CONF_ERROR;
        }

        role = ngx_array_push(imlcf->admin_roles);
        if (role == NULL) {
            return NGX_CONF_ERROR;
        }

        *role = value[i];
    }

    return NGX_CONF_OK;
}
