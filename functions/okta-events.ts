import { loadConfig } from "../core/config";
import type { EventBus } from "../core/ports/event-bus";
import { receiveOktaDelivery } from "../core/use-cases/receive-okta-delivery";
import { hookDependencies } from "./shared/hook-dependencies";
import { createHookHandler } from "./shared/hook-handler";
import type { LedgerDependencies } from "./shared/ledger-dependencies";
import { once } from "./shared/once";
import type { SecretDependencies } from "./shared/secret-dependencies";

export type OktaEventsDependencies = LedgerDependencies &
  Pick<SecretDependencies, "oktaHookSecret"> & { bus: EventBus };

/** `GET|POST /okta/events`: Okta's verification challenge and event hook deliveries. */
export function createOktaEventsHandler(dependencies: () => OktaEventsDependencies) {
  return createHookHandler("okta-events", dependencies, async (request, deps) =>
    receiveOktaDelivery(request, {
      ...deps,
      hookSecret: await deps.oktaHookSecret(),
      maxBodyBytes: deps.config.maxHookBodyBytes,
    }),
  );
}

export const handler = createOktaEventsHandler(once(() => hookDependencies(loadConfig())));
