
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_digest.h"
#include "ngx_http_ims_member_keystone_cache.h"
#include "ngx_http_ims_member_util.h"


/*
 * What Keystone said of recent tokens, shared by the workers: a red-black
 * tree keyed by a SHA-256 of the token and of the Keystone that judged it,
 * and a queue from the most to the least recently used entry, evicted
 * from its tail when the zone is full.  The token itself never enters the
 * zone.
 */


/*
 * Entries dropped at most to store one: every worker waits on the zone's
 * mutex meanwhile.  When that makes no room the entry is not stored, and
 * the zone's size is warned about at most once a minute.
 */
#define NGX_HTTP_IMS_MEMBER_KEYSTONE_EVICT     4
#define NGX_HTTP_IMS_MEMBER_KEYSTONE_EXPIRED   2
#define NGX_HTTP_IMS_MEMBER_KEYSTONE_FULL_LOG  60

/* the key: NGX_HTTP_IMS_MEMBER_KEYSTONE_KEY_LEN bytes */

typedef struct {
    ngx_rbtree_node_t                   node;
    ngx_queue_t                         queue;
    time_t                              expire;
    u_char                              key[32];
    u_char                              kind;
    u_char                              project_len;
    u_char                              user_len;
    u_short                             roles_len;
    u_char                              data[1];
} ngx_http_ims_member_keystone_node_t;


typedef struct {
    ngx_rbtree_t                        rbtree;
    ngx_rbtree_node_t                   sentinel;
    ngx_queue_t                         queue;
    /* when "too small" was last logged */
    time_t                              full_logged;
    /* the entries kept, for the metrics */
    ngx_uint_t                          entries;
} ngx_http_ims_member_keystone_sh_t;


/* one configuration's view of the zone; the zone outlives it on reload */

typedef struct {
    ngx_http_ims_member_keystone_sh_t  *sh;
    ngx_slab_pool_t                    *shpool;
    u_char                              salt[16];
} ngx_http_ims_member_keystone_cache_t;


/* what is hashed before the token: all of fixed size, so unambiguous */

typedef struct {
    u_char                              salt[16];
    void                               *server;
    size_t                              uri_len;
    size_t                              args_len;
} ngx_http_ims_member_keystone_scope_t;


static ngx_int_t ngx_http_ims_member_keystone_cache_init(
    ngx_shm_zone_t *shm_zone, void *data);
static void ngx_http_ims_member_keystone_rbtree_insert(
    ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel);
static ngx_http_ims_member_keystone_node_t *
    ngx_http_ims_member_keystone_lookup(
    ngx_http_ims_member_keystone_cache_t *cache, u_char *key);
static void ngx_http_ims_member_keystone_fill(
    ngx_http_ims_member_keystone_cache_t *cache,
    ngx_http_ims_member_keystone_node_t *kn, u_char *key,
    ngx_http_ims_member_keystone_entry_t *entry);
static void ngx_http_ims_member_keystone_delete(
    ngx_http_ims_member_keystone_cache_t *cache,
    ngx_http_ims_member_keystone_node_t *kn);


#define ngx_http_ims_member_keystone_hash(key)                              \
    (((ngx_rbtree_key_t) (key)[0] << 24) | ((key)[1] << 16)                 \
     | ((key)[2] << 8) | (key)[3])


ngx_shm_zone_t *
ngx_http_ims_member_keystone_cache_add(ngx_conf_t *cf, ngx_str_t *name,
    size_t size)
{
    ngx_shm_zone_t                        *shm_zone;
    ngx_http_ims_member_keystone_cache_t  *cache;

    cache = ngx_pcalloc(cf->pool,
                        sizeof(ngx_http_ims_member_keystone_cache_t));
    if (cache == NULL) {
        return NULL;
    }

    shm_zone = ngx_shared_memory_add(cf, name, size,
                                     &ngx_http_ims_member_module);
    if (shm_zone == NULL) {
        return NULL;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate zone \"%V\"", name);
        return NULL;
    }

    /*
     * A salt of this configuration, shared by its workers: the keys of a
     * reloaded configuration never match the entries of the one before,
     * whose servers' addresses may be reused by other servers; those
     * entries age out.
     */

    if (ngx_http_ims_member_random(cache->salt, sizeof(cache->salt),
                                   cf->log)
        != NGX_OK)
    {
        return NULL;
    }

    shm_zone->init = ngx_http_ims_member_keystone_cache_init;
    shm_zone->data = cache;

    return shm_zone;
}


/*
 * The key of a token's entry: the SHA-256 of this configuration's salt,
 * the server the request runs in and the URI and arguments of the
 * validation's subrequest (these decide the location it reaches, so the
 * Keystone that judges), and the token.  A token one Keystone took is thus
 * never taken where another one asks.  key: the SHA-256's 32 bytes.
 */

ngx_int_t
ngx_http_ims_member_keystone_cache_key(ngx_shm_zone_t *zone, void *server,
    ngx_str_t *uri, ngx_str_t *args, ngx_str_t *token, u_char *key)
{
    ngx_str_t                              parts[4];
    ngx_http_ims_member_keystone_cache_t  *cache;
    ngx_http_ims_member_keystone_scope_t   scope;

    cache = zone->data;

    /* no padding byte left undefined */

    ngx_memzero(&scope, sizeof(ngx_http_ims_member_keystone_scope_t));

    ngx_memcpy(scope.salt, cache->salt, sizeof(cache->salt));
    scope.server = server;
    scope.uri_len = uri->len;
    scope.args_len = args->len;

    parts[0].data = (u_char *) &scope;
    parts[0].len = sizeof(ngx_http_ims_member_keystone_scope_t);
    parts[1] = *uri;
    parts[2] = *args;
    parts[3] = *token;

    return ngx_http_ims_member_sha256_parts(key, parts, 4);
}


static ngx_int_t
ngx_http_ims_member_keystone_cache_init(ngx_shm_zone_t *shm_zone,
    void *data)
{
    ngx_http_ims_member_keystone_cache_t  *ocache = data;

    size_t                                 len;
    ngx_slab_pool_t                       *shpool;
    ngx_http_ims_member_keystone_sh_t     *sh;
    ngx_http_ims_member_keystone_cache_t  *cache;

    cache = shm_zone->data;

    /* a reload keeps what the workers learned */

    if (ocache) {
        cache->sh = ocache->sh;
        cache->shpool = ocache->shpool;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;
    cache->shpool = shpool;

    if (shm_zone->shm.exists) {
        cache->sh = shpool->data;
        return NGX_OK;
    }

    sh = ngx_slab_alloc(shpool, sizeof(ngx_http_ims_member_keystone_sh_t));
    if (sh == NULL) {
        return NGX_ERROR;
    }

    cache->sh = sh;
    shpool->data = sh;

    ngx_rbtree_init(&sh->rbtree, &sh->sentinel,
                    ngx_http_ims_member_keystone_rbtree_insert);
    ngx_queue_init(&sh->queue);
    sh->full_logged = 0;
    sh->entries = 0;

    len = sizeof(" in ims_member_keystone_cache zone \"\"")
          + shm_zone->shm.name.len;

    shpool->log_ctx = ngx_slab_alloc(shpool, len);
    if (shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(shpool->log_ctx,
                " in ims_member_keystone_cache zone \"%V\"%Z",
                &shm_zone->shm.name);

    /* a full zone is normal: the least recently used entries make room */

    shpool->log_nomem = 0;

    return NGX_OK;
}


static void
ngx_http_ims_member_keystone_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t                    **p;
    ngx_http_ims_member_keystone_node_t   *kn, *kt;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else {
            kn = (ngx_http_ims_member_keystone_node_t *) node;
            kt = (ngx_http_ims_member_keystone_node_t *) temp;

            p = (ngx_memcmp(kn->key, kt->key,
                            NGX_HTTP_IMS_MEMBER_KEYSTONE_KEY_LEN) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/*
 * NGX_OK: a live entry, copied into "pool"; NGX_DECLINED: none (an expired
 * one is dropped on the way).
 */

ngx_int_t
ngx_http_ims_member_keystone_cache_get(ngx_shm_zone_t *zone, u_char *key,
    ngx_http_ims_member_keystone_entry_t *entry, ngx_pool_t *pool)
{
    u_char                                *p;
    ngx_int_t                              rc;
    ngx_http_ims_member_keystone_node_t   *kn;
    ngx_http_ims_member_keystone_cache_t  *cache;

    cache = zone->data;

    ngx_shmtx_lock(&cache->shpool->mutex);

    kn = ngx_http_ims_member_keystone_lookup(cache, key);

    if (kn == NULL) {
        rc = NGX_DECLINED;
        goto done;
    }

    if (kn->expire <= ngx_time()) {
        ngx_http_ims_member_keystone_delete(cache, kn);
        rc = NGX_DECLINED;
        goto done;
    }

    ngx_queue_remove(&kn->queue);
    ngx_queue_insert_head(&cache->sh->queue, &kn->queue);

    entry->kind = kn->kind;
    entry->expire = kn->expire;
    entry->project.len = kn->project_len;
    entry->roles.len = kn->roles_len;
    entry->user.len = kn->user_len;

    p = ngx_pnalloc(pool, kn->project_len + kn->roles_len + kn->user_len
                          + 1);
    if (p == NULL) {
        rc = NGX_ERROR;
        goto done;
    }

    entry->project.data = p;
    p = ngx_cpymem(p, kn->data, kn->project_len);

    entry->roles.data = p;
    p = ngx_cpymem(p, kn->data + kn->project_len, kn->roles_len);

    entry->user.data = p;
    ngx_memcpy(p, kn->data + kn->project_len + kn->roles_len, kn->user_len);

    rc = NGX_OK;

done:

    ngx_shmtx_unlock(&cache->shpool->mutex);

    return rc;
}


/* how many entries the zone holds: one word, read without the lock */

ngx_uint_t
ngx_http_ims_member_keystone_cache_entries(ngx_shm_zone_t *zone)
{
    ngx_http_ims_member_keystone_cache_t  *cache;

    cache = zone->data;

    return cache->sh->entries;
}


/* remembers an entry, replacing one of the same key; best effort */

void
ngx_http_ims_member_keystone_cache_put(ngx_shm_zone_t *zone, u_char *key,
    ngx_http_ims_member_keystone_entry_t *entry, ngx_log_t *log,
    ngx_http_ims_member_metrics_t *metrics)
{
    size_t                                 size;
    time_t                                 now;
    ngx_uint_t                             n, expired, full;
    ngx_queue_t                           *q;
    ngx_http_ims_member_keystone_node_t   *kn;
    ngx_http_ims_member_keystone_cache_t  *cache;

    size = offsetof(ngx_http_ims_member_keystone_node_t, data)
           + entry->project.len + entry->roles.len + entry->user.len;

    /*
     * An entry of more than half a page (a token with very many roles)
     * is not kept: whole pages for it could cost the zone most of its
     * entries.
     */

    if (entry->project.len > 255 || entry->user.len > 255
        || size > ngx_pagesize / 2)
    {
        return;
    }

    cache = zone->data;
    now = ngx_time();

    ngx_shmtx_lock(&cache->shpool->mutex);

    kn = ngx_http_ims_member_keystone_lookup(cache, key);

    if (kn) {
        ngx_http_ims_member_keystone_delete(cache, kn);
    }

    /* expired entries at the least recently used end go first */

    for (n = 0; n < NGX_HTTP_IMS_MEMBER_KEYSTONE_EXPIRED; n++) {

        if (ngx_queue_empty(&cache->sh->queue)) {
            break;
        }

        q = ngx_queue_last(&cache->sh->queue);
        kn = ngx_queue_data(q, ngx_http_ims_member_keystone_node_t, queue);

        if (kn->expire > now) {
            break;
        }

        ngx_http_ims_member_keystone_delete(cache, kn);
    }

    expired = n;

    /* then the least recently used ones, a bounded number */

    for ( ;; ) {
        kn = ngx_slab_alloc_locked(cache->shpool, size);

        if (kn
            || n == NGX_HTTP_IMS_MEMBER_KEYSTONE_EVICT
            || ngx_queue_empty(&cache->sh->queue))
        {
            break;
        }

        q = ngx_queue_last(&cache->sh->queue);
        ngx_http_ims_member_keystone_delete(cache,
            ngx_queue_data(q, ngx_http_ims_member_keystone_node_t, queue));
        n++;
    }

    full = 0;

    if (kn) {
        ngx_http_ims_member_keystone_fill(cache, kn, key, entry);

    } else if (now - cache->sh->full_logged
               >= NGX_HTTP_IMS_MEMBER_KEYSTONE_FULL_LOG)
    {
        cache->sh->full_logged = now;
        full = 1;
    }

    ngx_shmtx_unlock(&cache->shpool->mutex);

    ngx_http_ims_member_metrics_add(metrics,
                                    NGX_HTTP_IMS_MEMBER_M_KEYSTONE_EVICTIONS,
                                    n - expired);

    /* the log is written outside the lock */

    if (n) {
        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, log, 0,
                       "ims_member: keystone cache \"%V\": %ui evicted "
                       "(%ui expired) for one entry",
                       &zone->shm.name, n, expired);
    }

    if (kn) {
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, log, 0,
                   "ims_member: keystone cache \"%V\": no room, the entry "
                   "is not stored", &zone->shm.name);

    if (full) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "ims_member: the ims_member_keystone_cache zone "
                      "\"%V\" is too small: after %ui evictions an entry "
                      "of %uz bytes found no room and is not cached, so "
                      "Keystone is asked again for its token; a larger "
                      "zone helps (logged at most once a minute)",
                      &zone->shm.name, n, size);
    }
}


/* a new entry, into the tree and at the head of the queue */

static void
ngx_http_ims_member_keystone_fill(
    ngx_http_ims_member_keystone_cache_t *cache,
    ngx_http_ims_member_keystone_node_t *kn, u_char *key,
    ngx_http_ims_member_keystone_entry_t *entry)
{
    cache->sh->entries++;

    ngx_memcpy(kn->key, key, NGX_HTTP_IMS_MEMBER_KEYSTONE_KEY_LEN);
    kn->node.key = ngx_http_ims_member_keystone_hash(key);
    kn->kind = (u_char) entry->kind;
    kn->expire = entry->expire;
    kn->project_len = (u_char) entry->project.len;
    kn->roles_len = (u_short) entry->roles.len;
    kn->user_len = (u_char) entry->user.len;

    /* a refused token has neither: no copy from a NULL buffer */

    if (entry->project.len) {
        ngx_memcpy(kn->data, entry->project.data, entry->project.len);
    }

    if (entry->roles.len) {
        ngx_memcpy(kn->data + entry->project.len, entry->roles.data,
                   entry->roles.len);
    }

    if (entry->user.len) {
        ngx_memcpy(kn->data + entry->project.len + entry->roles.len,
                   entry->user.data, entry->user.len);
    }

    ngx_rbtree_insert(&cache->sh->rbtree, &kn->node);
    ngx_queue_insert_head(&cache->sh->queue, &kn->queue);
}


static ngx_http_ims_member_keystone_node_t *
ngx_http_ims_member_keystone_lookup(
    ngx_http_ims_member_keystone_cache_t *cache, u_char *key)
{
    ngx_int_t                             rc;
    ngx_rbtree_key_t                      hash;
    ngx_rbtree_node_t                    *node, *sentinel;
    ngx_http_ims_member_keystone_node_t  *kn;

    hash = ngx_http_ims_member_keystone_hash(key);

    node = cache->sh->rbtree.root;
    sentinel = cache->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash < node->key) {
            node = node->left;
            continue;
        }

        if (hash > node->key) {
            node = node->right;
            continue;
        }

        kn = (ngx_http_ims_member_keystone_node_t *) node;

        rc = ngx_memcmp(key, kn->key, NGX_HTTP_IMS_MEMBER_KEYSTONE_KEY_LEN);

        if (rc == 0) {
            return kn;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


static void
ngx_http_ims_member_keystone_delete(
    ngx_http_ims_member_keystone_cache_t *cache,
    ngx_http_ims_member_keystone_node_t *kn)
{
    ngx_queue_remove(&kn->queue);
    ngx_rbtree_delete(&cache->sh->rbtree, &kn->node);
    ngx_slab_free_locked(cache->shpool, kn);
    cache->sh->entries--;
}


/* zone=NAME:SIZE [valid=TIME] [invalid=TIME] */

char *
ngx_http_ims_member_keystone_cache(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_ims_member_main_conf_t  *imcf = conf;

    u_char      *p;
    time_t       t;
    ssize_t      size;
    ngx_str_t   *value, name, s;
    ngx_uint_t   i;

    if (imcf->keystone_cache) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ngx_str_null(&name);
    size = 0;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {

            name.data = value[i].data + 5;

            p = ngx_strlchr(name.data, value[i].data + value[i].len, ':');

            if (p == NULL || p == name.data) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid zone \"%V\": use "
                                   "zone=NAME:SIZE", &value[i]);
                return NGX_CONF_ERROR;
            }

            name.len = p - name.data;

            s.data = p + 1;
            s.len = value[i].data + value[i].len - s.data;

            size = ngx_parse_size(&s);

            if (size == NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid zone size \"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            if (size < (ssize_t) (8 * ngx_pagesize)) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "zone \"%V\" is too small: at least "
                                   "%uz bytes", &value[i], 8 * ngx_pagesize);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "valid=", 6) == 0
            || ngx_strncmp(value[i].data, "invalid=", 8) == 0)
        {
            p = ngx_strlchr(value[i].data, value[i].data + value[i].len, '=');

            s.data = p + 1;
            s.len = value[i].data + value[i].len - s.data;

            t = ngx_parse_time(&s, 1);

            if (t == (time_t) NGX_ERROR || t == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid time \"%V\": a time of at "
                                   "least one second, e.g. 5m", &value[i]);
                return NGX_CONF_ERROR;
            }

            if (value[i].data[0] == 'v') {
                imcf->keystone_valid = t;

            } else {
                imcf->keystone_invalid = t;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must have the \"zone\" parameter",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    imcf->keystone_cache = ngx_http_ims_member_keystone_cache_add(cf, &name,
                                                                  size);
    if (imcf->keystone_cache == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
