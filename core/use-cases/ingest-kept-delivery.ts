import { z } from "zod";
import { OktaLogEventSchema } from "../domain/okta-events";
import type { DeliveryReceived } from "../domain/sync-events";
import type { DeliveryInbox } from "../ports/delivery-inbox";
import type { IngestSummary } from "./hook-request";
import { ingestOktaEvents, type OktaIngestDependencies } from "./ingest-okta-events";

export interface KeptDeliveryDependencies extends OktaIngestDependencies {
  ledger: OktaIngestDependencies["ledger"] & DeliveryInbox;
  now?: () => Date;
}

export type KeptDeliveryOutcome =
  | { outcome: "ingested"; summary: IngestSummary; waitedMs: number }
  | { outcome: "gone" };

/**
 * Records a delivery the hook kept, then forgets it. A repeat (the sweep's, Okta's retry kept
 * again) finds it gone or finds every event already processed; a crash before the forget leaves it
 * for the sweep, and its replay changes nothing. The kept events are checked again, as anything
 * read back is: an item that no longer parses is an error to retry and to see, never half applied.
 */
export async function ingestKeptDelivery(
  event: DeliveryReceived,
  deps: KeptDeliveryDependencies,
): Promise<KeptDeliveryOutcome> {
  const kept = await deps.ledger.readDelivery(event.source, event.deliveryId);
  if (!kept) return { outcome: "gone" };
  const events = z.array(OktaLogEventSchema).parse(kept.events);
  const summary = await ingestOktaEvents(events, deps);
  await deps.ledger.forgetDelivery(event.source, event.deliveryId);
  const now = (deps.now ?? (() => new Date()))();
  return { outcome: "ingested", summary, waitedMs: now.getTime() - Date.parse(kept.receivedAt) };
}
