import { probeGraphGroupRead } from "../../core/adapters/graph/graph-probe";
import { bearerTokenMinLength } from "../../core/config";
import { secretsMatch } from "../../core/domain/constant-time";
import { SyncError } from "../../core/domain/errors";
import {
  describeScopeMismatch,
  type ScopeMismatch,
  unmatchedEverywhere,
} from "../../core/domain/group-scope";
import type { IdentitySource } from "../../core/domain/identity-source";
import type { SecretStore } from "../../core/ports/secret-store";
import { resolveEntraSettings, resolveOktaCredentials } from "../../core/use-cases/resolve-secrets";
import {
  type PreflightProbe,
  type PreflightReport,
  requireLength,
  runPreflight,
} from "../../core/use-cases/run-preflight";
import { secretsManager } from "./secret-dependencies";
import type { ServiceDependencies } from "./service-dependencies";

/** What the doctor reads; every credential but Graph's comes through the service's own wiring. */
export type DoctorDependencies = Pick<
  ServiceDependencies,
  | "config"
  | "kiroScim"
  | "kiroCredentials"
  | "directoryFor"
  | "oktaHookSecret"
  | "statusToken"
  | "adminToken"
  | "entraClientState"
  | "bus"
  | "retries"
  | "configuredDirectories"
  | "scope"
>;

export interface DoctorOptions {
  /**
   * For the Graph and Okta credentials, which the dependencies keep inside their clients. Defaults
   * to Secrets Manager, read only when a setting names a secret instead of carrying the value.
   */
  secrets?: SecretStore;
  timeoutMs?: number;
}

/** The checks of `npm run doctor` and `POST /admin/doctor`, with every value they met kept out of the report. */
export async function runDoctor(
  deps: DoctorDependencies,
  options: DoctorOptions = {},
): Promise<PreflightReport> {
  const seen = new Set<string>();
  const probes = preflightProbes(deps, options.secrets, (value) => {
    if (value) seen.add(value);
    return value;
  });
  return runPreflight(probes, { timeoutMs: options.timeoutMs, secrets: () => seen });
}

/**
 * One probe per credential or AWS resource, each a single harmless read. Okta and Entra count as
 * configured exactly when the service would read them (`configuredDirectories`), so the doctor
 * checks what the service will use and nothing else.
 */
export function preflightProbes(
  deps: DoctorDependencies,
  secretStore: SecretStore | undefined,
  remember: (value: string | undefined) => string | undefined,
  scopeChecked: (bySource: Partial<Record<IdentitySource, ScopeMismatch[]>>) => void = () => {},
): PreflightProbe[] {
  const { config } = deps;
  let store = secretStore;
  const secrets = () => {
    store ??= secretsManager();
    return store;
  };
  const okta = Boolean(config.okta.orgUrl);
  const entra = Boolean(config.entra.tenantId || config.entra.secretId);
  const bus = deps.bus;
  const retries = deps.retries;
  return [
    {
      check: "kiro-scim",
      configured: Boolean(config.kiroScim || config.kiroScimSecretId),
      run: async () => {
        const { url, token } = await deps.kiroCredentials({ fresh: true });
        remember(token);
        const host = new URL(url).host;
        await naming(host, async () => (await deps.kiroScim()).checkAccess());
        return `${host}: GET /ServiceProviderConfig and GET /Users?count=1 answered`;
      },
    },
    {
      check: "okta-api",
      configured: okta,
      run: async () => {
        const credentials = await resolveOktaCredentials(config, secrets());
        remember("token" in credentials ? credentials.token : credentials.privateKey);
        const how = "token" in credentials ? "the SSWS token" : `service app ${credentials.clientId}`;
        const directory = await deps.directoryFor("okta");
        if (!directory.checkAccess)
          throw new SyncError("PREFLIGHT.UNSUPPORTED", "the Okta directory has no access check", {
            retryable: false,
          });
        const check = directory.checkAccess.bind(directory);
        const host = new URL(credentials.orgUrl).host;
        await naming(host, check);
        return `${host}: listed a group with ${how}`;
      },
    },
    {
      check: "entra-graph",
      configured: entra,
      run: async () => {
        const { credentials, clientState } = await resolveEntraSettings(config, secrets());
        remember(credentials.clientSecret);
        remember(clientState);
        await probeGraphGroupRead(credentials);
        return "GET /groups?$top=1&$select=id answered";
      },
    },
    {
      check: "okta-hook-secret",
      configured: okta,
      run: async () => {
        requireLength("the Okta hook secret", remember(await deps.oktaHookSecret()) ?? "", 1);
        return "set";
      },
    },
    {
      check: "entra-client-state",
      configured: entra,
      run: async () => {
        requireLength("clientState", remember(await deps.entraClientState()) ?? "", 16, 128);
        return "set, 16–128 characters";
      },
    },
    {
      check: "status-token",
      configured: Boolean(config.statusToken || config.statusTokenSecretId),
      run: async () => {
        requireLength("the status token", remember(await deps.statusToken()) ?? "", bearerTokenMinLength);
        return `set, at least ${bearerTokenMinLength} characters`;
      },
    },
    {
      check: "admin-token",
      configured: Boolean(config.adminToken || config.adminTokenSecretId),
      run: async () => {
        const adminToken = remember(await deps.adminToken()) ?? "";
        requireLength("the admin token", adminToken, bearerTokenMinLength);
        const statusToken = await deps.statusToken().catch(() => undefined);
        if (statusToken !== undefined && secretsMatch(adminToken, statusToken))
          throw new SyncError("CONFIG.SAME_TOKEN", "the admin token is the status token", {
            retryable: false,
          });
        return `set, at least ${bearerTokenMinLength} characters, not the status token`;
      },
    },
    {
      check: "sync-groups",
      configured: !deps.scope.everything && (okta || entra),
      run: async () => {
        const bySource = await scopeMismatches(deps);
        scopeChecked(bySource);
        const sources = Object.keys(bySource);
        if (sources.length === 0)
          throw new SyncError("PREFLIGHT.NO_GROUP_LIST", "no configured source listed its groups", {
            retryable: true,
          });
        const unmatched = unmatchedEverywhere(bySource);
        if (unmatched.length === 0)
          return `every entry of ${deps.scope.describe()} selects a ${sources.join(" or ")} group`;
        return {
          warning: unmatched.map((mismatch) => describeScopeMismatch(mismatch, sources)).join("; "),
          fix: "Correct SYNC_GROUPS and deploy again (locally: restart): an entry without * is an exact group id or name, a pattern like Kiro-* ignores letter case. Until then those entries select nothing; the other entries sync.",
        };
      },
    },
    {
      check: "event-bus",
      configured: typeof bus.probe === "function",
      run: async () => {
        await bus.probe?.();
        return config.eventBusName ? `EventBridge bus ${config.eventBusName} found` : "in-process bus";
      },
    },
    {
      check: "scheduler",
      configured: typeof retries.probe === "function",
      run: async () => {
        await retries.probe?.();
        return config.scheduler
          ? `schedule group ${config.scheduler.groupName} is active`
          : "in-process timers of the local bus";
      },
    },
  ];
}

/** Per configured source that could list its groups, the SYNC_GROUPS entries none of them match. */
async function scopeMismatches(
  deps: Pick<DoctorDependencies, "configuredDirectories" | "scope">,
): Promise<Partial<Record<IdentitySource, ScopeMismatch[]>>> {
  const directories = Object.entries(await deps.configuredDirectories());
  const listed = await Promise.all(
    directories.map(async ([source, directory]) => {
      const groups = await directory.listGroups().catch(() => undefined);
      return groups ? [[source, deps.scope.unmatchedEntries(groups)] as const] : [];
    }),
  );
  return Object.fromEntries(listed.flat());
}

/** The checks `npm start` prints one line each for: what the sync depends on, and its scope. */
const dependencyChecks = new Set(["kiro-scim", "okta-api", "entra-graph", "sync-groups"]);

/**
 * The local runtime's dependency check, at start and again while one fails: the doctor's probes
 * of Kiro, each configured IdP and the SYNC_GROUPS entries, each bounded by `timeoutMs` so an
 * unreachable host costs seconds, not minutes. What they find goes into the ledger (Kiro's and each
 * source's health, each source's scope check), so `/status` health says it as well as the lines.
 */
export async function checkDependencies(
  deps: DoctorDependencies & Pick<ServiceDependencies, "ledger">,
  options: DoctorOptions = {},
): Promise<PreflightReport> {
  const seen = new Set<string>();
  let scope: Partial<Record<IdentitySource, ScopeMismatch[]>> = {};
  const probes = preflightProbes(
    deps,
    options.secrets,
    (value) => {
      if (value) seen.add(value);
      return value;
    },
    (bySource) => {
      scope = bySource;
    },
  ).filter((probe) => dependencyChecks.has(probe.check));
  const report = await runPreflight(probes, { timeoutMs: options.timeoutMs, secrets: () => seen });
  const failure = (row: PreflightReport["checks"][number]) =>
    row.result === "fail"
      ? {
          errorCode: row.code ?? "UNKNOWN",
          reason: `${row.detail.replace(`${row.code}: `, "")}. ${row.fix ?? ""}`.trim(),
        }
      : undefined;
  await Promise.all(
    report.checks.map(async (row) => {
      if (row.result === "skipped") return;
      if (row.id === "kiro-scim") await deps.ledger.recordKiroHealth(failure(row));
      if (row.id === "okta-api") await deps.ledger.recordSourceHealth("okta", failure(row));
      if (row.id === "entra-graph") await deps.ledger.recordSourceHealth("entra", failure(row));
    }),
  );
  for (const [source, unmatched] of Object.entries(scope))
    await deps.ledger.recordScopeCheck(source as IdentitySource, unmatched);
  return report;
}

/** The host goes into the failure's detail: "unreachable" is only actionable when it says which host. */
async function naming(host: string, read: () => Promise<void>): Promise<void> {
  try {
    await read();
  } catch (error) {
    if (!(error instanceof SyncError)) throw error;
    throw new SyncError(error.code, `${host}: ${error.message}`, {
      retryable: error.retryable,
      cause: error,
    });
  }
}
