import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { loadConfig, type ServiceConfig } from "../core/config";
import type { Ledger } from "../core/ports/ledger";
import type { ProvisioningLog } from "../core/ports/provisioning-log";
import { buildStatusReport, type StatusReport } from "../core/use-cases/build-status-report";
import { readProvisioningLog } from "../core/use-cases/read-provisioning-log";
import { refuseWithoutStatusToken } from "./shared/http";
import { ledgerDependencies } from "./shared/ledger-dependencies";
import { once } from "./shared/once";
import { logger } from "./shared/powertools";
import { type SecretDependencies, secretDependencies, secretsManager } from "./shared/secret-dependencies";

export type StatusDependencies = {
  ledger: Ledger;
  log: ProvisioningLog;
  config: Pick<ServiceConfig, "pendingAgeAlarmSeconds" | "logRetentionDays">;
} & Pick<SecretDependencies, "statusToken">;

/**
 * An uptime check or a load balancer may ask every few seconds; the verdict costs a status report's
 * queries, so a warm function answers from one at most this old.
 */
const healthCacheMs = 15_000;

/**
 * `GET /status`: sync status JSON for dashboards, behind a bearer token. `GET /health`: only the
 * verdict, for checks that hold no token (200 while it syncs, 503 when failing); nothing else leaks.
 * `GET /log`: the provisioning log, behind the same token.
 */
export function createStatusHandler(dependencies: () => StatusDependencies) {
  let cached: { at: number; report: StatusReport } | undefined;
  const report = async (deps: StatusDependencies) =>
    buildStatusReport(
      deps.ledger,
      ["okta", "entra"],
      new Date(),
      undefined,
      deps.config.pendingAgeAlarmSeconds,
    );
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event): Promise<APIGatewayProxyStructuredResultV2> => {
      const deps = dependencies();
      if (event.rawPath === "/health") {
        if (!cached || Date.now() - cached.at > healthCacheMs)
          cached = { at: Date.now(), report: await report(deps) };
        const { verdict } = cached.report.health;
        return json(verdict === "failing" ? 503 : 200, { verdict });
      }
      const refusal = await refuseWithoutStatusToken(event, deps.statusToken);
      if (refusal) return refusal;
      if (event.rawPath === "/log") {
        const answer = await readProvisioningLog(
          event.queryStringParameters ?? {},
          deps.log,
          deps.config.logRetentionDays,
        );
        return {
          statusCode: answer.status,
          headers: { "content-type": answer.contentType, "cache-control": "no-store" },
          body: answer.body,
        };
      }
      cached = { at: Date.now(), report: await report(deps) };
      return json(200, cached.report);
    });
}

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { "content-type": "application/json", "cache-control": "no-store" },
  body: JSON.stringify(body),
});

export const handler = createStatusHandler(
  once(() => {
    const config = loadConfig();
    return { ...ledgerDependencies(config), ...secretDependencies(config, secretsManager()) };
  }),
);
