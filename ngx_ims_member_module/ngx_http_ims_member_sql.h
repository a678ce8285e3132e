
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#ifndef _NGX_HTTP_IMS_MEMBER_SQL_H_INCLUDED_
#define _NGX_HTTP_IMS_MEMBER_SQL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* statement numbers: indexes into ngx_http_ims_member_sql[] */

#define NGX_HTTP_IMS_MEMBER_SQL_UPDATE          0
#define NGX_HTTP_IMS_MEMBER_SQL_UPDATE_NPARAMS  11

#define NGX_HTTP_IMS_MEMBER_SQL_JOB_SUBMIT          1
#define NGX_HTTP_IMS_MEMBER_SQL_JOB_SUBMIT_NPARAMS  11

#define NGX_HTTP_IMS_MEMBER_SQL_JOB_STEP            2
#define NGX_HTTP_IMS_MEMBER_SQL_JOB_STEP_NPARAMS    5

#define NGX_HTTP_IMS_MEMBER_SQL_JOB_RELEASE         3
#define NGX_HTTP_IMS_MEMBER_SQL_JOB_RELEASE_NPARAMS 2

#define NGX_HTTP_IMS_MEMBER_SQL_JOB_GET             4
#define NGX_HTTP_IMS_MEMBER_SQL_JOB_GET_NPARAMS     5

#define NGX_HTTP_IMS_MEMBER_SQL_JOB_FAILED          5
#define NGX_HTTP_IMS_MEMBER_SQL_JOB_FAILED_NPARAMS  5

#define NGX_HTTP_IMS_MEMBER_SQL_JOB_PURGE           6
#define NGX_HTTP_IMS_MEMBER_SQL_JOB_PURGE_NPARAMS   2

#define NGX_HTTP_IMS_MEMBER_SQL_UPDATE_GROUP        7
#define NGX_HTTP_IMS_MEMBER_SQL_UPDATE_ONE          8

#define NGX_HTTP_IMS_MEMBER_SQL_MEMBER_CREATE          9
#define NGX_HTTP_IMS_MEMBER_SQL_MEMBER_CREATE_NPARAMS  13

#define NGX_HTTP_IMS_MEMBER_SQL_MEMBER_LIST            10
#define NGX_HTTP_IMS_MEMBER_SQL_MEMBER_LIST_NPARAMS    8

#define NGX_HTTP_IMS_MEMBER_SQL_MEMBER_REMOVE          11
#define NGX_HTTP_IMS_MEMBER_SQL_MEMBER_REMOVE_NPARAMS  11

#define NGX_HTTP_IMS_MEMBER_SQL_JOB_MEMBERS            12
#define NGX_HTTP_IMS_MEMBER_SQL_JOB_MEMBERS_NPARAMS    12

#define NGX_HTTP_IMS_MEMBER_SQL_N                   13

/*
 * The statements that may run twice when a connection broke under them:
 * an update (or a group of them) repeats as a no-op, a read or a release
 * changes nothing more.
 * A job submit, a member's creation or removal never goes twice (the
 * repeat would answer otherwise); a job step is tried again by the timer.
 */
#define NGX_HTTP_IMS_MEMBER_SQL_IDEMPOTENT                                    \
    ((1 << NGX_HTTP_IMS_MEMBER_SQL_UPDATE)                                    \
     | (1 << NGX_HTTP_IMS_MEMBER_SQL_UPDATE_GROUP)                            \
     | (1 << NGX_HTTP_IMS_MEMBER_SQL_UPDATE_ONE)                              \
     | (1 << NGX_HTTP_IMS_MEMBER_SQL_JOB_RELEASE)                             \
     | (1 << NGX_HTTP_IMS_MEMBER_SQL_JOB_GET)                                 \
     | (1 << NGX_HTTP_IMS_MEMBER_SQL_MEMBER_LIST))


/*
 * The statements that change members (the group's are the update's): their
 * last three parameters are the events' (sql/events.sql): whether to write
 * them, the Keystone user, the request id.
 */
#define NGX_HTTP_IMS_MEMBER_SQL_EVENTS                                        \
    ((1 << NGX_HTTP_IMS_MEMBER_SQL_UPDATE)                                    \
     | (1 << NGX_HTTP_IMS_MEMBER_SQL_JOB_SUBMIT)                              \
     | (1 << NGX_HTTP_IMS_MEMBER_SQL_MEMBER_CREATE)                           \
     | (1 << NGX_HTTP_IMS_MEMBER_SQL_MEMBER_REMOVE)                           \
     | (1 << NGX_HTTP_IMS_MEMBER_SQL_JOB_MEMBERS))


/* the channel new jobs are announced on (ims_job_submit() in sql/ims.sql) */
#define NGX_HTTP_IMS_MEMBER_SQL_LISTEN  "LISTEN ims_member_jobs"


extern ngx_str_t  ngx_http_ims_member_sql[];


#endif /* _NGX_HTTP_IMS_MEMBER_SQL_H_INCLUDED_ */
