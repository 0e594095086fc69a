/* AWS Systems Manager transport (issue 8): Command documents that run the
 * installed faultline on an instance, and a SendCommand client that drives
 * them. See docs/ssm.md. */
#ifndef FL_FLEET_SSM_H
#define FL_FLEET_SSM_H

#include "faultline.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* The SSM parameter name of a faultline parameter: "exclude-host" ->
 * "ExcludeHost". "duration" is "DurationSeconds". */
void fl_ssm_param_name(const char *fl_name, char *out, size_t len);
/* The allowedPattern for a parameter (NULL when it uses allowedValues).
 * Patterns accept the faultline grammar and nothing a shell treats
 * specially: no quotes, ; | & $ ` < > ( ) newlines or spaces. */
const char *fl_ssm_param_pattern(const fl_param_spec *p);
#define FL_SSM_DURATION_PATTERN "^([1-9][0-9]{0,3}|[1-3][0-9]{4}|4[0-2][0-9]{3}|43[01][0-9]{2}|43200)$"

/* The Command document (schemaVersion 2.2) for one attack kind; NULL for an
 * unknown kind. With install, an InstallFaultline parameter and step. */
json_t *fl_ssm_document(const char *kind, bool install);
/* Writes a JSON value as block-style YAML (scalars JSON-quoted). */
void fl_ssm_write_yaml(FILE *out, const json_t *doc);

/* ---- SendCommand client (ssm_client.c) ---- */
typedef struct fl_ssm_target {
    char key[128]; /* "tag:service" or "InstanceIds" */
    char **values;
    size_t n_values;
} fl_ssm_target;

typedef struct fl_ssm_config {
    char region[64];
    char endpoint[512]; /* "" = https://ssm.<region>.amazonaws.com */
    char profile[128];
    char access_key[128], secret_key[256], session_token[2048];
    int verbose;
} fl_ssm_config;

/* Fills credentials and region from the environment and the shared files
 * (AWS_PROFILE or cfg->profile). Region/endpoint/profile already set in cfg
 * win. Returns 0, or -1 with err (field "region" or "credentials"). */
int fl_ssm_config_load(fl_ssm_config *cfg, fl_error *err);
/* One AWS JSON 1.1 call: POST {target} with body; *response gets the parsed
 * reply. Returns the HTTP status (200 ok), or -1 (err set). */
int fl_ssm_call(const fl_ssm_config *cfg, const char *operation, const json_t *body, json_t **response, fl_error *err);

#endif
