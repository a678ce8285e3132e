
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_module.h"
#include "ngx_http_ims_member_answer.h"
#include "ngx_http_ims_member_handler.h"
#include "ngx_http_ims_member_schemas.h"


/*
 * The member schemas as Glance serves them; OpenStack clients load them
 * before they parse a member (python-glanceclient builds its model from
 * them), so the properties and their constraints are Glance's.
 */

#define NGX_HTTP_IMS_MEMBER_SCHEMA_PROPERTIES                                \
    "\"properties\": {"                                                      \
    "\"member_id\": {\"type\": \"string\", \"description\": "                \
        "\"An identifier for the image member (tenantId)\"}, "               \
    "\"image_id\": {\"type\": \"string\", \"description\": "                 \
        "\"An identifier for the image\", \"pattern\": "                     \
        "\"^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}"              \
        "-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$\"}, "                          \
    "\"created_at\": {\"type\": \"string\", \"description\": "               \
        "\"Date and time of image member creation\"}, "                      \
    "\"updated_at\": {\"type\": \"string\", \"description\": "               \
        "\"Date and time of last modification of image member\"}, "          \
    "\"status\": {\"type\": \"string\", \"description\": "                   \
        "\"The status of this image member\", \"enum\": "                    \
        "[\"pending\", \"accepted\", \"rejected\"]}, "                       \
    "\"schema\": {\"readOnly\": true, \"type\": \"string\"}}"

#define NGX_HTTP_IMS_MEMBER_SCHEMA                                           \
    "{\"name\": \"member\", " NGX_HTTP_IMS_MEMBER_SCHEMA_PROPERTIES "}"

/*
 * The image schema as glance-api 25.1 serves it without extra properties,
 * but for "stores": python-glanceclient asks for it (and two metadefs
 * schemas) before any command, and falls back to API v1 when it can load
 * none of them.  Given a token and an endpoint (no Keystone), it caches
 * the schema where its image commands read their options from, and its
 * own --stores option then conflicts with that property: every later
 * command fails.  The module serves no images, so the schema goes without.
 */

#define NGX_HTTP_IMS_MEMBER_SCHEMA_IMAGE                                     \
    "{\"name\": \"image\", \"properties\": {\"id\": {\"type\": \"string\", " \
    "\"description\": \"An identifier for the image\", \"pattern\": "        \
    "\"^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}"                  \
    "-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$\"}, "                              \
    "\"name\": {\"type\": [\"null\", \"string\"], \"description\": "         \
    "\"Descriptive name for the image\", \"maxLength\": 255}, \"status\": "  \
    "{\"type\": \"string\", \"readOnly\": true, \"description\": \"Status "  \
    "of the image\", \"enum\": [\"queued\", \"saving\", \"active\", "        \
    "\"killed\", \"deleted\", \"uploading\", \"importing\", "                \
    "\"pending_delete\", \"deactivated\"]}, \"visibility\": {\"type\": "     \
    "\"string\", \"description\": \"Scope of image accessibility\", "        \
    "\"enum\": [\"community\", \"public\", \"private\", \"shared\"]}, "      \
    "\"protected\": {\"type\": \"boolean\", \"description\": \"If true, "    \
    "image will not be deletable.\"}, \"os_hidden\": {\"type\": "            \
    "\"boolean\", \"description\": \"If true, image will not appear in "     \
    "default image list response.\"}, \"checksum\": {\"type\": [\"null\", "  \
    "\"string\"], \"readOnly\": true, \"description\": \"md5 hash of image " \
    "contents.\", \"maxLength\": 32}, \"os_hash_algo\": {\"type\": "         \
    "[\"null\", \"string\"], \"readOnly\": true, \"description\": "          \
    "\"Algorithm to calculate the os_hash_value\", \"maxLength\": 64}, "     \
    "\"os_hash_value\": {\"type\": [\"null\", \"string\"], \"readOnly\": "   \
    "true, \"description\": \"Hexdigest of the image contents using the "    \
    "algorithm specified by the os_hash_algo\", \"maxLength\": 128}, "       \
    "\"owner\": {\"type\": [\"null\", \"string\"], \"description\": "        \
    "\"Owner of the image\", \"maxLength\": 255}, \"size\": {\"type\": "     \
    "[\"null\", \"integer\"], \"readOnly\": true, \"description\": \"Size "  \
    "of image file in bytes\"}, \"virtual_size\": {\"type\": [\"null\", "    \
    "\"integer\"], \"readOnly\": true, \"description\": \"Virtual size of "  \
    "image in bytes\"}, \"container_format\": {\"type\": [\"null\", "        \
    "\"string\"], \"description\": \"Format of the container\", \"enum\": "  \
    "[null, \"ami\", \"ari\", \"aki\", \"bare\", \"ovf\", \"ova\", "         \
    "\"docker\", \"compressed\"]}, \"disk_format\": {\"type\": [\"null\", "  \
    "\"string\"], \"description\": \"Format of the disk\", \"enum\": "       \
    "[null, \"ami\", \"ari\", \"aki\", \"vhd\", \"vhdx\", \"vmdk\", "        \
    "\"raw\", \"qcow2\", \"vdi\", \"iso\", \"ploop\"]}, \"created_at\": "    \
    "{\"type\": \"string\", \"readOnly\": true, \"description\": \"Date "    \
    "and time of image registration\"}, \"updated_at\": {\"type\": "         \
    "\"string\", \"readOnly\": true, \"description\": \"Date and time of "   \
    "the last image modification\"}, \"tags\": {\"type\": \"array\", "       \
    "\"description\": \"List of strings related to the image\", \"items\": " \
    "{\"type\": \"string\", \"maxLength\": 255}}, \"direct_url\": "          \
    "{\"type\": \"string\", \"readOnly\": true, \"description\": \"URL to "  \
    "access the image file kept in external store\"}, \"min_ram\": "         \
    "{\"type\": \"integer\", \"description\": \"Amount of ram (in MB) "      \
    "required to boot image.\"}, \"min_disk\": {\"type\": \"integer\", "     \
    "\"description\": \"Amount of disk space (in GB) required to boot "      \
    "image.\"}, \"self\": {\"type\": \"string\", \"readOnly\": true, "       \
    "\"description\": \"An image self url\"}, \"file\": {\"type\": "         \
    "\"string\", \"readOnly\": true, \"description\": \"An image file "      \
    "url\"}, \"schema\": {\"type\": "                                        \
    "\"string\", \"readOnly\": true, \"description\": \"An image schema "    \
    "url\"}, \"locations\": {\"type\": \"array\", \"items\": {\"type\": "    \
    "\"object\", \"properties\": {\"url\": {\"type\": \"string\", "          \
    "\"maxLength\": 255}, \"metadata\": {\"type\": \"object\"}, "            \
    "\"validation_data\": {\"description\": \"Values to be used to "         \
    "populate the corresponding image properties. If the image status is "   \
    "not 'queued', values must exactly match those already contained in "    \
    "the image properties.\", \"type\": \"object\", \"writeOnly\": true, "   \
    "\"additionalProperties\": false, \"properties\": {\"checksum\": "       \
    "{\"type\": \"string\", \"minLength\": 32, \"maxLength\": 32}, "         \
    "\"os_hash_algo\": {\"type\": \"string\", \"maxLength\": 64}, "          \
    "\"os_hash_value\": {\"type\": \"string\", \"maxLength\": 128}}, "       \
    "\"required\": [\"os_hash_algo\", \"os_hash_value\"]}}, \"required\": "  \
    "[\"url\", \"metadata\"]}, \"description\": \"A set of URLs to access "  \
    "the image file kept in external store\"}}, \"additionalProperties\": "  \
    "{\"type\": \"string\"}, \"links\": [{\"rel\": \"self\", \"href\": "     \
    "\"{self}\"}, {\"rel\": \"enclosure\", \"href\": \"{file}\"}, "          \
    "{\"rel\": \"describedby\", \"href\": \"{schema}\"}]}"


static ngx_str_t  ngx_http_ims_member_schema_image =
    ngx_string(NGX_HTTP_IMS_MEMBER_SCHEMA_IMAGE);

static ngx_str_t  ngx_http_ims_member_schema_member =
    ngx_string(NGX_HTTP_IMS_MEMBER_SCHEMA);

static ngx_str_t  ngx_http_ims_member_schema_members =
    ngx_string("{\"name\": \"members\", \"properties\": {"
               "\"members\": {\"type\": \"array\", \"items\": "
               NGX_HTTP_IMS_MEMBER_SCHEMA "}, "
               "\"schema\": {\"type\": \"string\"}}, "
               "\"links\": [{\"rel\": \"describedby\", "
               "\"href\": \"{schema}\"}]}");


ngx_int_t
ngx_http_ims_member_schemas_handler(ngx_http_request_t *r)
{
    ngx_int_t   rc;
    ngx_str_t  *schema;

    rc = ngx_http_ims_member_handle_static(r);

    if (rc != NGX_OK) {
        return rc;
    }

    if (r->uri.len == sizeof("/v2/schemas/member") - 1
        && ngx_strncmp(r->uri.data, "/v2/schemas/member", r->uri.len) == 0)
    {
        schema = &ngx_http_ims_member_schema_member;

    } else if (r->uri.len == sizeof("/v2/schemas/members") - 1
               && ngx_strncmp(r->uri.data, "/v2/schemas/members",
                              r->uri.len)
                  == 0)
    {
        schema = &ngx_http_ims_member_schema_members;

    } else if (r->uri.len == sizeof("/v2/schemas/image") - 1
               && ngx_strncmp(r->uri.data, "/v2/schemas/image", r->uri.len)
                  == 0)
    {
        schema = &ngx_http_ims_member_schema_image;

    } else {
        return ngx_http_ims_member_send_error(r,
                                           NGX_HTTP_IMS_MEMBER_ERR_NOT_FOUND);
    }

    return ngx_http_ims_member_send(r, NGX_HTTP_OK, schema);
}
