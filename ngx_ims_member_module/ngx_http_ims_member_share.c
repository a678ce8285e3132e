
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_share.h"


/*
 * The limits of sharing, as the share statements take them: Glance's
 * image_member_quota ("ims_member_quota"), and IMS's limits by the kind
 * of image ("ims_member_share_quota": a system or data disk image, a
 * full-ECS image), which come with IMS's other sharing rules
 * (restrictions_on_image_sharing.rst): sql/members.sql,
 * ims_member_share(), applies them all.
 */

static char *ngx_http_ims_member_quota_value(ngx_conf_t *cf, ngx_str_t *value,
    ngx_int_t *quota);
static u_char *ngx_http_ims_member_quota_print(u_char *p, ngx_int_t quota);


/* ims_member_quota N | off */

char *
ngx_http_ims_member_quota(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_ims_member_loc_conf_t  *imlcf = conf;

    ngx_str_t  *value;

    if (imlcf->quota != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    return ngx_http_ims_member_quota_value(cf, &value[1], &imlcf->quota);
}


/* ims_member_share_quota DISK FULL_ECS: each N | off */

char *
ngx_http_ims_member_share_quota(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_ims_member_loc_conf_t  *imlcf = conf;

    ngx_str_t  *value;

    if (imlcf->share_quota[0] != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_ims_member_quota_value(cf, &value[1],
                                        &imlcf->share_quota[0])
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    return ngx_http_ims_member_quota_value(cf, &value[2],
                                           &imlcf->share_quota[1]);
}


static char *
ngx_http_ims_member_quota_value(ngx_conf_t *cf, ngx_str_t *value,
    ngx_int_t *quota)
{
    if (value->len == 3 && ngx_strncmp(value->data, "off", 3) == 0) {
        *quota = NGX_HTTP_IMS_MEMBER_QUOTA_OFF;
        return NGX_CONF_OK;
    }

    *quota = ngx_atoi(value->data, value->len);

    /* the database counts in 32 bits */

    if (*quota == NGX_ERROR || *quota > 2147483647) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\": the most live members of "
                           "one image, from 0 to 2147483647, or \"off\"",
                           value);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* the one limit with Glance's rules: NGX_HTTP_IMS_MEMBER_QUOTA_OFF, none */

ngx_int_t
ngx_http_ims_member_quota_glance(ngx_http_request_t *r)
{
    ngx_http_ims_member_loc_conf_t  *imlcf;

    imlcf = ngx_http_get_module_loc_conf(r, ngx_http_ims_member_module);

    if (imlcf->quota == NGX_CONF_UNSET) {
        return NGX_HTTP_IMS_MEMBER_IMAGE_MEMBER_QUOTA;
    }

    return imlcf->quota;
}


/*
 * A share's limits as statement parameters: "quota", the limit of every
 * image (NULL: none), and "ims_quota", IMS's limits by kind as an array,
 * "{disk,full_ecs}", or NULL for Glance's rules (ims is 0).  With IMS's
 * rules ims_member_quota counts only where it is set.
 */

ngx_int_t
ngx_http_ims_member_share_params(ngx_http_request_t *r, ngx_uint_t ims,
    ngx_str_t *quota, ngx_str_t *ims_quota)
{
    u_char                          *p;
    ngx_int_t                        q;
    ngx_http_ims_member_loc_conf_t  *imlcf;

    imlcf = ngx_http_get_module_loc_conf(r, ngx_http_ims_member_module);

    q = ims ? imlcf->quota : ngx_http_ims_member_quota_glance(r);

    ngx_str_null(quota);
    ngx_str_null(ims_quota);

    p = ngx_pnalloc(r->pool, 3 * NGX_INT_T_LEN + sizeof("{,}") - 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (q >= 0) {
        quota->data = p;
        p = ngx_sprintf(p, "%i", q);
        quota->len = p - quota->data;
    }

    if (!ims) {
        return NGX_OK;
    }

    ims_quota->data = p;

    *p++ = '{';
    p = ngx_http_ims_member_quota_print(p, imlcf->share_quota[0]);
    *p++ = ',';
    p = ngx_http_ims_member_quota_print(p, imlcf->share_quota[1]);
    *p++ = '}';

    ims_quota->len = p - ims_quota->data;

    return NGX_OK;
}


static u_char *
ngx_http_ims_member_quota_print(u_char *p, ngx_int_t quota)
{
    if (quota < 0) {
        return ngx_cpymem(p, "NULL", sizeof("NULL") - 1);
    }

    return ngx_sprintf(p, "%i", quota);
}
