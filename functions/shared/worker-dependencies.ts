import type { ServiceConfig } from "../../core/config";
import type { EventBus } from "../../core/ports/event-bus";
import type { RetryScheduler } from "../../core/ports/retry-scheduler";
import { eventBridgeBus } from "./bus-dependencies";
import { type DirectoryDependencies, directoryDependencies } from "./directory-dependencies";
import { type KiroDependencies, kiroDependencies } from "./kiro-dependencies";
import { type LedgerDependencies, ledgerDependencies } from "./ledger-dependencies";
import { eventBridgeScheduler } from "./retry-dependencies";
import { secretsManager } from "./secret-dependencies";

/** What the functions that re-read an IdP and write to Kiro take: bus workers and the reconcile cron. */
export type WorkerDependencies = LedgerDependencies &
  KiroDependencies &
  DirectoryDependencies & { bus: EventBus; retries: RetryScheduler };

export function workerDependencies(config: ServiceConfig): WorkerDependencies {
  const secrets = secretsManager();
  const base = ledgerDependencies(config);
  return {
    ...base,
    ...kiroDependencies(config, secrets),
    ...directoryDependencies(config, secrets, base.ledger),
    bus: eventBridgeBus(config),
    retries: eventBridgeScheduler(config),
  };
}
