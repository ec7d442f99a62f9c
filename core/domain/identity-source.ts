import { z } from "zod";

export const IdentitySourceSchema = z.enum(["okta", "entra"]);
/** Where a user or group comes from; every ledger record is scoped by it. */
export type IdentitySource = z.infer<typeof IdentitySourceSchema>;

/**
 * A total order over IdP changes: the IdP's event time, then the event id to break ties. Stored
 * next to each desired value, it lets a conditional write drop any change older than the one
 * already recorded, so a late or replayed delivery can never undo a newer one.
 */
export function changeVersion(eventTime: string | Date, eventId: string): string {
  const iso = (typeof eventTime === "string" ? new Date(eventTime) : eventTime).toISOString();
  return `${iso}#${eventId}`;
}
