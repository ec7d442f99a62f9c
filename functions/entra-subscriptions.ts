import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { syncEntraDelta } from "../core/use-cases/sync-entra-delta";
import { logger, metrics } from "./shared/powertools";
import { awsDependencies, type ServiceDependencies } from "./shared/service-dependencies";

/**
 * Scheduled: keeps the /groups and /users subscriptions alive, then runs one delta round so that
 * whatever Graph failed to notify (it drops notifications after 4 h) still reaches Kiro.
 */
export function createEntraSubscriptionsHandler(dependencies: () => ServiceDependencies) {
  return middy()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async () => {
      const deps = dependencies();
      const run = await (await deps.entraSubscriptions()).ensure();
      metrics.addMetric("SubscriptionRenewalFailed", MetricUnit.Count, run.failed.length);
      const delta = await syncEntraDelta({ ...deps, reader: await deps.entraDirectory() });
      logger.info("entra subscriptions and delta", { ...run, ...delta });
      return { ...run, ...delta };
    });
}

export const handler = createEntraSubscriptionsHandler(awsDependencies);
