import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { loadConfig } from "../core/config";
import { GroupChangedSchema } from "../core/domain/sync-events";
import { deliverWithRetries, recheckWhenLeaseEnds } from "../core/use-cases/deliver-with-retries";
import { ensureKiroTarget } from "../core/use-cases/reprovision";
import { syncGroup } from "../core/use-cases/sync-group";
import { currentKiro } from "./shared/kiro-dependencies";
import { once } from "./shared/once";
import { logger, metrics } from "./shared/powertools";
import { retryDependencies } from "./shared/retry-dependencies";
import { type WorkerDependencies, workerDependencies } from "./shared/worker-dependencies";

/**
 * EventBridge target for `GroupChanged`: brings the group in Kiro up to the ledger. SCIM failures
 * go through the retry policy (a schedule with attempt+1, or quarantine); a crash or timeout is
 * left to Lambda's async retries and on-failure destination. Item-level failures are recorded in
 * the ledger and do not fail the invocation.
 */
export function createSyncGroupHandler(dependencies: () => WorkerDependencies) {
  return middy()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(parser({ schema: GroupChangedSchema, envelope: EventBridgeEnvelope }))
    .handler(async (event, context) => {
      const deps = dependencies();
      const delivered = { type: "GroupChanged", detail: event } as const;
      logger.appendKeys({ source: event.source, groupId: event.groupId, attempt: event.attempt });
      const delivery = await deliverWithRetries(
        delivered,
        async () => {
          const { scim, ...endpoint } = await currentKiro(deps);
          await ensureKiroTarget({ ...deps, sources: ["okta", "entra"], scim }, endpoint);
          const result = await syncGroup(event, {
            ...deps,
            scim,
            directory: await deps.directoryFor(event.source),
            removalPolicy: deps.config.removalPolicy,
            removalHoldShare: deps.config.removalHoldShare,
            remainingMs: () => context.getRemainingTimeInMillis(),
          });
          if (result.recheckAt) await recheckWhenLeaseEnds(delivered, result.recheckAt, deps.retries);
          return result;
        },
        retryDependencies(deps),
      );
      metrics.addMetric(`Delivery_${delivery.outcome}`, MetricUnit.Count, 1);
      logger.info("group delivery", { ...delivery });
      return delivery;
    });
}

export const handler = createSyncGroupHandler(once(() => workerDependencies(loadConfig())));
