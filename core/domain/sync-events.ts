import { z } from "zod";
import { IdentitySourceSchema } from "./identity-source";

/** The `source` of every event this service puts on its bus; rules match on it. */
export const eventSource = "kiro-scim-sync";

/**
 * A group has changes waiting for Kiro. Events are only triggers: the worker reads what to do from
 * the ledger, so duplicates and replays are harmless and an event carries no membership data.
 */
export const GroupChangedSchema = z.object({
  source: IdentitySourceSchema,
  groupId: z.string().min(1).max(256),
  /** What set the sync going (`hook:okta`, `run:<id>`, `redrive`, `sweep`…), for the provisioning log. */
  trigger: z.string().max(128).optional(),
  /** 1 for the first delivery; the retry policy increments it on each scheduled retry. */
  attempt: z.number().int().positive().default(1),
});
export type GroupChanged = z.infer<typeof GroupChangedSchema>;

/** The next chunk of a reconcile or re-provisioning run; the run record says what is left. */
export const RunChunkSchema = z.object({
  runId: z.string().min(1).max(64),
  step: z.object({
    phase: z.enum(["discover", "groups", "users", "audit-groups", "audit-users", "settle"]),
    source: IdentitySourceSchema.optional(),
    cursor: z.string().max(2048).optional(),
  }),
  attempt: z.number().int().positive().default(1),
});
export type RunChunk = z.infer<typeof RunChunkSchema>;

/**
 * A hook delivery waits in the inbox to be ingested. The hook only keeps it and answers (Okta and
 * Graph give 3 s); recording its changes is the ingest worker's job, and the sweep sends this
 * again for a delivery still waiting.
 */
export const DeliveryReceivedSchema = z.object({
  /** Only Okta deliveries wait in the inbox; Graph notifications are small and recorded at once. */
  source: z.literal("okta"),
  deliveryId: z.string().min(1).max(64),
  attempt: z.number().int().positive().default(1),
});
export type DeliveryReceived = z.infer<typeof DeliveryReceivedSchema>;

/** Every event type, with its schema, defined once for publishers and consumers alike. */
export const syncEvents = {
  GroupChanged: GroupChangedSchema,
  RunChunk: RunChunkSchema,
  DeliveryReceived: DeliveryReceivedSchema,
} as const;

export type SyncEventType = keyof typeof syncEvents;
export type SyncEvent = {
  [Type in SyncEventType]: { type: Type; detail: z.input<(typeof syncEvents)[Type]> };
}[SyncEventType];

/** Validates an event's detail against its type's schema (defaults applied). */
export function parseSyncEvent(type: SyncEventType, detail: unknown): SyncEvent {
  return { type, detail: syncEvents[type].parse(detail) } as SyncEvent;
}
