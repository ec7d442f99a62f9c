import { loadConfig } from "../core/config";
import type { EventBus } from "../core/ports/event-bus";
import { receiveEntraNotifications, validationEcho } from "../core/use-cases/receive-entra-notifications";
import { hookDependencies } from "./shared/hook-dependencies";
import { createHookHandler } from "./shared/hook-handler";
import type { LedgerDependencies } from "./shared/ledger-dependencies";
import { once } from "./shared/once";
import type { SecretDependencies } from "./shared/secret-dependencies";

export type EntraNotifyDependencies = LedgerDependencies &
  Pick<SecretDependencies, "entraClientState"> & { bus: EventBus };

/**
 * `POST /entra/notifications`: Graph's validation handshake (answered before anything else, even
 * before the clientState secret is read) and change notifications for /users and /groups. It
 * records and triggers only, so it carries no Graph client.
 */
export function createEntraNotifyHandler(dependencies: () => EntraNotifyDependencies) {
  return createHookHandler(
    "entra-notify",
    dependencies,
    async (request, deps) =>
      validationEcho(request) ??
      receiveEntraNotifications(request, {
        ...deps,
        clientState: await deps.entraClientState(),
        maxBodyBytes: deps.config.maxHookBodyBytes,
      }),
  );
}

export const handler = createEntraNotifyHandler(once(() => hookDependencies(loadConfig())));
