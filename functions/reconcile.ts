import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { loadConfig } from "../core/config";
import { isDeepAuditHour, reconcileGroups } from "../core/use-cases/reconcile";
import { currentKiro } from "./shared/kiro-dependencies";
import { once } from "./shared/once";
import { logger, metrics, unlessSecretsEmpty } from "./shared/powertools";
import { type WorkerDependencies, workerDependencies } from "./shared/worker-dependencies";

/**
 * Scheduled (hourly): marks every synced and every in-scope group for a full re-read and triggers
 * it; the run that starts in DEEP_AUDIT_HOUR_UTC is a deep audit, which also reads Kiro's users and
 * their groups (one SCIM read per user) and repairs drift, so once a day is enough.
 */
export function createReconcileHandler(dependencies: () => WorkerDependencies) {
  return middy()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async () =>
      unlessSecretsEmpty("reconcile", async () => {
        const deps = dependencies();
        const report = await reconcileGroups(
          { ...deps, directories: await deps.configuredDirectories(), kiro: await currentKiro(deps) },
          { deep: isDeepAuditHour(new Date(), deps.config.deepAuditHourUtc) },
        );
        const groups = Object.values(report.groups).reduce((sum, count) => sum + (count ?? 0), 0);
        metrics.addMetric("ReconcileGroups", MetricUnit.Count, groups);
        logger.info("reconcile started", { ...report });
        return report;
      }),
    );
}

export const handler = createReconcileHandler(once(() => workerDependencies(loadConfig())));
