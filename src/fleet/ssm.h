/* AWS Systems Manager transport: Command documents that run the
 * installed faultline on an instance, and a SendCommand client that drives
 * them. See docs/ssm.md. */
#ifndef FL_FLEET_SSM_H
#define FL_FLEET_SSM_H

#include "faultline.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* The SSM parameter name of a faultline parameter: "exclude-host" ->
 * "ExcludeHost". "duration" is "DurationSeconds". */
void fl_ssm_param_name(const char *fl_name, char *out, size_t len);
/* The allowedPattern for a parameter (NULL when it uses allowedValues).
 * Patterns accept the faultline grammar and nothing a shell treats
 * specially: no quotes, ; | & $ ` < > ( ) newlines or spaces. */
const char *fl_ssm_param_pattern(const fl_param_spec *p);
/* DurationSeconds: whole seconds, at most faultline's limit on a fault's
 * life (FL_MAX_DURATION_US, 12 h). */
#define FL_SSM_MAX_DURATION_S 43200
_Static_assert(FL_SSM_MAX_DURATION_S * 1000000LL == FL_MAX_DURATION_US, "DurationSeconds follows FL_MAX_DURATION_US");
/* The document's step runs at most this much longer than the fault (an
 * instant kind's step: FL_SSM_INSTANT_STEP_S). */
#define FL_SSM_STEP_GRACE_S 300
#define FL_SSM_INSTANT_STEP_S 600
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
    char access_key[128], secret_key[256], session_token[8192]; /* a longer token is refused, never cut */
    int verbose;
} fl_ssm_config;

/* Fills credentials and region from the environment and the shared files
 * (AWS_PROFILE or cfg->profile). Region/endpoint/profile already set in cfg
 * win. Returns 0, or -1 with err (field "region" or "credentials"). */
int fl_ssm_config_load(fl_ssm_config *cfg, fl_error *err);
/* One AWS JSON 1.1 call: POST {target} with body; *response gets the parsed
 * reply. Returns the HTTP status (200 ok), or -1 (err set). Throttling (HTTP
 * 429, HTTP 400 with a __type ending in ThrottlingException,
 * ThrottledException, TooManyRequestsException or RequestLimitExceeded),
 * HTTP 5xx and transport failures are retried: at most 5 attempts, each
 * signed afresh, with exponential backoff and full jitter (base 200 ms, cap
 * 5 s; FAULTLINE_SSM_RETRY_BASE_MS may lower the base). Other 4xx are not
 * retried. SendCommand, which is not idempotent, is retried after a
 * transport failure only when the request was never sent (no connection). */
int fl_ssm_call(const fl_ssm_config *cfg, const char *operation, const json_t *body, json_t **response, fl_error *err);
/* Configuration options by name: "region", "profile", "endpoint-url"
 * (validated as the CLI does; err->field = name). */
int fl_ssm_config_option(fl_ssm_config *cfg, const char *name, const char *value, fl_error *err);

/* ---- one SendCommand of a kind's document (ssm_command.c) ----
 * Validation messages name the option as the CLI spells it ("--host: ...").
 * The library prints nothing. */
typedef struct fl_ssm_request fl_ssm_request; /* opaque */

/* A request for attack `kind` (document faultline-<kind> by default). NULL
 * with err (FL_EINVAL, field "kind") for an unknown kind. */
fl_ssm_request *fl_ssm_request_new(const char *kind, fl_error *err);
void fl_ssm_request_free(fl_ssm_request *r);
/* An attack parameter by faultline name ("host", "delay", "duration", a bool
 * as "true"/"false" or NULL value): validated by fl_spec_set AND the
 * document's allowedPattern; repeatable ones accumulate (comma-joined).
 * Errors: FL_EINVAL, err->field = the parameter name, message names it. */
int fl_ssm_request_param(fl_ssm_request *r, const char *name, const char *value, fl_error *err);
/* A targeting/delivery option by name: "tag" (KEY=VALUE, repeatable, at most
 * 16), "instance-ids" (comma list, at most 50), "document-name",
 * "max-concurrency" (default 1), "max-errors" (default 0), "alarm",
 * "log-group", "timeout" (seconds 30-2592000, default 600). Validated at
 * once; err->field = the option name. Unknown name: FL_EINVAL. */
int fl_ssm_request_option(fl_ssm_request *r, const char *name, const char *value, fl_error *err);
/* Final checks: required params given, duration whole seconds 1s..12h for
 * held kinds, exactly one of tags / instance ids. Returns 0 or -1 with err
 * (field: the parameter, "duration" or "targets"). */
int fl_ssm_request_finish(fl_ssm_request *r, fl_error *err);
/* The SendCommand JSON body (new reference). */
json_t *fl_ssm_request_body(const fl_ssm_request *r);
const char *fl_ssm_request_document(const fl_ssm_request *r);
/* Additions: the kind; whether targets are tags (else instance ids); the
 * fault's length in seconds (DurationSeconds; 0 for instant kinds or until
 * fl_ssm_request_finish succeeds). */
const char *fl_ssm_request_kind(const fl_ssm_request *r);
bool fl_ssm_request_by_tags(const fl_ssm_request *r);
int64_t fl_ssm_request_duration_s(const fl_ssm_request *r);

typedef struct fl_ssm_invocation {
    char instance_id[64];
    char status[48];       /* SSM's: Pending, InProgress, Success, Failed, Cancelled, TimedOut, ... */
    int response_code;     /* -1 until known (fl_ssm_command_details) */
    char *output;          /* StandardOutputContent (details), or NULL */
    char *error_output;    /* StandardErrorContent (details), or NULL */
    int64_t first_seen_us; /* monotonic, when polling first listed it */
    int64_t running_us;    /* monotonic, when first seen InProgress or later (0: not yet) */
    int64_t ended_us;      /* monotonic, when first seen in a terminal status (0: not yet) */
    bool have_details;     /* addition: GetCommandInvocation answered for it (status is then its Status) */
} fl_ssm_invocation;

/* SSM's final statuses (command or invocation): Success, Cancelled, Failed,
 * TimedOut, Delivery Timed Out, Execution Timed Out, Undeliverable,
 * Terminated, InvalidPlatform, AccessDenied. */
bool fl_ssm_status_terminal(const char *status);

typedef struct fl_ssm_command fl_ssm_command; /* opaque */
/* SendCommand; NULL with err on failure (HTTP error text in the message).
 * Copies what it needs: cfg and r may be freed afterwards. Makes
 * fl_ssm_request_finish's checks first (without changing r) if it has not
 * succeeded yet. */
fl_ssm_command *fl_ssm_command_send(const fl_ssm_config *cfg, const fl_ssm_request *r, fl_error *err);
const char *fl_ssm_command_id(const fl_ssm_command *c);
/* One round of polling (every page of ListCommandInvocations, then
 * ListCommands for the command's own status). Returns 1 when the command is
 * over (its own status terminal and every listed invocation terminal), 0
 * while it runs, -1 on an API error (err; the caller may poll again;
 * invocations already read in this round are kept). */
int fl_ssm_command_poll(fl_ssm_command *c, fl_error *err);
/* The invocations seen so far, in the order first seen (pointer valid until
 * the next poll/details/free). */
size_t fl_ssm_command_invocations(const fl_ssm_command *c, const fl_ssm_invocation **out);
/* The command's own status ("" until polled) and the alarms SSM reports as
 * triggered (ListCommands' Command.TriggeredAlarms names, comma-joined, ""
 * if none). */
const char *fl_ssm_command_status(const fl_ssm_command *c);
const char *fl_ssm_command_triggered_alarms(const fl_ssm_command *c);
/* GetCommandInvocation for every invocation seen: fills response_code,
 * output, error_output (and status). Tries every one; returns 0, or -1 (err:
 * the last failure) if any failed (those keep have_details false). */
int fl_ssm_command_details(fl_ssm_command *c, fl_error *err);
/* Stop: CancelCommand, then a SendCommand of AWS-RunShellScript
 * "faultline stop --tag T" to the same targets (MaxConcurrency 100%,
 * MaxErrors 100%, 60 s), T being the tag every fault this command started
 * carries (FaultlineTag, "ssm-" and 16 hex digits): faults started
 * otherwise on those instances are left alone. Instant kinds hold nothing:
 * cancel only. Tries both; returns 0 or -1 (err; both messages, "; "-joined,
 * when both fail). */
int fl_ssm_command_cancel(fl_ssm_command *c, fl_error *err);
/* Addition: the id of the "faultline stop --tag T" command ("" if not sent). */
const char *fl_ssm_command_stop_id(const fl_ssm_command *c);
/* The tag of the faults this command starts ("" for instant kinds). */
const char *fl_ssm_command_fault_tag(const fl_ssm_command *c);
void fl_ssm_command_free(fl_ssm_command *c);

#endif
