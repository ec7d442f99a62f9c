import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { secretsMatch } from "../core/domain/constant-time";
import { reconcileGroups } from "../core/use-cases/reconcile";
import { logger } from "./shared/powertools";
import { awsDependencies, type ServiceDependencies } from "./shared/service-dependencies";

/** `POST /admin/reconcile` (bearer: the status token): the hourly reconcile, now. Answers 202. */
export function createAdminHandler(dependencies: () => ServiceDependencies) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event): Promise<APIGatewayProxyStructuredResultV2> => {
      const deps = dependencies();
      const presented = /^Bearer (.+)$/i.exec(event.headers?.authorization ?? "")?.[1];
      if (!secretsMatch(presented, await deps.statusToken())) {
        return {
          statusCode: 401,
          headers: { "www-authenticate": "Bearer" },
          body: '{"message":"unauthenticated"}',
        };
      }
      if (event.requestContext.http.path !== "/admin/reconcile")
        return { statusCode: 404, body: '{"message":"not found"}' };
      const report = await reconcileGroups({ ...deps, directories: await deps.configuredDirectories() });
      logger.info("reconcile started by an operator", { ...report });
      return {
        statusCode: 202,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(report),
      };
    });
}

export const handler = createAdminHandler(awsDependencies);
