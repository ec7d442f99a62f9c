import { receiveOktaDelivery } from "../core/use-cases/receive-okta-delivery";
import { createHookHandler } from "./shared/hook-handler";
import { awsDependencies, type ServiceDependencies } from "./shared/service-dependencies";

/** `GET|POST /okta/events`: Okta's verification challenge and event hook deliveries. */
export function createOktaEventsHandler(dependencies: () => ServiceDependencies) {
  return createHookHandler("okta-events", dependencies, async (request, deps) =>
    receiveOktaDelivery(request, {
      ...deps,
      hookSecret: await deps.oktaHookSecret(),
      maxBodyBytes: deps.config.maxHookBodyBytes,
      oktaAppId: deps.config.okta.appId,
    }),
  );
}

export const handler = createOktaEventsHandler(awsDependencies);
