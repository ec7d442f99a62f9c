import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { ServiceConfig } from "../../core/config";
import type { EventBus } from "../../core/ports/event-bus";
import type { RetryScheduler } from "../../core/ports/retry-scheduler";
import type { SecretStore } from "../../core/ports/secret-store";
import { eventBridgeBus } from "./bus-dependencies";
import { type DirectoryDependencies, directoryDependencies } from "./directory-dependencies";
import type { EntraDependencies } from "./entra-dependencies";
import { type KiroDependencies, kiroDependencies } from "./kiro-dependencies";
import { type LedgerDependencies, ledgerDependencies } from "./ledger-dependencies";
import { eventBridgeScheduler } from "./retry-dependencies";
import { type SecretDependencies, secretDependencies, secretsManager } from "./secret-dependencies";

/**
 * Every dependency of every function together. Only the local runtime, the CLIs and the tests
 * build it whole; each Lambda composes just the parts its handler takes, so a hook bundle carries
 * no Okta SDK, Graph client or Scheduler client.
 */
export type ServiceDependencies = LedgerDependencies &
  SecretDependencies &
  KiroDependencies &
  DirectoryDependencies &
  EntraDependencies & {
    bus: EventBus;
    /** Delayed retries: EventBridge Scheduler in AWS, the local bus's timers locally. */
    retries: RetryScheduler;
  };

/** All the parts over one configuration; the local runtime passes its own bus, store and secrets. */
export function createServiceDependencies(
  config: ServiceConfig,
  overrides: {
    bus?: EventBus;
    retries?: RetryScheduler;
    secrets?: SecretStore;
    dynamo?: DynamoDBClient;
  } = {},
): ServiceDependencies {
  const secrets = overrides.secrets ?? secretsManager();
  const base = ledgerDependencies(config, overrides.dynamo);
  return {
    ...base,
    ...secretDependencies(config, secrets),
    ...kiroDependencies(config, secrets),
    ...directoryDependencies(config, secrets, base.ledger),
    bus: overrides.bus ?? eventBridgeBus(config),
    retries: overrides.retries ?? eventBridgeScheduler(config),
  };
}
