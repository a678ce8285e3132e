
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_WORKER_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_WORKER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_module.h"


ngx_int_t ngx_http_ims_member_worker_init(ngx_cycle_t *cycle);
void ngx_http_ims_member_worker_exit(ngx_cycle_t *cycle);


#endif /* _NGX_HTTP_IMS_MEMBER_WORKER_H_INCLUDED_ */
