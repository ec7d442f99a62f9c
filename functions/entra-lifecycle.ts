import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { receiveEntraLifecycle, validationEcho } from "../core/use-cases/receive-entra-notifications";
import { internalError, recordHookAnswer, toHookRequest, toHttpResult } from "./shared/http";
import { logger, metrics } from "./shared/powertools";
import { awsDependencies, type ServiceDependencies } from "./shared/service-dependencies";

/** `POST /entra/lifecycle`: reauthorizationRequired → renew; subscriptionRemoved / missed → recreate. */
export function createEntraLifecycleHandler(dependencies: () => ServiceDependencies) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (event) => {
      const deps = dependencies();
      const request = toHookRequest(event);
      try {
        const echo = validationEcho(request);
        if (echo) return toHttpResult(echo);
        const answer = await receiveEntraLifecycle(request, {
          ...deps,
          clientState: await deps.entraClientState(),
          maxBodyBytes: deps.config.maxHookBodyBytes,
          subscriptions: await deps.entraSubscriptions(`https://${event.requestContext.domainName}`),
        });
        recordHookAnswer("entra-lifecycle", answer);
        return toHttpResult(answer);
      } catch (error) {
        return internalError("entra-lifecycle", error);
      }
    });
}

export const handler = createEntraLifecycleHandler(awsDependencies);
