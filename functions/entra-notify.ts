import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { receiveEntraNotifications, validationEcho } from "../core/use-cases/receive-entra-notifications";
import { internalError, recordHookAnswer, toHookRequest, toHttpResult } from "./shared/http";
import { logger, metrics } from "./shared/powertools";
import { awsDependencies, type ServiceDependencies } from "./shared/service-dependencies";

/** `POST /entra/notifications`: Graph's validation handshake and change notifications for /users and /groups. */
export function createEntraNotifyHandler(dependencies: () => ServiceDependencies) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (event) => {
      const deps = dependencies();
      const request = toHookRequest(event);
      try {
        const echo = validationEcho(request);
        if (echo) return toHttpResult(echo);
        const answer = await receiveEntraNotifications(request, {
          ...deps,
          clientState: await deps.entraClientState(),
          maxBodyBytes: deps.config.maxHookBodyBytes,
        });
        recordHookAnswer("entra-notify", answer);
        return toHttpResult(answer);
      } catch (error) {
        return internalError("entra-notify", error);
      }
    });
}

export const handler = createEntraNotifyHandler(awsDependencies);
