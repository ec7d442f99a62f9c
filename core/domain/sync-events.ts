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
  /** 1 for the first delivery; the retry policy increments it on each scheduled retry. */
  attempt: z.number().int().positive().default(1),
});
export type GroupChanged = z.infer<typeof GroupChangedSchema>;

/** Every event type, with its schema, defined once for publishers and consumers alike. */
export const syncEvents = {
  GroupChanged: GroupChangedSchema,
} as const;

export type SyncEventType = keyof typeof syncEvents;
export type SyncEvent = { type: "GroupChanged"; detail: z.input<typeof GroupChangedSchema> };
