import { z } from "zod";
import { type IdentitySource, IdentitySourceSchema } from "../domain/identity-source";
import type { EventBus } from "../ports/event-bus";
import type { GroupSyncState } from "../ports/group-sync-state";
import type { StatusQueries } from "../ports/status-queries";

/** `POST /admin/redrive` body: nothing (all quarantined groups) or the groups to send back. */
export const RedriveRequestSchema = z
  .object({
    items: z
      .array(z.object({ source: IdentitySourceSchema, groupId: z.string().min(1).max(256) }))
      .max(1_000)
      .optional(),
  })
  .strict();

/**
 * Sends quarantined groups back with a clean attempt count: each is marked pending again (only if
 * still quarantined, so a double click is harmless) and triggered with attempt 1.
 */
export async function redriveQuarantined(
  deps: { ledger: GroupSyncState & StatusQueries; bus: EventBus },
  items?: readonly { source: IdentitySource; groupId: string }[],
): Promise<{ redriven: { source: IdentitySource; groupId: string }[] }> {
  const wanted =
    items ??
    (
      await Promise.all(
        IdentitySourceSchema.options.map(async (source) =>
          (
            await deps.ledger.listByStatus(source, "GROUP", "quarantined", 1_000)
          ).map((entry) => ({
            source,
            groupId: entry.id,
          })),
        ),
      )
    ).flat();
  const redriven: { source: IdentitySource; groupId: string }[] = [];
  for (const item of wanted)
    if (await deps.ledger.redriveGroup(item.source, item.groupId)) redriven.push(item);
  await deps.bus.publish(
    redriven.map((item) => ({ type: "GroupChanged", detail: { ...item, trigger: "redrive" } })),
  );
  return { redriven };
}
