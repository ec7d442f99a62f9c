import { z } from "zod";
import { OktaLogEventSchema } from "../domain/okta-events";
import type { DeliveryReceived } from "../domain/sync-events";
import type { DeliveryInbox } from "../ports/delivery-inbox";
import type { HookRejections } from "../ports/hook-rejections";
import { type IngestSummary, recordHookRejections, rejectedEventCount } from "./hook-request";
import { ingestOktaEvents, type OktaIngestDependencies } from "./ingest-okta-events";

export interface KeptDeliveryDependencies extends OktaIngestDependencies {
  ledger: OktaIngestDependencies["ledger"] & DeliveryInbox & HookRejections;
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
  const now = (deps.now ?? (() => new Date()))();
  /* The events the hook refused before keeping it, and those found malformed here, counted with
     the ingest that forgets the delivery (only a crash in between counts them twice). */
  const rejected = kept.rejectedEvents + rejectedEventCount(summary);
  if (rejected > 0)
    await recordHookRejections(
      [{ at: now.toISOString(), source: "okta", reason: "rejected-events", status: 204, count: rejected }],
      deps.ledger,
    );
  await deps.ledger.forgetDelivery(event.source, event.deliveryId);
  return { outcome: "ingested", summary, waitedMs: now.getTime() - Date.parse(kept.receivedAt) };
}
