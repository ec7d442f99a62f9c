import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { loadConfig } from "../core/config";
import { directoryDependencies } from "./shared/directory-dependencies";
import { refuseWithoutStatusToken } from "./shared/http";
import { kiroDependencies } from "./shared/kiro-dependencies";
import { ledgerDependencies } from "./shared/ledger-dependencies";
import { once } from "./shared/once";
import { logger } from "./shared/powertools";
import { secretDependencies, secretsManager } from "./shared/secret-dependencies";
import { type StatusDependencies, statusRoutes } from "./shared/status-routes";

/**
 * `GET /status`, `/log`, `/users/{id}` and `/groups/{id}` behind the status token; `GET /health`
 * without one, answering only the verdict (see status-routes.ts).
 */
export function createStatusHandler(dependencies: () => StatusDependencies) {
  const routes = statusRoutes();
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event): Promise<APIGatewayProxyStructuredResultV2> => {
      const deps = dependencies();
      if (event.rawPath === "/health") return routes.health(deps);
      const refusal = await refuseWithoutStatusToken(event, deps.statusToken);
      return refusal ?? routes.answer(deps, event);
    });
}

/**
 * `?live=true` reads Kiro and the object's IdP, so Status composes their clients too; the IdP SDKs
 * are loaded only on a live read of their source (see directory-dependencies.ts).
 */
export const handler = createStatusHandler(
  once(() => {
    const config = loadConfig();
    const secrets = secretsManager();
    const base = ledgerDependencies(config);
    return {
      ...base,
      ...secretDependencies(config, secrets),
      ...kiroDependencies(config, secrets),
      ...directoryDependencies(config, secrets, base.ledger),
    };
  }),
);
