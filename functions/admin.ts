import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { loadConfig } from "../core/config";
import { answerAdminRequest } from "./shared/admin-routes";
import { once } from "./shared/once";
import { logger } from "./shared/powertools";
import { createServiceDependencies, type ServiceDependencies } from "./shared/service-dependencies";

/**
 * Operator routes (bearer: the admin token; the status token only reads): `POST
 * /admin/reconcile[?dryRun=true]`, `/admin/reprovision`, `/admin/approve/{runId}`, `/admin/redrive`,
 * `/admin/doctor` and `/admin/provision` (see admin-routes.ts), each written to the provisioning log
 * with who and what.
 */
export function createAdminHandler(dependencies: () => ServiceDependencies) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => answerAdminRequest(dependencies(), event));
}

/** The operator routes between them read every source and Kiro, so Admin composes everything. */
export const handler = createAdminHandler(once(() => createServiceDependencies(loadConfig())));
