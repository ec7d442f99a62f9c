import { receiveEntraLifecycle, validationEcho } from "../core/use-cases/receive-entra-notifications";
import { createHookHandler } from "./shared/hook-handler";
import { awsDependencies, type ServiceDependencies } from "./shared/service-dependencies";

/**
 * `POST /entra/lifecycle`: reauthorizationRequired → renew; subscriptionRemoved / missed → recreate
 * and resync. The API's own URL stands in for the notification base URL, which this function cannot
 * be given at deploy time without a cycle between it and the API.
 */
export function createEntraLifecycleHandler(dependencies: () => ServiceDependencies) {
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

export const handler = createEntraLifecycleHandler(awsDependencies);
