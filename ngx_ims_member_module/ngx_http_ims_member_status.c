
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_answer.h"
#include "ngx_http_ims_member_cause.h"
#include "ngx_http_ims_member_keystone_cache.h"
#include "ngx_http_ims_member_metrics.h"
#include "ngx_http_ims_member_send.h"
#include "ngx_http_ims_member_sql.h"
#include "ngx_http_ims_member_status.h"


/*
 * ims_member_status: the metrics zone as Prometheus' text exposition
 * format 0.0.4, or as JSON (the same families and samples) for a client
 * that accepts application/json.  The page is made from shared memory
 * alone; it never asks the database.
 */

typedef struct {
    u_char                             *pos;
    u_char                             *last;
    ngx_uint_t                          json;   /* unsigned  json:1 */
    ngx_uint_t                          samples;
    ngx_str_t                          *name;
} ngx_http_ims_member_status_out_t;


/* the gauges of all workers, summed */

typedef struct {
    ngx_uint_t                          workers;
    ngx_uint_t                          open;
    ngx_uint_t                          connecting;
    ngx_uint_t                          idle;
    ngx_uint_t                          waiting;
    ngx_uint_t                          grouping;
    ngx_uint_t                          backoff;
    ngx_uint_t                          listen;
    ngx_uint_t                          busy;
    ngx_uint_t                          max;
    ngx_uint_t                          entries;
} ngx_http_ims_member_status_sum_t;


/*
 * A family of one sample, or a sample of the family above it (no type):
 * its value is a counter of the zone, or one of the workers' sums.
 */

typedef struct {
    ngx_str_t                           name;
    char                               *type;
    char                               *help;
    ngx_str_t                           label[2];
    ngx_int_t                           counter;
    size_t                              offset;
    /* a count of milliseconds, written as seconds */
    ngx_uint_t                          seconds;  /* unsigned  seconds:1 */
} ngx_http_ims_member_status_family_t;


#define ngx_http_ims_member_status_counted(name, type, help, l, v, i, s)     \
    { ngx_string(name), type, help, { ngx_string(l), ngx_string(v) },         \
      NGX_HTTP_IMS_MEMBER_M_##i, 0, s }

#define ngx_http_ims_member_status_summed(name, type, help, l, v, field)     \
    { ngx_string(name), type, help, { ngx_string(l), ngx_string(v) },         \
      -1, offsetof(ngx_http_ims_member_status_sum_t, field), 0 }


static void ngx_http_ims_member_status_workers(
    ngx_http_ims_member_metrics_t *m, ngx_http_ims_member_status_sum_t *sum);
static void ngx_http_ims_member_status_page(
    ngx_http_ims_member_status_out_t *out, ngx_http_ims_member_metrics_t *m,
    ngx_uint_t entries);
static void ngx_http_ims_member_status_requests(
    ngx_http_ims_member_status_out_t *out, ngx_http_ims_member_metrics_t *m);
static void ngx_http_ims_member_status_family(
    ngx_http_ims_member_status_out_t *out, ngx_str_t *name, char *type,
    char *help);
static void ngx_http_ims_member_status_sample(
    ngx_http_ims_member_status_out_t *out, char *suffix, ngx_str_t *labels,
    ngx_uint_t n, uint64_t value, ngx_uint_t usec);
static void ngx_http_ims_member_status_histogram(
    ngx_http_ims_member_status_out_t *out, ngx_str_t *label,
    ngx_http_ims_member_metrics_hist_t *h, ngx_str_t *bounds, ngx_uint_t n,
    ngx_uint_t usec);
static void ngx_http_ims_member_status_end(
    ngx_http_ims_member_status_out_t *out);


static ngx_http_ims_member_status_family_t
    ngx_http_ims_member_status_families[] =
{
    ngx_http_ims_member_status_summed("ims_member_db_connections", "gauge",
        "Database connections of the workers' pools, by state.",
        "state", "connecting", connecting),
    ngx_http_ims_member_status_summed("ims_member_db_connections", NULL,
        NULL, "state", "idle", idle),
    ngx_http_ims_member_status_summed("ims_member_db_connections", NULL,
        NULL, "state", "busy", busy),
    ngx_http_ims_member_status_summed("ims_member_db_connections_max",
        "gauge", "Database connections the pools may open (ims_member_pool).",
        "", "", max),
    ngx_http_ims_member_status_counted(
        "ims_member_db_connect_failures_total", "counter",
        "Database connection attempts that failed.", "", "",
        CONNECT_FAILURES, 0),
    ngx_http_ims_member_status_summed("ims_member_db_backoff", "gauge",
        "Workers waiting before their next connection attempt.", "", "",
        backoff),
    ngx_http_ims_member_status_summed("ims_member_queued_requests", "gauge",
        "Requests waiting for a database connection or for a group.",
        "waiting_for", "connection", waiting),
    ngx_http_ims_member_status_summed("ims_member_queued_requests", NULL,
        NULL, "waiting_for", "group", grouping),
    ngx_http_ims_member_status_counted("ims_member_queue_refused_total",
        "counter", "Requests refused at once: ims_member_queue statements "
        "waited.", "", "", QUEUE_REFUSED, 0),
    ngx_http_ims_member_status_counted("ims_member_jobs_submitted_total",
        "counter", "Batch jobs submitted.", "", "", JOBS_SUBMITTED, 0),
    ngx_http_ims_member_status_counted("ims_member_job_slices_total",
        "counter", "Slices of batch jobs run.", "", "", JOB_SLICES, 0),
    ngx_http_ims_member_status_counted(
        "ims_member_job_slice_failures_total", "counter",
        "Slices of batch jobs that failed as a whole.", "", "",
        JOB_SLICE_FAILURES, 0),
    ngx_http_ims_member_status_counted("ims_member_job_oldest_age_seconds",
        "gauge", "Age of the oldest unfinished job, as the job timer last "
        "read it.", "", "", JOB_OLDEST_MS, 1),
    ngx_http_ims_member_status_summed("ims_member_job_listen_up", "gauge",
        "Workers whose connection listening for new jobs is up.", "", "",
        listen),
    ngx_http_ims_member_status_summed("ims_member_workers", "gauge",
        "Worker processes with a share of the gauges.", "", "", workers),
    ngx_http_ims_member_status_counted(
        "ims_member_keystone_validations_total", "counter",
        "Token validations Keystone answered, by result.", "result",
        "valid", KEYSTONE_VALID, 0),
    ngx_http_ims_member_status_counted(
        "ims_member_keystone_validations_total", NULL, NULL, "result",
        "invalid", KEYSTONE_INVALID, 0),
    ngx_http_ims_member_status_counted(
        "ims_member_keystone_validations_total", NULL, NULL, "result",
        "error", KEYSTONE_ERRORS, 0),
    ngx_http_ims_member_status_counted(
        "ims_member_keystone_cache_hits_total", "counter",
        "Tokens found in the Keystone cache.", "", "", KEYSTONE_HITS, 0),
    ngx_http_ims_member_status_counted(
        "ims_member_keystone_cache_misses_total", "counter",
        "Tokens not found in the Keystone cache.", "", "",
        KEYSTONE_MISSES, 0),
    ngx_http_ims_member_status_counted(
        "ims_member_keystone_cache_evictions_total", "counter",
        "Live entries the Keystone cache dropped for room.", "", "",
        KEYSTONE_EVICTIONS, 0),
    ngx_http_ims_member_status_summed("ims_member_keystone_cache_entries",
        "gauge", "Entries in the Keystone cache.", "", "", entries),
    { ngx_null_string, NULL, NULL, { ngx_null_string, ngx_null_string }, 0,
      0, 0 }
};

static ngx_str_t  ngx_http_ims_member_status_histograms[] = {
    ngx_string("ims_member_request_duration_seconds"),
    ngx_string("ims_member_db_statement_duration_seconds"),
    ngx_string("ims_member_group_size")
};

static ngx_str_t  ngx_http_ims_member_status_text =
    ngx_string("text/plain; version=0.0.4; charset=utf-8");
static ngx_str_t  ngx_http_ims_member_status_json =
    ngx_string("application/json");


/* by statement number (ngx_http_ims_member_sql.h), one a statement */

#if (NGX_HTTP_IMS_MEMBER_SQL_N > NGX_HTTP_IMS_MEMBER_METRICS_STMTS)
#error "more statements than ngx_http_ims_member_metrics.h times"
#endif

static ngx_str_t  ngx_http_ims_member_status_statements[] = {
    ngx_string("update"),
    ngx_string("job_submit"),
    ngx_string("job_step"),
    ngx_string("job_release"),
    ngx_string("job_get"),
    ngx_string("job_failed"),
    ngx_string("job_purge"),
    ngx_string("update_group"),
    ngx_string("update_one"),
    ngx_string("member_create"),
    ngx_string("member_list"),
    ngx_string("member_remove"),
    ngx_string("job_members")
};

static ngx_str_t  ngx_http_ims_member_status_times[] = {
    ngx_string("0.0005"), ngx_string("0.001"), ngx_string("0.0025"),
    ngx_string("0.005"), ngx_string("0.01"), ngx_string("0.025"),
    ngx_string("0.05"), ngx_string("0.1"), ngx_string("0.25"),
    ngx_string("0.5"), ngx_string("1"), ngx_string("2.5"), ngx_string("5"),
    ngx_string("10"), ngx_string("+Inf")
};

static ngx_str_t  ngx_http_ims_member_status_sizes[] = {
    ngx_string("1"), ngx_string("2"), ngx_string("4"), ngx_string("8"),
    ngx_string("16"), ngx_string("32"), ngx_string("64"), ngx_string("128"),
    ngx_string("256"), ngx_string("+Inf")
};


ngx_int_t
ngx_http_ims_member_status_handler(ngx_http_request_t *r)
{
    size_t                             size;
    u_char                            *p;
    ngx_int_t                          rc;
    ngx_str_t                          body;
    ngx_uint_t                         entries;
    ngx_table_elt_t                   *h;
    ngx_http_ims_member_main_conf_t   *imcf;
    ngx_http_ims_member_status_out_t   out;

    static ngx_str_t  allow = ngx_string("GET, HEAD");
    static ngx_str_t  accept = ngx_string("Accept");

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_ims_member_not_allowed(r, &allow);
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    imcf = ngx_http_get_module_main_conf(r, ngx_http_ims_member_module);

    if (imcf->metrics == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "ims_member: no metrics zone");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memzero(&out, sizeof(ngx_http_ims_member_status_out_t));

    h = ngx_http_ims_member_header_in(r, &accept);

    if (h && ngx_strlcasestrn(h->value.data, h->value.data + h->value.len,
                              (u_char *) "application/json",
                              sizeof("application/json") - 1 - 1)
             != NULL)
    {
        out.json = 1;
    }

    /* every line is bounded; an answer of each kind at most once */

    size = 131072 + NGX_HTTP_IMS_MEMBER_ANSWERS * 192;

    p = ngx_pnalloc(r->pool, size);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    out.pos = p;
    out.last = p + size;

    entries = imcf->keystone_cache
              ? ngx_http_ims_member_keystone_cache_entries(imcf->keystone_cache)
              : 0;

    ngx_http_ims_member_status_page(&out, imcf->metrics, entries);

    if (out.pos == out.last) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "ims_member: the status page outgrew its %uz bytes",
                      size);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.data = p;
    body.len = out.pos - p;

    return ngx_http_ims_member_send_typed(r, NGX_HTTP_OK,
                                          out.json
                                          ? &ngx_http_ims_member_status_json
                                          : &ngx_http_ims_member_status_text,
                                          &body, 1);
}


static void
ngx_http_ims_member_status_workers(ngx_http_ims_member_metrics_t *m,
    ngx_http_ims_member_status_sum_t *sum)
{
    ngx_uint_t                             i;
    ngx_atomic_uint_t                      pid;
    ngx_http_ims_member_metrics_worker_t  *w;

    ngx_memzero(sum, sizeof(ngx_http_ims_member_status_sum_t));

    for (i = 0; i < NGX_HTTP_IMS_MEMBER_METRICS_WORKERS; i++) {
        w = &m->worker[i];
        pid = w->pid;

        /* a worker that died without giving its slot back holds nothing */

        if (pid == 0 || !ngx_http_ims_member_metrics_alive(pid)) {
            continue;
        }

        sum->workers++;
        sum->max += w->max;
        sum->open += w->open;
        sum->connecting += w->connecting;
        sum->idle += w->idle;
        sum->waiting += w->waiting;
        sum->grouping += w->grouping;
        sum->backoff += (w->failures != 0);
        sum->listen += w->listen;
    }
}


static void
ngx_http_ims_member_status_page(ngx_http_ims_member_status_out_t *out,
    ngx_http_ims_member_metrics_t *m, ngx_uint_t entries)
{
    uint64_t                               v;
    ngx_str_t                              label[2];
    ngx_uint_t                             i;
    ngx_http_ims_member_status_sum_t       sum;
    ngx_http_ims_member_status_family_t   *f;

    ngx_http_ims_member_status_workers(m, &sum);

    /* each slot is read as it is, another worker may be changing it */

    sum.busy = (sum.open > sum.connecting + sum.idle)
               ? sum.open - sum.connecting - sum.idle : 0;
    sum.entries = entries;

    if (out->json) {
        out->pos = ngx_slprintf(out->pos, out->last, "{\"metrics\":[");
    }

    ngx_http_ims_member_status_requests(out, m);

    ngx_http_ims_member_status_family(out,
        &ngx_http_ims_member_status_histograms[0], "histogram",
        "Time from a request's prologue to its answer, by endpoint.");
    ngx_str_set(&label[0], "endpoint");

    for (i = 0; i < NGX_HTTP_IMS_MEMBER_EP_N; i++) {
        label[1] = ngx_http_ims_member_metrics_endpoints[i];
        ngx_http_ims_member_status_histogram(out, label, &m->request[i],
                                      ngx_http_ims_member_status_times,
                                      NGX_HTTP_IMS_MEMBER_METRICS_TIMES, 1);
    }

    ngx_http_ims_member_status_family(out,
        &ngx_http_ims_member_status_histograms[1], "histogram",
        "Time of a database statement from its sending to its end.");
    ngx_str_set(&label[0], "statement");

    for (i = 0; i < NGX_HTTP_IMS_MEMBER_SQL_N; i++) {
        label[1] = ngx_http_ims_member_status_statements[i];
        ngx_http_ims_member_status_histogram(out, label, &m->stmt[i],
                                      ngx_http_ims_member_status_times,
                                      NGX_HTTP_IMS_MEMBER_METRICS_TIMES, 1);
    }

    ngx_http_ims_member_status_family(out,
        &ngx_http_ims_member_status_histograms[2], "histogram",
        "Updates in each group commit statement.");
    ngx_http_ims_member_status_histogram(out, NULL, &m->group,
                                      ngx_http_ims_member_status_sizes,
                                      NGX_HTTP_IMS_MEMBER_METRICS_SIZES, 0);

    /* the families of one value each, or of a few labelled ones */

    for (f = ngx_http_ims_member_status_families; f->name.len; f++) {

        if (f->type) {
            ngx_http_ims_member_status_family(out, &f->name, f->type,
                                              f->help);
        }

        v = (f->counter >= 0) ? m->counter[f->counter]
                              : *(ngx_uint_t *) ((u_char *) &sum + f->offset);

        ngx_http_ims_member_status_sample(out, "", f->label,
                                          f->label[0].len ? 1 : 0,
                                          f->seconds ? v * 1000 : v,
                                          f->seconds);
    }

    ngx_http_ims_member_status_end(out);

    if (out->json) {
        out->pos = ngx_slprintf(out->pos, out->last, "]}\n");
    }
}


static void
ngx_http_ims_member_status_requests(ngx_http_ims_member_status_out_t *out,
    ngx_http_ims_member_metrics_t *m)
{
    u_char                        *p, buf[NGX_INT_T_LEN];
    ngx_str_t                      label[6];
    ngx_uint_t                     i, endpoint, status, cause;
    uint64_t                       n;
    ngx_http_ims_member_cause_t   *c;

    static ngx_str_t  requests = ngx_string("ims_member_requests_total");

    ngx_http_ims_member_status_family(out, &requests, "counter",
        "Requests answered, by endpoint, status and cause code.");

    ngx_str_set(&label[0], "endpoint");
    ngx_str_set(&label[2], "status");
    ngx_str_set(&label[4], "code");

    for (i = 0; i < NGX_HTTP_IMS_MEMBER_ANSWERS; i++) {
        n = m->n[i];

        if (n == 0
            || !ngx_http_ims_member_metrics_answer_key(m->key[i], &endpoint,
                                                       &status, &cause)
            || endpoint >= NGX_HTTP_IMS_MEMBER_EP_N)
        {
            continue;
        }

        label[1] = ngx_http_ims_member_metrics_endpoints[endpoint];

        p = ngx_sprintf(buf, "%ui", status);
        label[3].data = buf;
        label[3].len = p - buf;

        ngx_str_null(&label[5]);

        if (cause != NGX_HTTP_IMS_MEMBER_OK
            && cause < NGX_HTTP_IMS_MEMBER_ERR_LAST)
        {
            c = ngx_http_ims_member_cause(cause);
            label[5] = c->code->code;
        }

        ngx_http_ims_member_status_sample(out, "", label, 3, n, 0);
    }

    n = m->counter[NGX_HTTP_IMS_MEMBER_M_REQUESTS_UNCOUNTED];

    if (n) {
        ngx_str_set(&label[1], "other");
        ngx_str_set(&label[3], "000");
        ngx_str_null(&label[5]);
        ngx_http_ims_member_status_sample(out, "", label, 3, n, 0);
    }
}


/* a family's header; in JSON, the end of the one before */

static void
ngx_http_ims_member_status_family(ngx_http_ims_member_status_out_t *out,
    ngx_str_t *name, char *type, char *help)
{
    if (!out->json) {
        out->pos = ngx_slprintf(out->pos, out->last,
                                "# HELP %V %s\n# TYPE %V %s\n",
                                name, help, name, type);
        out->name = name;
        return;
    }

    if (out->name) {
        out->pos = ngx_slprintf(out->pos, out->last, "]},");
    }

    out->pos = ngx_slprintf(out->pos, out->last,
                            "{\"name\":\"%V\",\"type\":\"%s\","
                            "\"help\":\"%s\",\"samples\":[",
                            name, type, help);
    out->name = name;
    out->samples = 0;
}


static void
ngx_http_ims_member_status_end(ngx_http_ims_member_status_out_t *out)
{
    if (out->json && out->name) {
        out->pos = ngx_slprintf(out->pos, out->last, "]}");
    }
}


/*
 * One sample of the current family: its name's suffix, n label pairs
 * (a name, then its value: our own words and codes, nothing to escape),
 * and the value, a count, or microseconds written as seconds.
 */

static void
ngx_http_ims_member_status_sample(ngx_http_ims_member_status_out_t *out,
    char *suffix, ngx_str_t *labels, ngx_uint_t n, uint64_t value,
    ngx_uint_t usec)
{
    ngx_uint_t  i;

    if (out->json) {
        out->pos = ngx_slprintf(out->pos, out->last, "%s{\"name\":\"%V%s\","
                                "\"labels\":{",
                                out->samples ? "," : "", out->name, suffix);

        for (i = 0; i < n; i++) {
            out->pos = ngx_slprintf(out->pos, out->last, "%s\"%V\":\"%V\"",
                                    i ? "," : "", &labels[2 * i],
                                    &labels[2 * i + 1]);
        }

        out->pos = ngx_slprintf(out->pos, out->last, "},\"value\":");

    } else {
        out->pos = ngx_slprintf(out->pos, out->last, "%V%s", out->name,
                                suffix);

        for (i = 0; i < n; i++) {
            out->pos = ngx_slprintf(out->pos, out->last, "%s%V=\"%V\"",
                                    i ? "," : "{", &labels[2 * i],
                                    &labels[2 * i + 1]);
        }

        out->pos = ngx_slprintf(out->pos, out->last, "%s ", n ? "}" : "");
    }

    if (usec) {
        out->pos = ngx_slprintf(out->pos, out->last, "%uL.%06uL",
                                value / 1000000, value % 1000000);

    } else {
        out->pos = ngx_slprintf(out->pos, out->last, "%uL", value);
    }

    out->pos = ngx_slprintf(out->pos, out->last, out->json ? "}" : "\n");
    out->samples++;
}


/*
 * Cumulative buckets, the sum and the count; none for an empty one with
 * a label (an endpoint or statement not used), all for one without.
 */

static void
ngx_http_ims_member_status_histogram(ngx_http_ims_member_status_out_t *out,
    ngx_str_t *label, ngx_http_ims_member_metrics_hist_t *h,
    ngx_str_t *bounds, ngx_uint_t n, ngx_uint_t usec)
{
    uint64_t    count;
    ngx_str_t   labels[4];
    ngx_uint_t  i, k;

    count = 0;

    for (i = 0; i <= n; i++) {
        count += h->bucket[i];
    }

    if (count == 0 && label) {
        return;
    }

    k = 0;

    if (label) {
        labels[0] = label[0];
        labels[1] = label[1];
        k = 1;
    }

    ngx_str_set(&labels[2 * k], "le");
    count = 0;

    for (i = 0; i <= n; i++) {
        count += h->bucket[i];
        labels[2 * k + 1] = bounds[i];
        ngx_http_ims_member_status_sample(out, "_bucket", labels, k + 1,
                                          count, 0);
    }

    ngx_http_ims_member_status_sample(out, "_sum", labels, k, h->sum, usec);
    ngx_http_ims_member_status_sample(out, "_count", labels, k, count, 0);
}
