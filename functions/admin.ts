import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { loadConfig } from "../core/config";
import { adminRoutes } from "./shared/admin-routes";
import { refuseWithoutStatusToken } from "./shared/http";
import { once } from "./shared/once";
import { logger } from "./shared/powertools";
import { createServiceDependencies, type ServiceDependencies } from "./shared/service-dependencies";

/**
 * Operator routes (bearer: the status token): `POST /admin/reconcile[?dryRun=true]`,
 * `/admin/reprovision`, `/admin/approve/{runId}`, `/admin/redrive`, `/admin/doctor` and
 * `/admin/provision` (see admin-routes.ts).
 */
export function createAdminHandler(dependencies: () => ServiceDependencies) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event): Promise<APIGatewayProxyStructuredResultV2> => {
      const deps = dependencies();
      const refusal = await refuseWithoutStatusToken(event, deps.statusToken);
      if (refusal) return refusal;
      for (const [pattern, route] of adminRoutes) {
        const match = pattern.exec(event.requestContext.http.path);
        if (match) return route(deps, event, match);
      }
      return { statusCode: 404, body: '{"message":"not found"}' };
    });
}

/** The operator routes between them read every source and Kiro, so Admin composes everything. */
export const handler = createAdminHandler(once(() => createServiceDependencies(loadConfig())));
