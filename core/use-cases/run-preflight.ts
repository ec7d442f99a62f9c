import { SyncError } from "../domain/errors";

/** The checks the doctor knows how to explain; each has its wording in {@link guides}. */
export type PreflightCheckId =
  | "kiro-scim"
  | "okta-api"
  | "entra-graph"
  | "okta-hook-secret"
  | "entra-client-state"
  | "status-token"
  | "admin-token"
  | "sync-groups"
  | "event-bus"
  | "scheduler";

export interface PreflightProbe {
  check: PreflightCheckId;
  /** Unconfigured checks are reported as skipped and never run: an Okta-only stage has no Graph. */
  configured: boolean;
  /**
   * One harmless read or local validation. Resolves with what it proved, or with a warning (the
   * service works, but not as configured); fails with a SyncError.
   */
  run(): Promise<string | PreflightWarning>;
}

/** Something works but not as meant: a SYNC_GROUPS entry that selects no group. Not a failure. */
export interface PreflightWarning {
  warning: string;
  fix: string;
}

export type PreflightResult = "pass" | "warn" | "fail" | "skipped";

export interface PreflightCheckReport {
  /** The check's stable id (`kiro-scim`, `okta-api`…); `check` is its label for people. */
  id: PreflightCheckId;
  check: string;
  result: PreflightResult;
  detail: string;
  /** What to do, in words; only on a failed check or a warning. */
  fix?: string;
  /** The failure's stable code (a SyncError's, or an AWS SDK error's name); only on a failed check. */
  code?: string;
}

export interface PreflightReport {
  /** False when any configured check failed; skipped checks and warnings do not count. */
  ok: boolean;
  checks: PreflightCheckReport[];
}

export interface PreflightOptions {
  /** Per check; a hung host must not hold the whole report (or an Admin Lambda) until it times out. */
  timeoutMs?: number;
  /**
   * Values met while checking (tokens, client secrets). Any of them found in an error message is
   * replaced before the message goes into the report, whatever a service or proxy chose to echo.
   */
  secrets?: () => Iterable<string>;
}

interface CheckGuide {
  label: string;
  /** Why the check is skipped: the settings that would turn it on. */
  unconfigured: string;
  /** Where the value lives and its shape, for the fixes of a missing or malformed secret. */
  store: string;
  /** By error code: a SyncError's code, or an AWS SDK error's name. */
  fixes: Record<string, string>;
  /** Any failure without a more precise fix. */
  otherwise: string;
}

const unreachable =
  "check DNS, proxy and outbound HTTPS from where the doctor runs (a Lambda in a VPC needs a NAT gateway)";

const guides: Record<PreflightCheckId, CheckGuide> = {
  "kiro-scim": {
    label: "Kiro SCIM token",
    unconfigured: "no Kiro SCIM endpoint: set KIRO_SCIM_URL and KIRO_SCIM_TOKEN, or KIRO_SCIM_SECRET_ID",
    store:
      'put {"url": "<SCIM endpoint>", "token": "<SCIM token>"} in the KiroScim secret (locally: KIRO_SCIM_URL and KIRO_SCIM_TOKEN)',
    fixes: {
      "SCIM.AUTH":
        "The Kiro SCIM token is wrong or revoked: generate a new one in the Kiro console (Settings → SCIM) and put it in the KiroScim secret as {url, token} (locally: KIRO_SCIM_TOKEN).",
      "SCIM.NOT_FOUND":
        "The Kiro SCIM URL is wrong: nothing answers /ServiceProviderConfig under it. Copy the SCIM endpoint from the Kiro console (Settings → SCIM), https://scim.<region>.amazonaws.com/<tenant>/scim/v2, into the KiroScim secret's url (locally: KIRO_SCIM_URL).",
      "SCIM.CONNECTION": `The host in the Kiro SCIM URL is unreachable: check the host name in the KiroScim secret's url (locally: KIRO_SCIM_URL), then ${unreachable}.`,
      "SCIM.TIMEOUT": `The Kiro SCIM host did not answer in time: ${unreachable}; if Kiro is only slow, raise SCIM_REQUEST_TIMEOUT_MS.`,
      "SCIM.THROTTLED": "Kiro is throttling this tenant: wait a minute and run the doctor again.",
      "SCIM.SERVER_ERROR":
        "Kiro answered with a server error: run the doctor again in a few minutes; if it persists, contact Kiro support.",
      "SCIM.INVALID":
        "Kiro refused the read: the KiroScim secret's url must be the SCIM endpoint itself, ending in /scim/v2.",
    },
    otherwise: "Check the url and token in the KiroScim secret (locally: KIRO_SCIM_URL, KIRO_SCIM_TOKEN).",
  },
  "okta-api": {
    label: "Okta API token",
    unconfigured: "Okta is not configured (OKTA_ORG_URL)",
    store:
      'put {"hookSecret": "…", "apiToken": "<SSWS token>"} (or clientId and privateKey instead of apiToken) in the Okta secret (locally: OKTA_API_TOKEN, or OKTA_CLIENT_ID and OKTA_PRIVATE_KEY)',
    fixes: {
      "IDP.AUTH":
        "Okta refused the credentials as invalid or expired: create a new API token (Security → API → Tokens), or check the service app's client id and private key, and put it in the Okta secret (locally: OKTA_API_TOKEN, or OKTA_CLIENT_ID and OKTA_PRIVATE_KEY); check that OKTA_ORG_URL is your org.",
      "IDP.FORBIDDEN":
        "The credentials work but may not read groups: an OAuth service app needs the scopes okta.groups.read and okta.users.read granted (its Okta API Scopes tab) and an admin role; an SSWS token needs its admin to hold at least the Read-Only Administrator role.",
      "IDP.THROTTLED": "Okta's rate limit for this org is used up: wait a minute and run the doctor again.",
      "IDP.UNAVAILABLE": `Okta did not answer: check OKTA_ORG_URL (https://<your org>.okta.com), then ${unreachable}.`,
    },
    otherwise: `Check OKTA_ORG_URL and the Okta secret's credentials, then ${unreachable}.`,
  },
  "entra-graph": {
    label: "Microsoft Graph",
    unconfigured: "Entra is not configured (ENTRA_TENANT_ID, or ENTRA_SECRET_ID)",
    store:
      'put {"tenantId", "clientId", "clientSecret", "clientState"} in the Entra secret (locally: ENTRA_TENANT_ID, ENTRA_CLIENT_ID, ENTRA_CLIENT_SECRET, ENTRA_CLIENT_STATE)',
    fixes: {
      "IDP.AUTH":
        "Entra refused the app's credentials: the client id, client secret or tenant id in the Entra secret is wrong (the detail names which); client secrets expire, so create a new one under the app's Certificates & secrets if needed.",
      "IDP.FORBIDDEN":
        "The app may not read groups: grant the application permission Group.Read.All (and User.Read.All) to the app registration and give admin consent.",
      "IDP.THROTTLED": "Graph is throttling this app: wait a minute and run the doctor again.",
      "IDP.UNAVAILABLE": `Graph or the Entra token authority did not answer: ${unreachable} to login.microsoftonline.com and graph.microsoft.com.`,
    },
    otherwise: "Check the Entra secret's tenantId, clientId and clientSecret.",
  },
  "okta-hook-secret": {
    label: "Okta hook secret",
    unconfigured: "Okta is not configured (OKTA_ORG_URL)",
    store:
      "put hookSecret (the whole Authorization header value the Okta event hook sends) in the Okta secret (locally: OKTA_HOOK_SECRET)",
    fixes: {},
    otherwise: "Set hookSecret in the Okta secret (locally: OKTA_HOOK_SECRET).",
  },
  "entra-client-state": {
    label: "Entra clientState",
    unconfigured: "Entra is not configured (ENTRA_TENANT_ID, or ENTRA_SECRET_ID)",
    store: "put clientState (16–128 random characters) in the Entra secret (locally: ENTRA_CLIENT_STATE)",
    fixes: {
      "CONFIG.SECRET_LENGTH":
        "Make clientState 16–128 random characters in the Entra secret (locally: ENTRA_CLIENT_STATE); Graph echoes it in every notification and shorter ones are guessable.",
    },
    otherwise:
      "Set clientState (16–128 random characters) in the Entra secret (locally: ENTRA_CLIENT_STATE).",
  },
  "status-token": {
    label: "Status token",
    unconfigured: "no status token: set STATUS_TOKEN, or STATUS_TOKEN_SECRET_ID",
    store:
      'put {"token": "<at least 32 random characters>"} in the StatusToken secret (locally: STATUS_TOKEN)',
    fixes: {
      "CONFIG.SECRET_LENGTH":
        'Use at least 32 random characters: {"token": "…"} in the StatusToken secret (locally: STATUS_TOKEN); it reads /status and /log.',
    },
    otherwise:
      'Put {"token": "<at least 32 random characters>"} in the StatusToken secret (locally: STATUS_TOKEN).',
  },
  "admin-token": {
    label: "Admin token",
    unconfigured: "no admin token: set ADMIN_TOKEN, or ADMIN_TOKEN_SECRET_ID",
    store:
      'put {"token": "<at least 32 random characters, not the status token>"} in the AdminToken secret (locally: ADMIN_TOKEN)',
    fixes: {
      "CONFIG.SECRET_LENGTH":
        'Use at least 32 random characters: {"token": "…"} in the AdminToken secret (locally: ADMIN_TOKEN); it guards every /admin action.',
      "CONFIG.SAME_TOKEN":
        "Give the admin token a value of its own: while it equals the status token, anyone who may read /status may also act on /admin.",
    },
    otherwise:
      'Put {"token": "<at least 32 random characters>"} in the AdminToken secret (locally: ADMIN_TOKEN).',
  },
  "sync-groups": {
    label: "Sync groups",
    unconfigured: "SYNC_GROUPS is unset or *: every group is synced",
    store: "set SYNC_GROUPS (the deploying shell; locally the environment)",
    fixes: {
      "PREFLIGHT.NO_GROUP_LIST":
        "No configured source could list its groups: fix the IdP rows first; the entries are checked once a source answers.",
      "PREFLIGHT.TIMEOUT":
        "Listing every group took longer than the check allows (a large directory): the next reconcile (hourly, or POST /admin/reconcile) checks the entries, and /status names any that select nothing.",
    },
    otherwise: "Check the IdP credentials (the rows above), then run the doctor again.",
  },
  "event-bus": {
    label: "Event bus",
    unconfigured: "no EventBridge bus: EVENT_BUS_NAME is not set",
    store: "set EVENT_BUS_NAME (the stack does)",
    fixes: {
      "BUS.NOT_FOUND":
        "The bus named by EVENT_BUS_NAME does not exist in this account and region: deploy the stack again (npx sst deploy) or correct EVENT_BUS_NAME.",
      "BUS.ACCESS_DENIED":
        "This function's role may not describe the bus: allow events:DescribeEventBus on the bus's ARN.",
    },
    otherwise: `EventBridge did not answer: check the region, then ${unreachable} (or an EventBridge VPC endpoint).`,
  },
  scheduler: {
    label: "Retry scheduler",
    unconfigured:
      "no EventBridge Scheduler: SCHEDULER_GROUP_NAME, SCHEDULER_ROLE_ARN and EVENT_BUS_ARN are not set",
    store: "set SCHEDULER_GROUP_NAME, SCHEDULER_ROLE_ARN and EVENT_BUS_ARN (the stack does)",
    fixes: {
      "SCHEDULER.NOT_FOUND":
        "The schedule group named by SCHEDULER_GROUP_NAME does not exist (or is being deleted): deploy the stack again (npx sst deploy).",
      "SCHEDULER.ACCESS_DENIED":
        "This function's role may not read the schedule group: allow scheduler:GetScheduleGroup on the group's ARN.",
    },
    otherwise: `EventBridge Scheduler did not answer: check the region, then ${unreachable}.`,
  },
};

/** Fixes that read the same for every check, phrased with the check's own secret. */
function sharedFix(code: string, guide: CheckGuide, timeoutMs: number): string | undefined {
  switch (code) {
    case "CONFIG.MISSING_SECRET":
    case "CONFIG.SECRET_EMPTY":
    case "CONFIG.SECRET_NOT_JSON":
    case "CONFIG.SECRET_SHAPE":
    case "ResourceNotFoundException":
      return `${capitalized(guide.store)}.`;
    case "AccessDeniedException":
      return "This function's role may not read the secret: allow secretsmanager:GetSecretValue on it (and kms:Decrypt for a customer-managed key).";
    case "PREFLIGHT.TIMEOUT":
      return `No answer within ${duration(timeoutMs)}: ${unreachable}, then run the doctor again.`;
    default:
      return undefined;
  }
}

const maxDetailLength = 400;

/**
 * Runs every configured probe at once, each under its own deadline, and turns each outcome into a
 * row an operator can act on: the fix is chosen by error code, never by parsing messages. It never
 * throws, so a broken probe is one failed row rather than no report.
 */
export async function runPreflight(
  probes: readonly PreflightProbe[],
  options: PreflightOptions = {},
): Promise<PreflightReport> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const checks = await Promise.all(
    probes.map(async (probe): Promise<PreflightCheckReport> => {
      const guide = guides[probe.check];
      const row = { id: probe.check, check: guide.label };
      if (!probe.configured) return { ...row, result: "skipped", detail: guide.unconfigured };
      try {
        const outcome = await withDeadline(() => probe.run(), timeoutMs);
        if (typeof outcome !== "string")
          return { ...row, result: "warn", detail: redact(outcome.warning, options), fix: outcome.fix };
        return { ...row, result: "pass", detail: redact(outcome, options) };
      } catch (error) {
        const code =
          error instanceof SyncError ? error.code : (error as Error | undefined)?.name || "UNKNOWN";
        const message = error instanceof Error ? error.message : String(error);
        return {
          ...row,
          result: "fail",
          detail: redact(`${code}: ${message}`, options).slice(0, maxDetailLength),
          fix: guide.fixes[code] ?? sharedFix(code, guide, timeoutMs) ?? guide.otherwise,
          code,
        };
      }
    }),
  );
  return { ok: checks.every((check) => check.result !== "fail"), checks };
}

/** The doctor's length rule for shared secrets, with the code the guides explain. */
export function requireLength(
  what: string,
  value: string,
  min: number,
  max = Number.POSITIVE_INFINITY,
): void {
  if (value.length >= min && value.length <= max) return;
  const range = Number.isFinite(max) ? `${min}–${max}` : `at least ${min}`;
  throw new SyncError("CONFIG.SECRET_LENGTH", `${what} is ${value.length} characters; it must be ${range}`, {
    retryable: false,
  });
}

async function withDeadline<T>(run: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new SyncError("PREFLIGHT.TIMEOUT", `no answer within ${duration(timeoutMs)}`, {
            retryable: true,
          }),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([Promise.resolve().then(run), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function redact(text: string, options: PreflightOptions): string {
  let clean = text;
  for (const secret of options.secrets?.() ?? []) {
    if (secret.length >= 4) clean = clean.replaceAll(secret, "[redacted]");
  }
  return clean;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}
