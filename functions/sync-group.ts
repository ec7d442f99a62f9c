import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { loadConfig } from "../core/config";
import { GroupChangedSchema } from "../core/domain/sync-events";
import {
  type Delivery,
  deliverWithRetries,
  recheckWhenLeaseEnds,
} from "../core/use-cases/deliver-with-retries";
import { ProvisioningActivity } from "../core/use-cases/provisioning-activity";
import { ensureKiroTarget } from "../core/use-cases/reprovision";
import { type GroupSyncResult, syncGroup } from "../core/use-cases/sync-group";
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
            activity: new ProvisioningActivity(deps.log, {
              trigger: event.trigger ?? "event",
              attempt: event.attempt,
            }),
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
      const groupName =
        (delivery.outcome === "done" ? delivery.result.groupName : undefined) ??
        (await deps.ledger.getGroup(event.source, event.groupId).then(
          (group) => group?.name,
          () => undefined,
        ));
      logger.info(`group ${groupName ?? event.groupId} ${whatWasDone(delivery)}`, { groupName, ...delivery });
      return delivery;
    });
}

/**
 * The outcome in words, for the one line per sync an operator reads (`npm start` prints it). Counts
 * and codes only: names of users and Kiro's messages stay out of the message.
 */
function whatWasDone(delivery: Delivery<GroupSyncResult>): string {
  switch (delivery.outcome) {
    case "retry-scheduled":
      return `failed (${delivery.errorCode}): retry ${delivery.attempt} at ${delivery.at}`;
    case "quarantined":
      return `quarantined after its retries (${delivery.errorCode})`;
    case "paused":
      return "waits: the sync is paused (Kiro refused the token or asked for a long wait; /status says which)";
  }
  const result = delivery.result;
  if (result.outcome === "busy") return `busy: another worker holds it; checked again at ${result.recheckAt}`;
  if (result.outcome === "missing") return "not in the ledger: nothing to sync";
  const done = [
    counted(result.usersPushed, "user", "pushed"),
    counted(result.usersFailed, "user", "failed"),
    counted(result.membersAdded, "member", "added"),
    counted(result.membersRemoved, "member", "removed"),
    counted(result.membershipsFailed, "membership", "failed"),
  ].filter(Boolean);
  const summary = done.join(", ") || "nothing to change";
  return result.outcome === "group-failed" ? `refused by Kiro (${summary})` : `synced: ${summary}`;
}

function counted(count: number, noun: string, verb: string): string {
  return count === 0 ? "" : `${count} ${noun}${count === 1 ? "" : "s"} ${verb}`;
}

export const handler = createSyncGroupHandler(once(() => workerDependencies(loadConfig())));
