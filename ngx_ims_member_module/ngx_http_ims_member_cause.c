
/*
 * Copyright (C) The ngx_ims_member_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_ims_member_cause.h"


/*
 * Every cause of an error answer, with its two answers: IMS's (a status,
 * and a code with its message) and Glance's ("ims_member_errors glance":
 * glance-api 25.1's status and explanation).  The codes are IMS's
 * published ones (api-ref/source/error_codes.rst of the IMS API
 * reference), each with the table's message verbatim and only for the
 * meaning the table gives it; the causes the table has no code for take
 * the module's own codes, IMG.9001 on (the table uses no IMG.9xxx).  The
 * HTTP statuses are the API's own (Glance's, where Glance has the call),
 * not the table's 400.
 */

#define ngx_http_ims_member_published(code, message)                         \
    { ngx_string(code), ngx_string(message), 1 }

#define ngx_http_ims_member_own(code, message)                               \
    { ngx_string(code), ngx_string(message), 0 }

#define ngx_http_ims_member_row(err, status, code, gstatus, gargs, glance)   \
    { NGX_HTTP_IMS_MEMBER_##err, status,                                      \
      &ngx_http_ims_member_code_table[code], gstatus, gargs,                  \
      ngx_string(glance) }


/* indexes of the code table */

#define NGX_HTTP_IMS_MEMBER_NO_CODE   0
#define NGX_HTTP_IMS_MEMBER_IMG_0001  1
#define NGX_HTTP_IMS_MEMBER_IMG_0007  2
#define NGX_HTTP_IMS_MEMBER_IMG_0017  3
#define NGX_HTTP_IMS_MEMBER_IMG_0026  4
#define NGX_HTTP_IMS_MEMBER_IMG_0027  5
#define NGX_HTTP_IMS_MEMBER_IMG_0030  6
#define NGX_HTTP_IMS_MEMBER_IMG_0047  7
#define NGX_HTTP_IMS_MEMBER_IMG_0061  8
#define NGX_HTTP_IMS_MEMBER_IMG_0066  9
#define NGX_HTTP_IMS_MEMBER_IMG_0067  10
#define NGX_HTTP_IMS_MEMBER_IMG_0076  11
#define NGX_HTTP_IMS_MEMBER_IMG_0083  12
#define NGX_HTTP_IMS_MEMBER_IMG_0084  13
#define NGX_HTTP_IMS_MEMBER_IMG_0087  14
#define NGX_HTTP_IMS_MEMBER_IMG_0088  15
#define NGX_HTTP_IMS_MEMBER_IMG_0089  16
#define NGX_HTTP_IMS_MEMBER_IMG_0105  17
#define NGX_HTTP_IMS_MEMBER_IMG_0135  18
#define NGX_HTTP_IMS_MEMBER_IMG_0161  19
#define NGX_HTTP_IMS_MEMBER_IMG_9001  20
#define NGX_HTTP_IMS_MEMBER_IMG_9002  21
#define NGX_HTTP_IMS_MEMBER_IMG_9003  22
#define NGX_HTTP_IMS_MEMBER_IMG_9004  23
#define NGX_HTTP_IMS_MEMBER_IMG_9005  24
#define NGX_HTTP_IMS_MEMBER_IMG_9006  25
#define NGX_HTTP_IMS_MEMBER_IMG_9007  26
#define NGX_HTTP_IMS_MEMBER_IMG_9008  27
#define NGX_HTTP_IMS_MEMBER_IMG_9009  28
#define NGX_HTTP_IMS_MEMBER_IMG_9010  29
#define NGX_HTTP_IMS_MEMBER_IMG_9011  30
#define NGX_HTTP_IMS_MEMBER_IMG_9012  31


/* Glance's words (glance/api/v2/image_members.py, glance/common/wsgi.py) */

#define NGX_HTTP_IMS_MEMBER_GLANCE_401                                        \
    "This server could not verify that you are authorized to access the"     \
    " document you requested. Either you supplied the wrong credentials"      \
    " (e.g., bad password), or your browser does not understand how to"       \
    " supply the credentials required."

#define NGX_HTTP_IMS_MEMBER_GLANCE_500                                        \
    "The server has either erred or is incapable of performing the"          \
    " requested operation."

#define NGX_HTTP_IMS_MEMBER_GLANCE_404                                        \
    "The resource could not be found."

#define NGX_HTTP_IMS_MEMBER_GLANCE_UPDATE                                     \
    "Not allowed to update members for image %V."

#define NGX_HTTP_IMS_MEMBER_GLANCE_CREATE                                     \
    "Not allowed to create members for image %V."

#define NGX_HTTP_IMS_MEMBER_GLANCE_DELETE                                     \
    "Not allowed to delete members for image %V."

#define NGX_HTTP_IMS_MEMBER_GLANCE_LIST                                       \
    "Not allowed to list members for image %V: Only shared images have"      \
    " members."

#define NGX_HTTP_IMS_MEMBER_GLANCE_SHOW                                       \
    "Only shared images have members."

#define NGX_HTTP_IMS_MEMBER_GLANCE_NO_MEMBER                                  \
    "%V not found in the member list of the image %V."

#define NGX_HTTP_IMS_MEMBER_GLANCE_MEMBER_FIELD                               \
    "Field \"member\" is required and must be a project id: a non-empty"     \
    " string of at most 255 characters."

#define NGX_HTTP_IMS_MEMBER_GLANCE_POLICY(action)                             \
    "You are not authorized to complete " action " action."


static ngx_http_ims_member_code_t  ngx_http_ims_member_code_table[] = {

    ngx_http_ims_member_own("", ""),

    ngx_http_ims_member_published("IMG.0001",
        "The request message format is invalid."),
    ngx_http_ims_member_published("IMG.0007",
        "The request body is empty."),
    ngx_http_ims_member_published("IMG.0017",
        "The URL format is incorrect."),
    ngx_http_ims_member_published("IMG.0026",
        "The role is invalid. You need to apply for the required"
        " permissions or pass the real-name authentication."),
    ngx_http_ims_member_published("IMG.0027",
        "The image ID in the request does not exist."),
    ngx_http_ims_member_published("IMG.0030",
        "The project ID and token in the request are invalid."),
    ngx_http_ims_member_published("IMG.0047",
        "This operation can be performed only by the image owner."),
    ngx_http_ims_member_published("IMG.0061",
        "Unknown system error."),
    ngx_http_ims_member_published("IMG.0066",
        "The image ID is incorrect."),
    ngx_http_ims_member_published("IMG.0067",
        "The project ID is incorrect."),
    ngx_http_ims_member_published("IMG.0076",
        "You cannot share an image with yourself."),
    ngx_http_ims_member_published("IMG.0083",
        "The image is a public image."),
    ngx_http_ims_member_published("IMG.0084",
        "The image is a private image."),
    ngx_http_ims_member_published("IMG.0087",
        "The token is incorrect."),
    ngx_http_ims_member_published("IMG.0088",
        "The number of shared images has reached the maximum allowed."),
    ngx_http_ims_member_published("IMG.0089",
        "The public image cannot be shared."),
    ngx_http_ims_member_published("IMG.0105",
        "The operation is not supported."),
    ngx_http_ims_member_published("IMG.0135",
        "The full-ECS image cannot be shared."),
    ngx_http_ims_member_published("IMG.0161",
        "You do not have permission."),

    ngx_http_ims_member_own("IMG.9001",
        "A project-scoped token is required: this token is scoped to a"
        " domain or to the system, not to a project."),
    ngx_http_ims_member_own("IMG.9002",
        "The identity service cannot validate the token now; retry later."),
    ngx_http_ims_member_own("IMG.9003",
        "The image database is unavailable; retry later."),
    ngx_http_ims_member_own("IMG.9004",
        "Too many requests are waiting for the image database; retry"
        " later."),
    ngx_http_ims_member_own("IMG.9005",
        "This project is not a live member of the image, or not one your"
        " project may see or change."),
    ngx_http_ims_member_own("IMG.9006",
        "This project is already a member of the image."),
    ngx_http_ims_member_own("IMG.9007",
        "This full-ECS image was created from a CBR backup: accepting it"
        " requires \"vault_id\", the vault to store its backup in."),
    ngx_http_ims_member_own("IMG.9008",
        "Field \"images\" holds more images than one request may carry;"
        " split the request."),
    ngx_http_ims_member_own("IMG.9009",
        "Fields \"images\" and \"projects\" make more image-project pairs"
        " than one request may carry; split the request."),
    ngx_http_ims_member_own("IMG.9010",
        "No such job of your project."),
    ngx_http_ims_member_own("IMG.9011",
        "The image is a community image: only shared images have"
        " members."),
    ngx_http_ims_member_own("IMG.9012",
        "The job failed too often; the server could not run it."),
};


/*
 * Indexed by NGX_HTTP_IMS_MEMBER_ERR_*: IMS's status and code, Glance's
 * status, the ids its explanation names and the explanation (empty: the
 * code's message, for the causes of the module's own rules and of the
 * batch's endpoints, which are not Glance's)
 */

static ngx_http_ims_member_cause_t  ngx_http_ims_member_causes[] = {

    ngx_http_ims_member_row(OK, NGX_HTTP_OK, NGX_HTTP_IMS_MEMBER_NO_CODE,
        NGX_HTTP_OK, 0, ""),

    /* no token, or one unknown, expired or revoked */
    ngx_http_ims_member_row(ERR_UNAUTHORIZED, NGX_HTTP_UNAUTHORIZED,
        NGX_HTTP_IMS_MEMBER_IMG_0087,
        NGX_HTTP_UNAUTHORIZED, 0, NGX_HTTP_IMS_MEMBER_GLANCE_401),

    /* to Glance's keystonemiddleware, a caller not known */
    ngx_http_ims_member_row(ERR_UNSCOPED, NGX_HTTP_UNAUTHORIZED,
        NGX_HTTP_IMS_MEMBER_IMG_9001,
        NGX_HTTP_UNAUTHORIZED, 0, NGX_HTTP_IMS_MEMBER_GLANCE_401),

    /* Keystone cannot tell; Glance's middleware defers, 401 */
    ngx_http_ims_member_row(ERR_IDENTITY, NGX_HTTP_SERVICE_UNAVAILABLE,
        NGX_HTTP_IMS_MEMBER_IMG_9002,
        NGX_HTTP_UNAUTHORIZED, 0, NGX_HTTP_IMS_MEMBER_GLANCE_401),

    /* the database; to Glance, a 500 */
    ngx_http_ims_member_row(ERR_UNAVAILABLE, NGX_HTTP_SERVICE_UNAVAILABLE,
        NGX_HTTP_IMS_MEMBER_IMG_9003,
        NGX_HTTP_INTERNAL_SERVER_ERROR, 0, NGX_HTTP_IMS_MEMBER_GLANCE_500),

    /* ims_member_queue is full */
    ngx_http_ims_member_row(ERR_BUSY, NGX_HTTP_SERVICE_UNAVAILABLE,
        NGX_HTTP_IMS_MEMBER_IMG_9004,
        NGX_HTTP_INTERNAL_SERVER_ERROR, 0, NGX_HTTP_IMS_MEMBER_GLANCE_500),

    ngx_http_ims_member_row(ERR_INTERNAL, NGX_HTTP_INTERNAL_SERVER_ERROR,
        NGX_HTTP_IMS_MEMBER_IMG_0061,
        NGX_HTTP_INTERNAL_SERVER_ERROR, 0, NGX_HTTP_IMS_MEMBER_GLANCE_500),

    /* the URL names nothing */
    ngx_http_ims_member_row(ERR_NOT_FOUND, NGX_HTTP_NOT_FOUND,
        NGX_HTTP_IMS_MEMBER_IMG_0017,
        NGX_HTTP_NOT_FOUND, 0, NGX_HTTP_IMS_MEMBER_GLANCE_404),

    /* nginx's 405, or Glance's page (glance.c) */
    ngx_http_ims_member_row(ERR_NOT_ALLOWED, NGX_HTTP_NOT_ALLOWED,
        NGX_HTTP_IMS_MEMBER_NO_CODE,
        NGX_HTTP_NOT_ALLOWED, 0, ""),

    ngx_http_ims_member_row(ERR_BODY, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_0001,
        NGX_HTTP_BAD_REQUEST, 0, "Malformed JSON in request body."),

    ngx_http_ims_member_row(ERR_BODY_EMPTY, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_0007,
        NGX_HTTP_BAD_REQUEST, 0, "Body expected in request."),

    ngx_http_ims_member_row(ERR_BODY_TYPE, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_0001,
        NGX_HTTP_BAD_REQUEST, 0,
        "Unexpected body type. Expected list/dict."),

    ngx_http_ims_member_row(ERR_BODY_LIST, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_0001,
        NGX_HTTP_BAD_REQUEST, 0,
        "Expected a status in the form: {\"status\": \"status\"}"),

    /* a body on a GET or a DELETE */
    ngx_http_ims_member_row(ERR_BODY_REJECT, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_0001,
        NGX_HTTP_BAD_REQUEST, 0,
        "A body is not expected with this request."),

    ngx_http_ims_member_row(ERR_STATUS, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_0001,
        NGX_HTTP_BAD_REQUEST, 0, "Status not specified"),

    ngx_http_ims_member_row(ERR_STATUS_VALUE, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_0001,
        NGX_HTTP_BAD_REQUEST, 0,
        "Incorrect request: Status must be \"pending\", \"accepted\" or"
        " \"rejected\"."),

    /* the module's own field, its own words */
    ngx_http_ims_member_row(ERR_VAULT, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_0001,
        NGX_HTTP_BAD_REQUEST, 0,
        "Field \"vault_id\", when given, must be a non-empty string."),

    /* not a string, too long (Glance's database fails) */
    ngx_http_ims_member_row(ERR_MEMBER_FIELD, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_0067,
        NGX_HTTP_BAD_REQUEST, 0, NGX_HTTP_IMS_MEMBER_GLANCE_MEMBER_FIELD),

    ngx_http_ims_member_row(ERR_MEMBER_MISSING, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_0067,
        NGX_HTTP_BAD_REQUEST, 0, "Member to be added not specified"),

    ngx_http_ims_member_row(ERR_MEMBER_EMPTY, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_0067,
        NGX_HTTP_BAD_REQUEST, 0, "Member can't be empty"),

    ngx_http_ims_member_row(ERR_MEMBER_FORM, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_0001,
        NGX_HTTP_BAD_REQUEST, 0,
        "Expected a member in the form: {\"member\": \"image_id\"}"),

    ngx_http_ims_member_row(ERR_IMAGES, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_0066,
        NGX_HTTP_BAD_REQUEST, 0, ""),

    ngx_http_ims_member_row(ERR_TOO_MANY, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_9008,
        NGX_HTTP_BAD_REQUEST, 0, ""),

    ngx_http_ims_member_row(ERR_TOO_MANY_PAIRS, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_9009,
        NGX_HTTP_BAD_REQUEST, 0, ""),

    ngx_http_ims_member_row(ERR_PROJECT, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_0067,
        NGX_HTTP_BAD_REQUEST, 0, ""),

    ngx_http_ims_member_row(ERR_PROJECTS, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_0067,
        NGX_HTTP_BAD_REQUEST, 0, ""),

    ngx_http_ims_member_row(ERR_BATCH_STATUS, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_0001,
        NGX_HTTP_BAD_REQUEST, 0, ""),

    /* IMS's sharing with accounts and organizations */
    ngx_http_ims_member_row(ERR_DOMAINS, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_0105,
        NGX_HTTP_BAD_REQUEST, 0, ""),

    /* "project_id" is not the token's project */
    ngx_http_ims_member_row(ERR_FORBIDDEN, NGX_HTTP_FORBIDDEN,
        NGX_HTTP_IMS_MEMBER_IMG_0030,
        NGX_HTTP_FORBIDDEN, 0, ""),

    ngx_http_ims_member_row(ERR_JOB, NGX_HTTP_NOT_FOUND,
        NGX_HTTP_IMS_MEMBER_IMG_9010,
        NGX_HTTP_NOT_FOUND, 0, ""),

    /* a job's own failure, never an answer's */
    ngx_http_ims_member_row(ERR_JOB_FAILED, NGX_HTTP_INTERNAL_SERVER_ERROR,
        NGX_HTTP_IMS_MEMBER_IMG_9012,
        NGX_HTTP_INTERNAL_SERVER_ERROR, 0, NGX_HTTP_IMS_MEMBER_GLANCE_500),

    /* missing, deleted, or not visible to the caller */
    ngx_http_ims_member_row(ERR_IMAGE, NGX_HTTP_NOT_FOUND,
        NGX_HTTP_IMS_MEMBER_IMG_0027,
        NGX_HTTP_NOT_FOUND, NGX_HTTP_IMS_MEMBER_GLANCE_IMAGE,
        "Image %V not found."),

    /* the URL's image id is no id (too long, control bytes) */
    ngx_http_ims_member_row(ERR_IMAGE_ID, NGX_HTTP_NOT_FOUND,
        NGX_HTTP_IMS_MEMBER_IMG_0066,
        NGX_HTTP_NOT_FOUND, NGX_HTTP_IMS_MEMBER_GLANCE_IMAGE,
        "Image %V not found."),

    /* an update, of a private image */
    ngx_http_ims_member_row(ERR_NOT_SHARED, NGX_HTTP_FORBIDDEN,
        NGX_HTTP_IMS_MEMBER_IMG_0084,
        NGX_HTTP_FORBIDDEN, NGX_HTTP_IMS_MEMBER_GLANCE_IMAGE,
        NGX_HTTP_IMS_MEMBER_GLANCE_UPDATE),

    ngx_http_ims_member_row(ERR_UPDATE_PUBLIC, NGX_HTTP_FORBIDDEN,
        NGX_HTTP_IMS_MEMBER_IMG_0083,
        NGX_HTTP_FORBIDDEN, NGX_HTTP_IMS_MEMBER_GLANCE_IMAGE,
        NGX_HTTP_IMS_MEMBER_GLANCE_UPDATE),

    ngx_http_ims_member_row(ERR_UPDATE_COMMUNITY, NGX_HTTP_FORBIDDEN,
        NGX_HTTP_IMS_MEMBER_IMG_9011,
        NGX_HTTP_FORBIDDEN, NGX_HTTP_IMS_MEMBER_GLANCE_IMAGE,
        NGX_HTTP_IMS_MEMBER_GLANCE_UPDATE),

    /* a private image */
    ngx_http_ims_member_row(ERR_CREATE_SHARED, NGX_HTTP_FORBIDDEN,
        NGX_HTTP_IMS_MEMBER_IMG_0084,
        NGX_HTTP_FORBIDDEN, NGX_HTTP_IMS_MEMBER_GLANCE_IMAGE,
        NGX_HTTP_IMS_MEMBER_GLANCE_CREATE),

    /* public, or (IMS's rules) __imagetype "gold" */
    ngx_http_ims_member_row(ERR_CREATE_PUBLIC, NGX_HTTP_FORBIDDEN,
        NGX_HTTP_IMS_MEMBER_IMG_0089,
        NGX_HTTP_FORBIDDEN, NGX_HTTP_IMS_MEMBER_GLANCE_IMAGE,
        NGX_HTTP_IMS_MEMBER_GLANCE_CREATE),

    ngx_http_ims_member_row(ERR_CREATE_COMMUNITY, NGX_HTTP_FORBIDDEN,
        NGX_HTTP_IMS_MEMBER_IMG_9011,
        NGX_HTTP_FORBIDDEN, NGX_HTTP_IMS_MEMBER_GLANCE_IMAGE,
        NGX_HTTP_IMS_MEMBER_GLANCE_CREATE),

    /* a private image */
    ngx_http_ims_member_row(ERR_DELETE_SHARED, NGX_HTTP_FORBIDDEN,
        NGX_HTTP_IMS_MEMBER_IMG_0084,
        NGX_HTTP_FORBIDDEN, NGX_HTTP_IMS_MEMBER_GLANCE_IMAGE,
        NGX_HTTP_IMS_MEMBER_GLANCE_DELETE),

    ngx_http_ims_member_row(ERR_DELETE_PUBLIC, NGX_HTTP_FORBIDDEN,
        NGX_HTTP_IMS_MEMBER_IMG_0083,
        NGX_HTTP_FORBIDDEN, NGX_HTTP_IMS_MEMBER_GLANCE_IMAGE,
        NGX_HTTP_IMS_MEMBER_GLANCE_DELETE),

    ngx_http_ims_member_row(ERR_DELETE_COMMUNITY, NGX_HTTP_FORBIDDEN,
        NGX_HTTP_IMS_MEMBER_IMG_9011,
        NGX_HTTP_FORBIDDEN, NGX_HTTP_IMS_MEMBER_GLANCE_IMAGE,
        NGX_HTTP_IMS_MEMBER_GLANCE_DELETE),

    /* a private image */
    ngx_http_ims_member_row(ERR_LIST_SHARED, NGX_HTTP_FORBIDDEN,
        NGX_HTTP_IMS_MEMBER_IMG_0084,
        NGX_HTTP_FORBIDDEN, NGX_HTTP_IMS_MEMBER_GLANCE_IMAGE,
        NGX_HTTP_IMS_MEMBER_GLANCE_LIST),

    ngx_http_ims_member_row(ERR_LIST_PUBLIC, NGX_HTTP_FORBIDDEN,
        NGX_HTTP_IMS_MEMBER_IMG_0083,
        NGX_HTTP_FORBIDDEN, NGX_HTTP_IMS_MEMBER_GLANCE_IMAGE,
        NGX_HTTP_IMS_MEMBER_GLANCE_LIST),

    ngx_http_ims_member_row(ERR_LIST_COMMUNITY, NGX_HTTP_FORBIDDEN,
        NGX_HTTP_IMS_MEMBER_IMG_9011,
        NGX_HTTP_FORBIDDEN, NGX_HTTP_IMS_MEMBER_GLANCE_IMAGE,
        NGX_HTTP_IMS_MEMBER_GLANCE_LIST),

    /* as Glance, never 403 on a show */
    ngx_http_ims_member_row(ERR_SHOW_SHARED, NGX_HTTP_NOT_FOUND,
        NGX_HTTP_IMS_MEMBER_IMG_0084,
        NGX_HTTP_NOT_FOUND, 0, NGX_HTTP_IMS_MEMBER_GLANCE_SHOW),

    ngx_http_ims_member_row(ERR_SHOW_PUBLIC, NGX_HTTP_NOT_FOUND,
        NGX_HTTP_IMS_MEMBER_IMG_0083,
        NGX_HTTP_NOT_FOUND, 0, NGX_HTTP_IMS_MEMBER_GLANCE_SHOW),

    ngx_http_ims_member_row(ERR_SHOW_COMMUNITY, NGX_HTTP_NOT_FOUND,
        NGX_HTTP_IMS_MEMBER_IMG_9011,
        NGX_HTTP_NOT_FOUND, 0, NGX_HTTP_IMS_MEMBER_GLANCE_SHOW),

    /* the owner updates a membership of its image */
    ngx_http_ims_member_row(ERR_OWNER, NGX_HTTP_FORBIDDEN,
        NGX_HTTP_IMS_MEMBER_IMG_0161,
        NGX_HTTP_FORBIDDEN, NGX_HTTP_IMS_MEMBER_GLANCE_IMAGE,
        NGX_HTTP_IMS_MEMBER_GLANCE_UPDATE),

    /* neither the owner nor an administrator */
    ngx_http_ims_member_row(ERR_CREATE_OWNER, NGX_HTTP_FORBIDDEN,
        NGX_HTTP_IMS_MEMBER_IMG_0047,
        NGX_HTTP_FORBIDDEN, NGX_HTTP_IMS_MEMBER_GLANCE_IMAGE,
        NGX_HTTP_IMS_MEMBER_GLANCE_CREATE),

    ngx_http_ims_member_row(ERR_DELETE_OWNER, NGX_HTTP_FORBIDDEN,
        NGX_HTTP_IMS_MEMBER_IMG_0047,
        NGX_HTTP_FORBIDDEN, NGX_HTTP_IMS_MEMBER_GLANCE_IMAGE,
        NGX_HTTP_IMS_MEMBER_GLANCE_DELETE),

    /* an update's member, not live or not the caller's */
    ngx_http_ims_member_row(ERR_MEMBER, NGX_HTTP_NOT_FOUND,
        NGX_HTTP_IMS_MEMBER_IMG_9005,
        NGX_HTTP_NOT_FOUND, NGX_HTTP_IMS_MEMBER_GLANCE_MEMBER,
        NGX_HTTP_IMS_MEMBER_GLANCE_NO_MEMBER),

    /* a show's or a delete's */
    ngx_http_ims_member_row(ERR_NO_MEMBER, NGX_HTTP_NOT_FOUND,
        NGX_HTTP_IMS_MEMBER_IMG_9005,
        NGX_HTTP_NOT_FOUND, NGX_HTTP_IMS_MEMBER_GLANCE_MEMBER,
        NGX_HTTP_IMS_MEMBER_GLANCE_NO_MEMBER),

    /* the URL's member id is no project id */
    ngx_http_ims_member_row(ERR_MEMBER_ID, NGX_HTTP_NOT_FOUND,
        NGX_HTTP_IMS_MEMBER_IMG_0067,
        NGX_HTTP_NOT_FOUND, NGX_HTTP_IMS_MEMBER_GLANCE_MEMBER,
        NGX_HTTP_IMS_MEMBER_GLANCE_NO_MEMBER),

    /* the module's own rule, its own words */
    ngx_http_ims_member_row(ERR_VAULT_REQUIRED, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_9007,
        NGX_HTTP_BAD_REQUEST, 0, ""),

    ngx_http_ims_member_row(ERR_DUPLICATE, NGX_HTTP_CONFLICT,
        NGX_HTTP_IMS_MEMBER_IMG_9006,
        NGX_HTTP_CONFLICT, NGX_HTTP_IMS_MEMBER_GLANCE_MEMBER,
        "Member %V is duplicated for image %V"),

    ngx_http_ims_member_row(ERR_QUOTA, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
        NGX_HTTP_IMS_MEMBER_IMG_0088,
        NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, NGX_HTTP_IMS_MEMBER_GLANCE_QUOTA,
        "Image member limit exceeded for image %V: The limit has been"
        " exceeded on the number of allowed image members for this image."
        " Attempted: %ui, Maximum: %ui:"),

    /* OWN_PROJECT (IMS's rules) */
    ngx_http_ims_member_row(ERR_OWN_PROJECT, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_0076,
        NGX_HTTP_BAD_REQUEST, 0, ""),

    /* a full-ECS image not made from a CBR backup */
    ngx_http_ims_member_row(ERR_WHOLE_IMAGE, NGX_HTTP_BAD_REQUEST,
        NGX_HTTP_IMS_MEMBER_IMG_0135,
        NGX_HTTP_BAD_REQUEST, 0, ""),

    /* get_image refused, webob's bare 404 */
    ngx_http_ims_member_row(ERR_POLICY_IMAGE, NGX_HTTP_NOT_FOUND,
        NGX_HTTP_IMS_MEMBER_IMG_0027,
        NGX_HTTP_NOT_FOUND, 0, NGX_HTTP_IMS_MEMBER_GLANCE_404),

    ngx_http_ims_member_row(ERR_POLICY_ADD, NGX_HTTP_FORBIDDEN,
        NGX_HTTP_IMS_MEMBER_IMG_0026,
        NGX_HTTP_FORBIDDEN, 0, NGX_HTTP_IMS_MEMBER_GLANCE_POLICY("add_member")),

    ngx_http_ims_member_row(ERR_POLICY_DELETE, NGX_HTTP_FORBIDDEN,
        NGX_HTTP_IMS_MEMBER_IMG_0026,
        NGX_HTTP_FORBIDDEN, 0,
        NGX_HTTP_IMS_MEMBER_GLANCE_POLICY("delete_member")),

    ngx_http_ims_member_row(ERR_POLICY_MODIFY, NGX_HTTP_FORBIDDEN,
        NGX_HTTP_IMS_MEMBER_IMG_0026,
        NGX_HTTP_FORBIDDEN, 0,
        NGX_HTTP_IMS_MEMBER_GLANCE_POLICY("modify_member")),

    /* modify_member refuses the owner */
    ngx_http_ims_member_row(ERR_POLICY_OWNER, NGX_HTTP_FORBIDDEN,
        NGX_HTTP_IMS_MEMBER_IMG_0161,
        NGX_HTTP_FORBIDDEN, 0,
        NGX_HTTP_IMS_MEMBER_GLANCE_POLICY("modify_member")),
};


ngx_http_ims_member_cause_t *
ngx_http_ims_member_cause(ngx_uint_t err)
{
    if (err >= NGX_HTTP_IMS_MEMBER_ERR_LAST) {
        err = NGX_HTTP_IMS_MEMBER_ERR_INTERNAL;
    }

    return &ngx_http_ims_member_causes[err];
}


/* a code's entry, for a job's "fail_reason"; NULL: not one of ours */

ngx_http_ims_member_code_t *
ngx_http_ims_member_code(ngx_str_t *code)
{
    ngx_uint_t  i;

    for (i = 1; i < sizeof(ngx_http_ims_member_code_table)
                    / sizeof(ngx_http_ims_member_code_t); i++)
    {
        if (ngx_http_ims_member_code_table[i].code.len == code->len
            && ngx_strncmp(ngx_http_ims_member_code_table[i].code.data,
                           code->data, code->len)
               == 0)
        {
            return &ngx_http_ims_member_code_table[i];
        }
    }

    return NULL;
}


/* the code table, without its empty first entry */

ngx_http_ims_member_code_t *
ngx_http_ims_member_codes(ngx_uint_t *n)
{
    *n = sizeof(ngx_http_ims_member_code_table)
         / sizeof(ngx_http_ims_member_code_t) - 1;

    return &ngx_http_ims_member_code_table[1];
}
