
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_keystone_cache.h"


/*
 * What Keystone said of recent tokens, shared by the workers: a red-black
 * tree keyed by the token's SHA-256 and a queue from the most to the least
 * recently used entry, evicted from its tail when the zone is full.  The
 * token itself never enters the zone.
 */

/* the key: NGX_HTTP_IMS_MEMBER_KEYSTONE_KEY_LEN bytes */

typedef struct {
    ngx_rbtree_node_t                   node;
    ngx_queue_t                         queue;
    time_t                              expire;
    u_char                              key[32];
    u_char                              kind;
    u_char                              project_len;
    u_short                             roles_len;
    u_char                              data[1];
} ngx_http_ims_member_keystone_node_t;


typedef struct {
    ngx_rbtree_t                        rbtree;
    ngx_rbtree_node_t                   sentinel;
    ngx_queue_t                         queue;
} ngx_http_ims_member_keystone_sh_t;


typedef struct {
    ngx_http_ims_member_keystone_sh_t  *sh;
    ngx_slab_pool_t                    *shpool;
} ngx_http_ims_member_keystone_cache_t;


static ngx_int_t ngx_http_ims_member_keystone_cache_init(
    ngx_shm_zone_t *shm_zone, void *data);
static void ngx_http_ims_member_keystone_rbtree_insert(
    ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel);
static ngx_http_ims_member_keystone_node_t *
    ngx_http_ims_member_keystone_lookup(
    ngx_http_ims_member_keystone_cache_t *cache, u_char *key);
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

    shm_zone->init = ngx_http_ims_member_keystone_cache_init;
    shm_zone->data = cache;

    return shm_zone;
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

    p = ngx_pnalloc(pool, kn->project_len + kn->roles_len + 1);
    if (p == NULL) {
        rc = NGX_ERROR;
        goto done;
    }

    entry->project.data = p;
    p = ngx_cpymem(p, kn->data, kn->project_len);

    entry->roles.data = p;
    ngx_memcpy(p, kn->data + kn->project_len, kn->roles_len);

    rc = NGX_OK;

done:

    ngx_shmtx_unlock(&cache->shpool->mutex);

    return rc;
}


/* remembers an entry, replacing one of the same key; best effort */

void
ngx_http_ims_member_keystone_cache_put(ngx_shm_zone_t *zone, u_char *key,
    ngx_http_ims_member_keystone_entry_t *entry, ngx_log_t *log)
{
    size_t                                 size;
    ngx_uint_t                             n;
    ngx_queue_t                           *q;
    ngx_http_ims_member_keystone_node_t   *kn;
    ngx_http_ims_member_keystone_cache_t  *cache;

    size = offsetof(ngx_http_ims_member_keystone_node_t, data)
           + entry->project.len + entry->roles.len;

    /*
     * An entry of more than half a page (a token with very many roles)
     * is not kept: whole pages for it could cost the zone most of its
     * entries.
     */

    if (entry->project.len > 255 || size > ngx_pagesize / 2) {
        return;
    }

    cache = zone->data;

    ngx_shmtx_lock(&cache->shpool->mutex);

    kn = ngx_http_ims_member_keystone_lookup(cache, key);

    if (kn) {
        ngx_http_ims_member_keystone_delete(cache, kn);
    }

    /* up to two expired entries at the tail make room first */

    for (n = 0; n < 2 && !ngx_queue_empty(&cache->sh->queue); n++) {
        q = ngx_queue_last(&cache->sh->queue);
        kn = ngx_queue_data(q, ngx_http_ims_member_keystone_node_t, queue);

        if (kn->expire > ngx_time()) {
            break;
        }

        ngx_http_ims_member_keystone_delete(cache, kn);
    }

    for (n = 0; /* void */; n++) {
        kn = ngx_slab_alloc_locked(cache->shpool, size);

        if (kn || ngx_queue_empty(&cache->sh->queue)) {
            break;
        }

        q = ngx_queue_last(&cache->sh->queue);
        ngx_http_ims_member_keystone_delete(cache,
            ngx_queue_data(q, ngx_http_ims_member_keystone_node_t, queue));
    }

    if (kn == NULL) {
        ngx_shmtx_unlock(&cache->shpool->mutex);

        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "ims_member: the keystone cache zone \"%V\" is too "
                      "small for one entry", &zone->shm.name);
        return;
    }

    if (n) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                       "ims_member: keystone cache \"%V\" full, %ui least "
                       "recently used entries dropped", &zone->shm.name, n);
    }

    ngx_memcpy(kn->key, key, NGX_HTTP_IMS_MEMBER_KEYSTONE_KEY_LEN);
    kn->node.key = ngx_http_ims_member_keystone_hash(key);
    kn->kind = (u_char) entry->kind;
    kn->expire = entry->expire;
    kn->project_len = (u_char) entry->project.len;
    kn->roles_len = (u_short) entry->roles.len;

    /* a refused token has neither: no copy from a NULL buffer */

    if (entry->project.len) {
        ngx_memcpy(kn->data, entry->project.data, entry->project.len);
    }

    if (entry->roles.len) {
        ngx_memcpy(kn->data + entry->project.len, entry->roles.data,
                   entry->roles.len);
    }

    ngx_rbtree_insert(&cache->sh->rbtree, &kn->node);
    ngx_queue_insert_head(&cache->sh->queue, &kn->queue);

    ngx_shmtx_unlock(&cache->shpool->mutex);
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
