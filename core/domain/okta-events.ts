import { createHash } from "node:crypto";
import { z } from "zod";
import { countIn, countRejected, newTally, type RejectedEvent } from "./tally";

/**
 * Okta event hook payloads (reference/protocols.md §A3). Tolerant where Okta is loose: `actor`,
 * `target`, `outcome` may be null or absent (Admin Console previews), targets come in any order,
 * and unknown fields pass through. Strict where we depend on it: every event needs `uuid`,
 * `published` (a real timestamp, it orders changes) and `eventType`.
 */
const OktaTargetSchema = z.looseObject({
  id: z.string().min(1),
  type: z.string().min(1),
  alternateId: z.string().nullish(),
  displayName: z.string().nullish(),
});
export type OktaTarget = z.infer<typeof OktaTargetSchema>;

const timestamp = z
  .string()
  .refine(
    (value) => !Number.isNaN(Date.parse(value)) && /^\d{4}-\d\d-\d\dT/.test(value),
    "must be an ISO timestamp",
  );

export const OktaLogEventSchema = z.looseObject({
  uuid: z.string().min(1).max(256),
  published: timestamp,
  eventType: z.string().min(1).max(256),
  target: z.array(OktaTargetSchema).nullish(),
  outcome: z.looseObject({ result: z.string().nullish() }).nullish(),
});
export type OktaLogEvent = z.infer<typeof OktaLogEventSchema>;

export const OktaHookDeliverySchema = z.looseObject({
  eventId: z.string().nullish(),
  eventType: z.string().nullish(),
  data: z.looseObject({ events: z.array(OktaLogEventSchema).max(10_000) }),
});
export type OktaHookDelivery = z.infer<typeof OktaHookDeliverySchema>;

/** Okta says to look targets up by type, never by position. */
export function targetOfType(event: OktaLogEvent, type: string): OktaTarget | undefined {
  return event.target?.find((target) => target.type === type);
}

/** Event types this service acts on (reference/protocols.md §A4, all hook-eligible). */
export const handledOktaEventTypes = [
  "group.user_membership.add",
  "group.user_membership.remove",
  "user.lifecycle.create",
  "user.lifecycle.activate",
  "user.lifecycle.reactivate",
  "user.lifecycle.deactivate",
  "user.lifecycle.suspend",
  "user.lifecycle.unsuspend",
  "user.lifecycle.delete.initiated",
  "user.account.update_profile",
  "group.profile.update",
  "group.lifecycle.delete",
  "application.user_membership.add",
  "application.user_membership.remove",
] as const;

/** Okta's ids are 20 characters and its names a few hundred at most; these bounds leave room. */
const saneTarget = { maxIdLength: 255, maxTextLength: 1024 };

/**
 * Whether every target of the event fits what Okta ever sends. An id of thousands of characters
 * cannot be a DynamoDB key: written, it failed the whole delivery with a 500, and so again on
 * Okta's retry. Such an event is ignored and counted, and the rest of the delivery is recorded.
 */
export function hasSaneTargets(event: OktaLogEvent): boolean {
  return (event.target ?? []).every(
    (target) =>
      target.id.length <= saneTarget.maxIdLength &&
      (target.displayName ?? "").length <= saneTarget.maxTextLength &&
      (target.alternateId ?? "").length <= saneTarget.maxTextLength,
  );
}

/**
 * The part of an event that ingesting it reads, kept in the delivery inbox: a fraction of what Okta
 * sends (actor, client, debug context), so a delivery of hundreds of events fits one item.
 */
export function compactOktaEvent(event: OktaLogEvent): OktaLogEvent {
  return {
    uuid: event.uuid,
    published: event.published,
    eventType: event.eventType,
    ...(event.outcome ? { outcome: { result: event.outcome.result } } : {}),
    ...(event.target
      ? {
          target: event.target.map((target) => ({
            id: target.id,
            type: target.type,
            alternateId: target.alternateId,
            displayName: target.displayName,
          })),
        }
      : {}),
  };
}

/** What a delivery holds that this service acts on, and what it leaves out and why (counted, never stored). */
export interface ScreenedOktaEvents {
  events: OktaLogEvent[];
  unknownTypes: Record<string, number>;
  ignored: Record<string, number>;
  rejected: RejectedEvent[];
}

/**
 * Keeps the handled event types whose targets fit what Okta sends. Pure, so the hook decides what
 * to keep without reading anything, and ingest applies the same rule to what it is given.
 */
export function screenOktaEvents(events: readonly OktaLogEvent[]): ScreenedOktaEvents {
  const screened: ScreenedOktaEvents = {
    events: [],
    unknownTypes: newTally(),
    ignored: newTally(),
    rejected: [],
  };
  for (const event of events) {
    if (!(handledOktaEventTypes as readonly string[]).includes(event.eventType))
      countIn(screened.unknownTypes, event.eventType);
    else if (!hasSaneTargets(event)) countRejected(screened, event.uuid, "oversize-target");
    else screened.events.push(event);
  }
  return screened;
}

/**
 * A delivery's id, from its events' ids: Okta's retry of a delivery it thinks failed lands on the
 * same id, so the inbox holds it once.
 */
export function oktaDeliveryId(events: readonly OktaLogEvent[]): string {
  const ids = events.map((event) => event.uuid).sort();
  return createHash("sha256").update(ids.join("\n")).digest("hex").slice(0, 40);
}
