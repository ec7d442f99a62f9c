import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { GroupChangedSchema } from "../core/domain/sync-events";
import { ensureKiroTarget } from "../core/use-cases/reprovision";
import { syncGroup } from "../core/use-cases/sync-group";
import { logger, metrics } from "./shared/powertools";
import { awsDependencies, type ServiceDependencies } from "./shared/service-dependencies";

/**
 * EventBridge target for `GroupChanged`: brings the group in Kiro up to the ledger. Errors are
 * thrown so Lambda's async retries and on-failure destination see them; item-level failures are
 * recorded in the ledger and do not fail the invocation.
 */
export function createSyncGroupHandler(dependencies: () => ServiceDependencies) {
  return middy()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(parser({ schema: GroupChangedSchema, envelope: EventBridgeEnvelope }))
    .handler(async (event) => {
      const deps = dependencies();
      logger.appendKeys({ source: event.source, groupId: event.groupId, attempt: event.attempt });
      const target = await ensureKiroTarget(
        { ...deps, sources: ["okta", "entra"] },
        (await deps.kiroCredentials()).url,
      );
      if (target === "reprovisioning") logger.warn("Kiro SCIM endpoint changed: re-provisioning everything");
      const result = await syncGroup(event, {
        ledger: deps.ledger,
        scim: await deps.kiroScim(),
        directory: await deps.directoryFor(event.source),
        removalPolicy: deps.config.removalPolicy,
        removalHoldShare: deps.config.removalHoldShare,
        scope: deps.scope,
      });
      metrics.addMetric("MembersAdded", MetricUnit.Count, result.membersAdded);
      metrics.addMetric("MembersRemoved", MetricUnit.Count, result.membersRemoved);
      metrics.addMetric("ItemsFailed", MetricUnit.Count, result.usersFailed + result.membershipsFailed);
      logger.info("group synced", { ...result });
      return result;
    });
}

export const handler = createSyncGroupHandler(awsDependencies);
