
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_SQL_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_SQL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* statement numbers: indexes into ngx_http_ims_member_sql[] */

#define NGX_HTTP_IMS_MEMBER_SQL_UPDATE          0
#define NGX_HTTP_IMS_MEMBER_SQL_UPDATE_NPARAMS  7

#define NGX_HTTP_IMS_MEMBER_SQL_N               1


extern ngx_str_t  ngx_http_ims_member_sql[];


#endif /* _NGX_HTTP_IMS_MEMBER_SQL_H_INCLUDED_ */
