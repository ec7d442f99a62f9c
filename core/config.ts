import { z } from "zod";
import { SyncError } from "./domain/errors";
import { defaultRetryPolicy, type RetryPolicy } from "./domain/retry-policy";
import { defaultPendingAgeAlarmSeconds } from "./domain/telemetry";

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value?.trim() ? value.trim() : undefined));
const optionalUrl = optionalText.pipe(z.url().optional());
/**
 * A shared secret callers must prove: too short a one can be guessed, and the README promised the
 * minimum long before anything checked it.
 */
const secretText = (min: number, max = 4096) =>
  z.string().min(min, `must be at least ${min} characters`).max(max).optional();
/**
 * The status and admin tokens are bearer tokens sent from anywhere on the internet, with no rate
 * limit in front of them: 32 random characters put guessing out of reach.
 */
export const bearerTokenMinLength = 32;
const integer = (fallback: number, min: number) => z.coerce.number().int().min(min).default(fallback);

/**
 * Every environment variable the service reads, in one place (the README's configuration table is
 * this schema in prose). In AWS the Kiro credentials come from Secrets Manager through
 * `KIRO_SCIM_SECRET_ID`; locally they come from `KIRO_SCIM_URL`/`KIRO_SCIM_TOKEN` or the emulator.
 */
const EnvSchema = z
  .object({
    PORT: integer(3000, 0).pipe(z.number().max(65535)),
    LEDGER_TABLE_NAME: z.string().min(3).default("kiro-scim-sync-ledger"),
    KIRO_SCIM_URL: optionalUrl,
    KIRO_SCIM_TOKEN: optionalText,
    KIRO_SCIM_SECRET_ID: optionalText,
    DYNAMODB_ENDPOINT: optionalUrl,
    LOCAL_SECRETS_FILE: optionalText,
    EVENT_BUS_NAME: optionalText,
    SYNC_GROUPS: optionalText.refine(
      (value) => value === undefined || value.split(",").some((entry) => entry.trim() !== ""),
      "names no group; leave it unset (or `*`) to sync every group",
    ),
    REMOVAL_POLICY: z.enum(["deactivate", "delete"]).default("deactivate"),
    REMOVAL_HOLD_SHARE: z.coerce.number().min(0).max(1).default(0.1),
    OKTA_HOOK_SECRET: optionalText.pipe(secretText(16)),
    OKTA_ORG_URL: optionalUrl,
    OKTA_API_TOKEN: optionalText,
    OKTA_CLIENT_ID: optionalText,
    OKTA_PRIVATE_KEY: optionalText,
    OKTA_KEY_ID: optionalText,
    OKTA_APP_ID: optionalText,
    OKTA_SECRET_ID: optionalText,
    ENTRA_TENANT_ID: optionalText,
    ENTRA_CLIENT_ID: optionalText,
    ENTRA_CLIENT_SECRET: optionalText,
    ENTRA_CLIENT_STATE: optionalText.pipe(secretText(16, 128)),
    ENTRA_SECRET_ID: optionalText,
    ENTRA_NOTIFICATION_BASE_URL: optionalUrl,
    ENTRA_AUTHORITY_HOST: optionalUrl,
    ENTRA_GRAPH_URL: optionalUrl,
    ENTRA_DELTA_INTERVAL_SECONDS: integer(1800, 1),
    STATUS_TOKEN: optionalText.pipe(secretText(bearerTokenMinLength)),
    STATUS_TOKEN_SECRET_ID: optionalText,
    ADMIN_TOKEN: optionalText.pipe(secretText(bearerTokenMinLength)),
    ADMIN_TOKEN_SECRET_ID: optionalText,
    MAX_HOOK_BODY_BYTES: integer(5 * 1024 * 1024, 1024),
    SCIM_REQUEST_TIMEOUT_MS: integer(10_000, 100),
    RETRY_BASE_DELAY_MS: integer(defaultRetryPolicy.baseDelayMs, 1),
    RETRY_MAX_DELAY_MS: integer(defaultRetryPolicy.maxDelayMs, 1),
    RETRY_MAX_ATTEMPTS: integer(defaultRetryPolicy.maxAttempts, 1),
    RUN_CHUNK_SIZE: integer(500, 10),
    DEEP_AUDIT_HOUR_UTC: z
      .union([z.literal("off"), z.coerce.number().int().min(0).max(23)], {
        error: "an hour of the day, 0 to 23 (UTC), or off",
      })
      .default(3),
    SWEEP_GRACE_SECONDS: integer(60, 0),
    PAUSE_PROBE_SECONDS: integer(60, 1),
    ALARM_PENDING_AGE_SECONDS: integer(defaultPendingAgeAlarmSeconds, 60),
    LOG_RETENTION_DAYS: integer(30, 1),
    SCHEDULER_GROUP_NAME: optionalText,
    SCHEDULER_ROLE_ARN: optionalText,
    EVENT_BUS_ARN: optionalText,
  })
  .refine((env) => (env.KIRO_SCIM_URL === undefined) === (env.KIRO_SCIM_TOKEN === undefined), {
    message: "set both KIRO_SCIM_URL and KIRO_SCIM_TOKEN, or neither",
    path: ["KIRO_SCIM_TOKEN"],
  })
  .refine(
    (env) =>
      !env.OKTA_ORG_URL ||
      env.OKTA_API_TOKEN ||
      (env.OKTA_CLIENT_ID && env.OKTA_PRIVATE_KEY) ||
      env.OKTA_SECRET_ID,
    {
      message: "OKTA_ORG_URL needs OKTA_API_TOKEN, OKTA_CLIENT_ID with OKTA_PRIVATE_KEY, or OKTA_SECRET_ID",
      path: ["OKTA_ORG_URL"],
    },
  )
  .refine((env) => env.ADMIN_TOKEN === undefined || env.ADMIN_TOKEN !== env.STATUS_TOKEN, {
    message: "must differ from STATUS_TOKEN: the status token only reads, the admin token acts",
    path: ["ADMIN_TOKEN"],
  })
  .refine((env) => env.RETRY_MAX_DELAY_MS >= env.RETRY_BASE_DELAY_MS, {
    message: "must be at least RETRY_BASE_DELAY_MS",
    path: ["RETRY_MAX_DELAY_MS"],
  });

/** Every variable the service reads. */
export type SettingName = keyof z.input<typeof EnvSchema>;

/**
 * Where each variable's value comes from in a deployment: `stack` variables are set by stacks/ on
 * the functions that read them (`okta`/`entra` ones only when that source is deployed), `secret`
 * ones live in a Secrets Manager secret named by a `*_SECRET_ID` variable, `tuning` ones have a
 * default and pass through from the deploying shell when set, and `local` ones exist only for
 * `npm start` and the tests. The infra tests hold the stacks to this table, and the README's
 * configuration table lists the same names.
 */
export const settingOrigins = {
  PORT: "local",
  DYNAMODB_ENDPOINT: "local",
  LOCAL_SECRETS_FILE: "local",
  ENTRA_AUTHORITY_HOST: "local",
  ENTRA_GRAPH_URL: "local",
  ENTRA_DELTA_INTERVAL_SECONDS: "local",
  LEDGER_TABLE_NAME: "stack",
  EVENT_BUS_NAME: "stack",
  EVENT_BUS_ARN: "stack",
  SCHEDULER_GROUP_NAME: "stack",
  SCHEDULER_ROLE_ARN: "stack",
  KIRO_SCIM_SECRET_ID: "stack",
  STATUS_TOKEN_SECRET_ID: "stack",
  ADMIN_TOKEN_SECRET_ID: "stack",
  SYNC_GROUPS: "stack",
  REMOVAL_POLICY: "stack",
  OKTA_ORG_URL: "okta",
  OKTA_APP_ID: "okta",
  OKTA_SECRET_ID: "okta",
  ENTRA_SECRET_ID: "entra",
  ENTRA_NOTIFICATION_BASE_URL: "entra",
  KIRO_SCIM_URL: "secret",
  KIRO_SCIM_TOKEN: "secret",
  STATUS_TOKEN: "secret",
  ADMIN_TOKEN: "secret",
  OKTA_HOOK_SECRET: "secret",
  OKTA_API_TOKEN: "secret",
  OKTA_CLIENT_ID: "secret",
  OKTA_PRIVATE_KEY: "secret",
  OKTA_KEY_ID: "secret",
  ENTRA_TENANT_ID: "secret",
  ENTRA_CLIENT_ID: "secret",
  ENTRA_CLIENT_SECRET: "secret",
  ENTRA_CLIENT_STATE: "secret",
  REMOVAL_HOLD_SHARE: "tuning",
  MAX_HOOK_BODY_BYTES: "tuning",
  SCIM_REQUEST_TIMEOUT_MS: "tuning",
  RETRY_BASE_DELAY_MS: "tuning",
  RETRY_MAX_DELAY_MS: "tuning",
  RETRY_MAX_ATTEMPTS: "tuning",
  RUN_CHUNK_SIZE: "tuning",
  DEEP_AUDIT_HOUR_UTC: "tuning",
  SWEEP_GRACE_SECONDS: "tuning",
  PAUSE_PROBE_SECONDS: "tuning",
  ALARM_PENDING_AGE_SECONDS: "tuning",
  LOG_RETENTION_DAYS: "tuning",
} as const satisfies Record<SettingName, "local" | "stack" | "okta" | "entra" | "secret" | "tuning">;

/** The tuning variables, which a deployment passes through from the deploying shell when they are set. */
export const tuningSettings = (Object.keys(settingOrigins) as SettingName[]).filter(
  (name) => settingOrigins[name] === "tuning",
);

export interface ServiceConfig {
  port: number;
  ledgerTableName: string;
  dynamoDbEndpoint: string | undefined;
  /** The local runtime's secrets file (`npm start`: `.local/secrets.json`); unset: one of its own in the temp directory. */
  localSecretsFile: string | undefined;
  eventBusName: string | undefined;
  syncGroups: string | undefined;
  removalPolicy: "deactivate" | "delete";
  removalHoldShare: number;
  okta: {
    hookSecret: string | undefined;
    orgUrl: string | undefined;
    apiToken: string | undefined;
    clientId: string | undefined;
    privateKey: string | undefined;
    keyId: string | undefined;
    appId: string | undefined;
    secretId: string | undefined;
  };
  entra: {
    tenantId: string | undefined;
    clientId: string | undefined;
    clientSecret: string | undefined;
    clientState: string | undefined;
    secretId: string | undefined;
    notificationBaseUrl: string | undefined;
    authorityHost: string | undefined;
    graphUrl: string | undefined;
    /** The local runtime's pace for the Entra job; in AWS the `EntraSubscriptions` schedule sets it (stacks/). */
    deltaIntervalMs: number;
  };
  /** Reads only: `/status`, `/log` and the other read routes. */
  statusToken: string | undefined;
  statusTokenSecretId: string | undefined;
  /** Every `/admin/*` action; only the Admin function ever reads it. */
  adminToken: string | undefined;
  adminTokenSecretId: string | undefined;
  maxHookBodyBytes: number;
  kiroScim: { url: string; token: string } | undefined;
  kiroScimSecretId: string | undefined;
  scimRequestTimeoutMs: number;
  retryPolicy: RetryPolicy;
  /**
   * The hourly reconcile that starts in this UTC hour is a deep audit (Kiro's users and their groups
   * read and drift repaired); undefined: never scheduled, only on request.
   */
  deepAuditHourUtc: number | undefined;
  /** Ledger ids per chunk of a reconcile or re-provisioning run (and SCIM pages ÷ 100 per audit chunk). */
  runChunkSize: number;
  /** A pending group untouched this long, or a run that stopped moving, is put back on the bus by the sweep. */
  sweepGraceMs: number;
  /** While Kiro refuses our token, one worker per this interval tries again. */
  pauseProbeMs: number;
  /** A change waiting longer than this pages (OldestPendingAlarm) and makes the health verdict failing. */
  pendingAgeAlarmSeconds: number;
  /** How long the provisioning log keeps an entry (DynamoDB TTL). */
  logRetentionDays: number;
  /** EventBridge Scheduler, for delayed retries in AWS. */
  scheduler: { groupName: string; roleArn: string; busArn: string } | undefined;
}

/** Reads and checks the environment once; every problem is reported together, by variable name. */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServiceConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "environment"}: ${issue.message}`,
    );
    throw new SyncError("CONFIG.INVALID", `invalid configuration: ${problems.join("; ")}`, {
      retryable: false,
    });
  }
  const values = parsed.data;
  return {
    port: values.PORT,
    ledgerTableName: values.LEDGER_TABLE_NAME,
    dynamoDbEndpoint: values.DYNAMODB_ENDPOINT,
    localSecretsFile: values.LOCAL_SECRETS_FILE,
    eventBusName: values.EVENT_BUS_NAME,
    syncGroups: values.SYNC_GROUPS,
    removalPolicy: values.REMOVAL_POLICY,
    removalHoldShare: values.REMOVAL_HOLD_SHARE,
    okta: {
      hookSecret: values.OKTA_HOOK_SECRET,
      orgUrl: values.OKTA_ORG_URL,
      apiToken: values.OKTA_API_TOKEN,
      clientId: values.OKTA_CLIENT_ID,
      privateKey: values.OKTA_PRIVATE_KEY,
      keyId: values.OKTA_KEY_ID,
      appId: values.OKTA_APP_ID,
      secretId: values.OKTA_SECRET_ID,
    },
    entra: {
      tenantId: values.ENTRA_TENANT_ID,
      clientId: values.ENTRA_CLIENT_ID,
      clientSecret: values.ENTRA_CLIENT_SECRET,
      clientState: values.ENTRA_CLIENT_STATE,
      secretId: values.ENTRA_SECRET_ID,
      notificationBaseUrl: values.ENTRA_NOTIFICATION_BASE_URL,
      authorityHost: values.ENTRA_AUTHORITY_HOST,
      graphUrl: values.ENTRA_GRAPH_URL,
      deltaIntervalMs: values.ENTRA_DELTA_INTERVAL_SECONDS * 1000,
    },
    statusToken: values.STATUS_TOKEN,
    statusTokenSecretId: values.STATUS_TOKEN_SECRET_ID,
    adminToken: values.ADMIN_TOKEN,
    adminTokenSecretId: values.ADMIN_TOKEN_SECRET_ID,
    maxHookBodyBytes: values.MAX_HOOK_BODY_BYTES,
    kiroScim:
      values.KIRO_SCIM_URL && values.KIRO_SCIM_TOKEN
        ? { url: values.KIRO_SCIM_URL, token: values.KIRO_SCIM_TOKEN }
        : undefined,
    kiroScimSecretId: values.KIRO_SCIM_SECRET_ID,
    scimRequestTimeoutMs: values.SCIM_REQUEST_TIMEOUT_MS,
    runChunkSize: values.RUN_CHUNK_SIZE,
    deepAuditHourUtc: values.DEEP_AUDIT_HOUR_UTC === "off" ? undefined : values.DEEP_AUDIT_HOUR_UTC,
    sweepGraceMs: values.SWEEP_GRACE_SECONDS * 1000,
    pauseProbeMs: values.PAUSE_PROBE_SECONDS * 1000,
    pendingAgeAlarmSeconds: values.ALARM_PENDING_AGE_SECONDS,
    logRetentionDays: values.LOG_RETENTION_DAYS,
    scheduler:
      values.SCHEDULER_GROUP_NAME && values.SCHEDULER_ROLE_ARN && values.EVENT_BUS_ARN
        ? {
            groupName: values.SCHEDULER_GROUP_NAME,
            roleArn: values.SCHEDULER_ROLE_ARN,
            busArn: values.EVENT_BUS_ARN,
          }
        : undefined,
    retryPolicy: {
      baseDelayMs: values.RETRY_BASE_DELAY_MS,
      maxDelayMs: values.RETRY_MAX_DELAY_MS,
      maxAttempts: values.RETRY_MAX_ATTEMPTS,
    },
  };
}
