import { receiveEntraNotifications, validationEcho } from "../core/use-cases/receive-entra-notifications";
import { createHookHandler } from "./shared/hook-handler";
import { awsDependencies, type ServiceDependencies } from "./shared/service-dependencies";

/**
 * `POST /entra/notifications`: Graph's validation handshake (answered before anything else, even
 * before the clientState secret is read) and change notifications for /users and /groups.
 */
export function createEntraNotifyHandler(dependencies: () => ServiceDependencies) {
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

export const handler = createEntraNotifyHandler(awsDependencies);
