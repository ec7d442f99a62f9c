import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { HookAnswer, HookRequest } from "../../core/use-cases/hook-request";
import { internalError, recordHookAnswer, toHookRequest, toHttpResult } from "./http";
import { logger, metrics } from "./powertools";

/**
 * The one shape of every public hook endpoint: Powertools context and metrics, the API Gateway
 * event turned into a transport-neutral request, one use case, its answer counted and logged
 * without payload data, and a 500 (so the IdP retries) only when nothing could be recorded.
 */
export function createHookHandler<Dependencies>(
  endpoint: string,
  dependencies: () => Dependencies,
  answer: (request: HookRequest, deps: Dependencies, event: APIGatewayProxyEventV2) => Promise<HookAnswer>,
) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (event) => {
      try {
        const result = await answer(toHookRequest(event), dependencies(), event);
        recordHookAnswer(endpoint, result);
        return toHttpResult(result);
      } catch (error) {
        return internalError(endpoint, error);
      }
    });
}
