import { probeGraphGroupRead } from "../../core/adapters/graph/graph-probe";
import { bearerTokenMinLength } from "../../core/config";
import { secretsMatch } from "../../core/domain/constant-time";
import { SyncError } from "../../core/domain/errors";
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
