import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { planReconcile } from "../core/use-cases/plan-reconcile";
import { approveHeldRemovals, reconcileGroups } from "../core/use-cases/reconcile";
import { reprovision } from "../core/use-cases/reprovision";
import { refuseWithoutStatusToken } from "./shared/http";
import { logger } from "./shared/powertools";
import { awsDependencies, type ServiceDependencies } from "./shared/service-dependencies";

const accepted = (body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode: 202,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body ?? {}),
});

/**
 * Operator routes (bearer: the status token), answering 202: `POST /admin/reconcile` runs the hourly
 * reconcile now; `POST /admin/reprovision` provisions everything into Kiro again (after a profile
 * was recreated without its endpoint changing); `POST /admin/approve/{runId}` releases a run's held
 * removals.
 */
export function createAdminHandler(dependencies: () => ServiceDependencies) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event): Promise<APIGatewayProxyStructuredResultV2> => {
      const deps = dependencies();
      const refusal = await refuseWithoutStatusToken(event, deps.statusToken);
      if (refusal) return refusal;
      const path = event.requestContext.http.path;
      const approval = /^\/admin\/approve\/([\w-]{1,64})$/.exec(path);
      if (approval) return accepted({ removalsApproved: await approveHeldRemovals(deps, approval[1]!) });
      const { url } = await deps.kiroCredentials();
      if (path === "/admin/reprovision") {
        const target = await deps.ledger.getKiroTarget();
        return accepted(
          await reprovision({ ...deps, sources: ["okta", "entra"] }, "requested by an operator", url, target),
        );
      }
      if (event.requestContext.http.path !== "/admin/reconcile")
        return { statusCode: 404, body: '{"message":"not found"}' };
      const directories = await deps.configuredDirectories();
      if (event.queryStringParameters?.dryRun === "true") {
        const { removalPolicy, removalHoldShare } = deps.config;
        const plan = await planReconcile({ ...deps, directories, removalPolicy, removalHoldShare });
        return {
          statusCode: 200,
          headers: { "content-type": "application/json" },
          body: JSON.stringify(plan),
        };
      }
      return accepted(
        await reconcileGroups({ ...deps, directories, kiro: { scim: await deps.kiroScim(), url } }),
      );
    });
}

export const handler = createAdminHandler(awsDependencies);
