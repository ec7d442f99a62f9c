import { loadConfig } from "../core/config";
import type { EventBus } from "../core/ports/event-bus";
import { receiveOktaDelivery } from "../core/use-cases/receive-okta-delivery";
import { eventBridgeBus } from "./shared/bus-dependencies";
import { createHookHandler } from "./shared/hook-handler";
import { type LedgerDependencies, ledgerDependencies } from "./shared/ledger-dependencies";
import { once } from "./shared/once";
import { type SecretDependencies, secretDependencies, secretsManager } from "./shared/secret-dependencies";

export type OktaEventsDependencies = LedgerDependencies &
  Pick<SecretDependencies, "oktaHookSecret"> & { bus: EventBus };

/** `GET|POST /okta/events`: Okta's verification challenge and event hook deliveries. */
export function createOktaEventsHandler(dependencies: () => OktaEventsDependencies) {
  return createHookHandler("okta-events", dependencies, async (request, deps) =>
    receiveOktaDelivery(request, {
      ...deps,
      hookSecret: await deps.oktaHookSecret(),
      maxBodyBytes: deps.config.maxHookBodyBytes,
      oktaAppId: deps.config.okta.appId,
    }),
  );
}

export const handler = createOktaEventsHandler(
  once(() => {
    const config = loadConfig();
    return {
      ...ledgerDependencies(config),
      ...secretDependencies(config, secretsManager()),
      bus: eventBridgeBus(config),
    };
  }),
);
