import type { ServiceConfig } from "../../core/config";
import type { EventBus } from "../../core/ports/event-bus";
import { eventBridgeBus } from "./bus-dependencies";
import { type LedgerDependencies, ledgerDependencies } from "./ledger-dependencies";
import { type SecretDependencies, secretDependencies, secretsManager } from "./secret-dependencies";

/** What a hook needs to record and trigger: the ledger, the bus and the secrets callers prove. */
export type HookDependencies = LedgerDependencies & SecretDependencies & { bus: EventBus };

export function hookDependencies(config: ServiceConfig): HookDependencies {
  return {
    ...ledgerDependencies(config),
    ...secretDependencies(config, secretsManager()),
    bus: eventBridgeBus(config),
  };
}
