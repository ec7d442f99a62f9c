import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { z } from "zod";
import { loadConfig } from "../core/config";
import { parseSyncEvent, type SyncEventType, syncEvents } from "../core/domain/sync-events";
import type { Ledger } from "../core/ports/ledger";
import { recordAsyncFailure } from "../core/use-cases/deliver-with-retries";
import { ledgerDependencies } from "./shared/ledger-dependencies";
import { once } from "./shared/once";
import { logger, metrics } from "./shared/powertools";

/** What Lambda sends an on-failure destination after the async retries of an invocation ran out. */
const DestinationRecordSchema = z.object({
  requestContext: z.object({ condition: z.string(), approximateInvokeCount: z.number() }).partial(),
  requestPayload: z.object({ "detail-type": z.string(), detail: z.unknown() }),
  responsePayload: z.object({ errorType: z.string(), errorMessage: z.string() }).partial().optional(),
});

/**
 * On-failure destination of the bus workers: a crash or timeout that Lambda gave up on is
 * recorded like a retry-policy give-up (the group quarantined, the run stopped), so it shows in
 * `/status` and `POST /admin/redrive` can send it back. Its own failures land in a DLQ with an alarm.
 */
export function createAsyncFailureHandler(dependencies: () => { ledger: Ledger }) {
  return middy()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (record: unknown) => {
      const failure = DestinationRecordSchema.parse(record);
      const type = failure.requestPayload["detail-type"];
      if (!(type in syncEvents)) throw new Error(`unknown event type ${type}`);
      const event = parseSyncEvent(type as SyncEventType, failure.requestPayload.detail);
      const reason = `${failure.requestContext.condition ?? "failed"}: ${failure.responsePayload?.errorMessage ?? "no error message"}`;
      await recordAsyncFailure(event, reason, dependencies().ledger);
      metrics.addMetric("AsyncFailures", MetricUnit.Count, 1);
      logger.error("async invocation failed for good", { type, reason });
    });
}

export const handler = createAsyncFailureHandler(once(() => ledgerDependencies(loadConfig())));
