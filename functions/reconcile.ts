import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { reconcileGroups } from "../core/use-cases/reconcile";
import { logger, metrics } from "./shared/powertools";
import { awsDependencies, type ServiceDependencies } from "./shared/service-dependencies";

/** Scheduled (hourly): marks every synced and every in-scope group for a full re-read and triggers it. */
export function createReconcileHandler(dependencies: () => ServiceDependencies) {
  return middy()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async () => {
      const deps = dependencies();
      const report = await reconcileGroups({
        ...deps,
        directories: await deps.configuredDirectories(),
        kiro: { scim: await deps.kiroScim(), ...(await deps.kiroCredentials()) },
      });
      const groups = Object.values(report.groups).reduce((sum, count) => sum + (count ?? 0), 0);
      metrics.addMetric("ReconcileGroups", MetricUnit.Count, groups);
      logger.info("reconcile started", { ...report });
      return report;
    });
}

export const handler = createReconcileHandler(awsDependencies);
