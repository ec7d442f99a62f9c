import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { loadConfig } from "../core/config";
import type { Ledger } from "../core/ports/ledger";
import { buildStatusReport } from "../core/use-cases/build-status-report";
import { syncHealthGauges } from "../core/use-cases/sync-health";
import { ledgerDependencies } from "./shared/ledger-dependencies";
import { once } from "./shared/once";
import { logger, metrics } from "./shared/powertools";

/**
 * Scheduled (every minute): the same report `/status` serves, as CloudWatch gauges, so the
 * dashboard draws sync health and alarms can page without anyone polling `/status`.
 */
export function createHealthMetricsHandler(dependencies: () => { ledger: Ledger }) {
  return middy()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async () => {
      const gauges = syncHealthGauges(await buildStatusReport(dependencies().ledger, ["okta", "entra"]));
      for (const gauge of gauges)
        metrics.addMetric(
          gauge.name,
          gauge.unit === "Seconds" ? MetricUnit.Seconds : MetricUnit.Count,
          gauge.value,
        );
      logger.info("sync health", {
        gauges: Object.fromEntries(gauges.map((gauge) => [gauge.name, gauge.value])),
      });
      return gauges;
    });
}

export const handler = createHealthMetricsHandler(once(() => ledgerDependencies(loadConfig())));
