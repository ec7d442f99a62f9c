import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { loadConfig } from "../core/config";
import type { Ledger } from "../core/ports/ledger";
import { buildStatusReport } from "../core/use-cases/build-status-report";
import { refuseWithoutStatusToken } from "./shared/http";
import { ledgerDependencies } from "./shared/ledger-dependencies";
import { once } from "./shared/once";
import { logger } from "./shared/powertools";
import { type SecretDependencies, secretDependencies, secretsManager } from "./shared/secret-dependencies";

export type StatusDependencies = { ledger: Ledger } & Pick<SecretDependencies, "statusToken">;

/** `GET /status`: sync status JSON for dashboards, behind a bearer token. */
export function createStatusHandler(dependencies: () => StatusDependencies) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event): Promise<APIGatewayProxyStructuredResultV2> => {
      const deps = dependencies();
      const refusal = await refuseWithoutStatusToken(event, deps.statusToken);
      if (refusal) return refusal;
      const sources = ["okta", "entra"] as const;
      const report = await buildStatusReport(deps.ledger, sources);
      return {
        statusCode: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(report),
      };
    });
}

export const handler = createStatusHandler(
  once(() => {
    const config = loadConfig();
    return { ...ledgerDependencies(config), ...secretDependencies(config, secretsManager()) };
  }),
);
