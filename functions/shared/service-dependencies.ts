import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { DynamoLedger } from "../../core/adapters/dynamo/dynamo-ledger";
import { EventBridgeBus } from "../../core/adapters/eventbridge/eventbridge-bus";
import { createGraphClient, GraphDirectory } from "../../core/adapters/graph/graph-directory";
import { GraphSubscriptions } from "../../core/adapters/graph/graph-subscriptions";
import { OktaDirectory } from "../../core/adapters/okta/okta-directory";
import { EventBridgeScheduler } from "../../core/adapters/scheduler/eventbridge-scheduler";
import { ScimHttpClient } from "../../core/adapters/scim/scim-http-client";
import { SecretsManagerStore } from "../../core/adapters/secrets/secrets-manager-store";
import { loadConfig, type ServiceConfig } from "../../core/config";
import { SyncError } from "../../core/domain/errors";
import { GroupScope } from "../../core/domain/group-scope";
import type { IdentitySource } from "../../core/domain/identity-source";
import type { EventBus } from "../../core/ports/event-bus";
import type { IdentityDirectory } from "../../core/ports/identity-directory";
import type { KiroScimPort } from "../../core/ports/kiro-scim";
import type { Ledger } from "../../core/ports/ledger";
import type { RetryScheduler } from "../../core/ports/retry-scheduler";
import type { SecretStore } from "../../core/ports/secret-store";
import type { RetryDependencies } from "../../core/use-cases/deliver-with-retries";
import { EntraSubscriptionManager } from "../../core/use-cases/manage-entra-subscriptions";
import {
  resolveEntraSettings,
  resolveKiroCredentials,
  resolveOktaCredentials,
  resolveOktaHookSecret,
  resolveStatusToken,
} from "../../core/use-cases/resolve-secrets";

/** Everything a handler needs, built once per container (or once per local runtime). */
export interface ServiceDependencies {
  config: ServiceConfig;
  ledger: Ledger;
  bus: EventBus;
  /** Delayed retries: EventBridge Scheduler in AWS, the local bus's timers locally. */
  retries: RetryScheduler;
  scope: GroupScope;
  oktaHookSecret(): Promise<string>;
  statusToken(): Promise<string>;
  /** Re-resolved on each call (the secret store caches), so a rotated Kiro token is picked up. */
  kiroScim(): Promise<KiroScimPort>;
  kiroCredentials(): Promise<{ url: string; token: string }>;
  entraDirectory(): Promise<GraphDirectory>;
  entraClientState(): Promise<string>;
  /** `notificationBaseUrl` stands in when ENTRA_NOTIFICATION_BASE_URL is unset (the API's own URL). */
  entraSubscriptions(notificationBaseUrl?: string): Promise<EntraSubscriptionManager>;
  directoryFor(source: IdentitySource): Promise<IdentityDirectory>;
  /** The directories of the identity sources this deployment is configured for. */
  configuredDirectories(): Promise<Partial<Record<IdentitySource, IdentityDirectory>>>;
}

/**
 * The one composition root. In AWS every adapter talks to the real service; the local runtime and
 * the tests pass their own bus (in-process) and point DynamoDB at DynamoDB Local through the same
 * configuration, so the handlers run unchanged.
 */
export function createServiceDependencies(
  config: ServiceConfig,
  overrides: {
    bus?: EventBus;
    retries?: RetryScheduler;
    secrets?: SecretStore;
    dynamo?: DynamoDBClient;
  } = {},
): ServiceDependencies {
  const dynamo =
    overrides.dynamo ??
    new DynamoDBClient(config.dynamoDbEndpoint ? { endpoint: config.dynamoDbEndpoint } : {});
  const secrets = overrides.secrets ?? new SecretsManagerStore(new SecretsManagerClient({}));
  const bus = overrides.bus ?? eventBridgeBus(config);
  const retries = overrides.retries ?? eventBridgeScheduler(config);
  let scim: { key: string; client: ScimHttpClient } | undefined;
  let directory: IdentityDirectory | undefined;
  const ledger = new DynamoLedger({ client: dynamo, tableName: config.ledgerTableName });
  let graph: { key: string; directory: GraphDirectory; subscriptions: GraphSubscriptions } | undefined;
  const subscriptionManagers = new Map<string, EntraSubscriptionManager>();
  /** Rebuilt when the secret's credentials change, so a rotated client secret needs no redeploy. */
  const entraClients = async () => {
    const settings = await resolveEntraSettings(config, secrets);
    const key = JSON.stringify(settings.credentials);
    if (graph?.key !== key) {
      graph = {
        key,
        directory: new GraphDirectory(settings.credentials),
        subscriptions: new GraphSubscriptions(createGraphClient(settings.credentials)),
      };
      subscriptionManagers.clear();
    }
    return { ...graph, clientState: settings.clientState };
  };
  const oktaDirectory = async () => {
    directory ??= new OktaDirectory(await resolveOktaCredentials(config, secrets));
    return directory;
  };
  return {
    config,
    ledger,
    bus,
    retries,
    scope: new GroupScope(config.syncGroups),
    oktaHookSecret: () => resolveOktaHookSecret(config, secrets),
    statusToken: () => resolveStatusToken(config, secrets),
    kiroScim: async () => {
      const credentials = await resolveKiroCredentials(config, secrets);
      const key = `${credentials.url} ${credentials.token}`;
      if (scim?.key !== key) {
        const client = new ScimHttpClient({
          baseUrl: credentials.url,
          token: credentials.token,
          requestTimeoutMs: config.scimRequestTimeoutMs,
          retryPolicy: config.retryPolicy,
        });
        scim = { key, client };
      }
      return scim.client;
    },
    kiroCredentials: () => resolveKiroCredentials(config, secrets),
    entraDirectory: async () => (await entraClients()).directory,
    entraClientState: async () => (await entraClients()).clientState,
    entraSubscriptions: async (fallbackBaseUrl) => {
      const clients = await entraClients();
      const base = (config.entra.notificationBaseUrl ?? fallbackBaseUrl)?.replace(/\/$/, "");
      if (!base)
        throw new SyncError("CONFIG.MISSING", "ENTRA_NOTIFICATION_BASE_URL is not configured", {
          retryable: false,
        });
      let manager = subscriptionManagers.get(base);
      if (!manager) {
        manager = new EntraSubscriptionManager(ledger, clients.subscriptions, {
          notificationUrl: `${base}/entra/notifications`,
          lifecycleNotificationUrl: `${base}/entra/lifecycle`,
          clientState: clients.clientState,
        });
        subscriptionManagers.set(base, manager);
      }
      return manager;
    },
    directoryFor: async (source) => (source === "okta" ? oktaDirectory() : (await entraClients()).directory),
    configuredDirectories: async () => {
      const directories: Partial<Record<IdentitySource, IdentityDirectory>> = {};
      if (config.okta.orgUrl) directories.okta = await oktaDirectory();
      if (config.entra.tenantId || config.entra.secretId)
        directories.entra = (await entraClients()).directory;
      return directories;
    },
  };
}

function eventBridgeBus(config: ServiceConfig): EventBus {
  if (!config.eventBusName) {
    return {
      publish: async () => {
        throw new SyncError("CONFIG.NO_BUS", "EVENT_BUS_NAME is not set", { retryable: false });
      },
    };
  }
  return new EventBridgeBus(new EventBridgeClient({}), config.eventBusName);
}

/** What the retry policy needs, from the one composition root. */
export function retryDependencies(deps: ServiceDependencies): RetryDependencies {
  return {
    ledger: deps.ledger,
    bus: deps.bus,
    retries: deps.retries,
    policy: deps.config.retryPolicy,
    pauseProbeMs: deps.config.pauseProbeMs,
    probeCredentials: async () => (await deps.kiroScim()).listGroups(""),
  };
}

function eventBridgeScheduler(config: ServiceConfig): RetryScheduler {
  if (!config.scheduler) {
    return {
      schedule: async () => {
        throw new SyncError(
          "CONFIG.NO_SCHEDULER",
          "SCHEDULER_GROUP_NAME, SCHEDULER_ROLE_ARN and EVENT_BUS_ARN must be set",
          { retryable: false },
        );
      },
    };
  }
  return new EventBridgeScheduler(new SchedulerClient({}), config.scheduler);
}

let aws: ServiceDependencies | undefined;

/** Lazily built on first invocation, so importing a handler module has no side effects. */
export function awsDependencies(): ServiceDependencies {
  aws ??= createServiceDependencies(loadConfig());
  return aws;
}
