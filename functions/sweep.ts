import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { loadConfig } from "../core/config";
import type { EventBus } from "../core/ports/event-bus";
import { resendWaitingDeliveries, sweepStranded } from "../core/use-cases/sweep-stranded";
import { eventBridgeBus } from "./shared/bus-dependencies";
import { type LedgerDependencies, ledgerDependencies } from "./shared/ledger-dependencies";
import { once } from "./shared/once";
import { logger, metrics } from "./shared/powertools";

/** Scheduled (every minute): puts changes nobody is carrying any more back on the bus. */
export function createSweepHandler(dependencies: () => LedgerDependencies & { bus: EventBus }) {
  return middy()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async () => {
      const deps = dependencies();
      const report = {
        ...(await sweepStranded(deps, { olderThanMs: deps.config.sweepGraceMs })),
        deliveries: await resendWaitingDeliveries(deps, { olderThanMs: deps.config.sweepGraceMs }),
      };
      metrics.addMetric("SweptGroups", MetricUnit.Count, report.groups);
      metrics.addMetric("SweptRuns", MetricUnit.Count, report.runs);
      metrics.addMetric("SweptDeliveries", MetricUnit.Count, report.deliveries);
      logger.info("sweep", { ...report });
      return report;
    });
}

export const handler = createSweepHandler(
  once(() => {
    const config = loadConfig();
    return { ...ledgerDependencies(config), bus: eventBridgeBus(config) };
  }),
);
