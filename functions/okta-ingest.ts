import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { EventBridgeEnvelope } from "@aws-lambda-powertools/parser/envelopes/eventbridge";
import { parser } from "@aws-lambda-powertools/parser/middleware";
import middy from "@middy/core";
import { loadConfig } from "../core/config";
import { DeliveryReceivedSchema } from "../core/domain/sync-events";
import type { EventBus } from "../core/ports/event-bus";
import { ingestKeptDelivery } from "../core/use-cases/ingest-kept-delivery";
import { eventBridgeBus } from "./shared/bus-dependencies";
import { recordRejectedEvents } from "./shared/http";
import { type LedgerDependencies, ledgerDependencies } from "./shared/ledger-dependencies";
import { once } from "./shared/once";
import { logger, metrics } from "./shared/powertools";

/**
 * EventBridge target for `DeliveryReceived`: records the changes of an Okta delivery the hook
 * kept. A failure throws, so Lambda's async retries run and the sweep sends the delivery again
 * after that; it waits in the inbox meanwhile (its age is in /status), never lost.
 */
export function createOktaIngestHandler(dependencies: () => LedgerDependencies & { bus: EventBus }) {
  return middy()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(parser({ schema: DeliveryReceivedSchema, envelope: EventBridgeEnvelope }))
    .handler(async (event) => {
      const deps = dependencies();
      const result = await ingestKeptDelivery(event, { ...deps, oktaAppId: deps.config.okta.appId });
      if (result.outcome === "ingested") {
        metrics.addMetric("EventsRecorded", MetricUnit.Count, result.summary.recorded);
        metrics.addMetric("EventsDuplicate", MetricUnit.Count, result.summary.duplicates);
        metrics.addMetric("DeliveryIngestLag", MetricUnit.Milliseconds, result.waitedMs);
        recordRejectedEvents("okta-ingest", result.summary);
        logger.info("okta delivery ingested", { deliveryId: event.deliveryId, ...result });
      } else logger.info("okta delivery already ingested", { deliveryId: event.deliveryId });
      return result;
    });
}

export const handler = createOktaIngestHandler(
  once(() => {
    const config = loadConfig();
    return { ...ledgerDependencies(config), bus: eventBridgeBus(config) };
  }),
);
