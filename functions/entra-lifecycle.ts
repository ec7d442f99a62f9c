import { loadConfig } from "../core/config";
import type { EventBus } from "../core/ports/event-bus";
import { receiveEntraLifecycle, validationEcho } from "../core/use-cases/receive-entra-notifications";
import { eventBridgeBus } from "./shared/bus-dependencies";
import { type EntraDependencies, entraDependencies } from "./shared/entra-dependencies";
import { createHookHandler } from "./shared/hook-handler";
import { type LedgerDependencies, ledgerDependencies } from "./shared/ledger-dependencies";
import { once } from "./shared/once";
import { type SecretDependencies, secretDependencies, secretsManager } from "./shared/secret-dependencies";

export type EntraLifecycleDependencies = LedgerDependencies &
  Pick<SecretDependencies, "entraClientState"> &
  Pick<EntraDependencies, "entraSubscriptions"> & { bus: EventBus };

/**
 * `POST /entra/lifecycle`: reauthorizationRequired → renew; subscriptionRemoved / missed → recreate
 * and resync. The API's own URL stands in for the notification base URL, which this function cannot
 * be given at deploy time without a cycle between it and the API.
 */
export function createEntraLifecycleHandler(dependencies: () => EntraLifecycleDependencies) {
  return createHookHandler(
    "entra-lifecycle",
    dependencies,
    async (request, deps, event) =>
      validationEcho(request) ??
      receiveEntraLifecycle(request, {
        ...deps,
        clientState: await deps.entraClientState(),
        maxBodyBytes: deps.config.maxHookBodyBytes,
        subscriptions: await deps.entraSubscriptions(`https://${event.requestContext.domainName}`),
      }),
  );
}

export const handler = createEntraLifecycleHandler(
  once(() => {
    const config = loadConfig();
    const secrets = secretsManager();
    const base = ledgerDependencies(config);
    return {
      ...base,
      ...secretDependencies(config, secrets),
      ...entraDependencies(config, secrets, base.ledger),
      bus: eventBridgeBus(config),
    };
  }),
);
