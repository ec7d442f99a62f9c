import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { receiveOktaDelivery } from "../core/use-cases/receive-okta-delivery";
import { internalError, recordHookAnswer, toHookRequest, toHttpResult } from "./shared/http";
import { logger, metrics } from "./shared/powertools";
import { awsDependencies, type ServiceDependencies } from "./shared/service-dependencies";

/** `GET|POST /okta/events`: Okta's verification challenge and event hook deliveries. */
export function createOktaEventsHandler(dependencies: () => ServiceDependencies) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (event) => {
      const deps = dependencies();
      try {
        const answer = await receiveOktaDelivery(toHookRequest(event), {
          ...deps,
          hookSecret: await deps.oktaHookSecret(),
          maxBodyBytes: deps.config.maxHookBodyBytes,
          oktaAppId: deps.config.okta.appId,
        });
        recordHookAnswer("okta-events", answer);
        return toHttpResult(answer);
      } catch (error) {
        return internalError("okta-events", error);
      }
    });
}

export const handler = createOktaEventsHandler(awsDependencies);
