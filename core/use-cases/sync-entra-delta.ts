import { randomUUID } from "node:crypto";
import { SyncError } from "../domain/errors";
import type { GroupScope } from "../domain/group-scope";
import { changeVersion } from "../domain/identity-source";
import type { EventBus } from "../ports/event-bus";
import type { GroupDeltaReader } from "../ports/group-delta-reader";
import type { Ledger } from "../ports/ledger";

export interface EntraDeltaDependencies {
  ledger: Ledger;
  bus: EventBus;
  scope: GroupScope;
  reader: GroupDeltaReader;
  now?: () => Date;
}

/**
 * One round of the Graph /groups delta query, from the deltaLink kept in the ledger: catches what
 * notifications missed (Graph drops them after 4 h). An expired link (7 days, or 410 Gone) starts a
 * full enumeration, and then every synced group is re-read in full instead of trusting the
 * enumeration's direct-member lists. Versions are the read's own time, so a change that arrived
 * both by notification and by delta is applied once: the second write finds nothing new to do.
 */
export async function syncEntraDelta(
  deps: EntraDeltaDependencies,
): Promise<{ groupsTouched: number; fullResync: boolean }> {
  const { ledger } = deps;
  const stored = await ledger.getDeltaLink("groups");
  let fullResync = stored === undefined;
  let round: Awaited<ReturnType<GroupDeltaReader["groupsDelta"]>>;
  try {
    round = await deps.reader.groupsDelta(stored);
  } catch (error) {
    if (!(error instanceof SyncError && error.code === "IDP.DELTA_EXPIRED")) throw error;
    fullResync = true;
    round = await deps.reader.groupsDelta(undefined);
  }
  const version = changeVersion((deps.now ?? (() => new Date()))(), `delta-${randomUUID()}`);
  const touched = new Set<string>();
  for (const group of round.groups.values()) {
    const known = await ledger.getGroup("entra", group.id);
    if (known || deps.scope.includes({ id: group.id, name: group.displayName })) {
      if (group.displayName) await ledger.recordGroupName("entra", group.id, group.displayName, version);
      if (group.removed) {
        await ledger.recordGroupDeleted("entra", group.id, version);
      } else if (fullResync || group.nestedGroupChanges.size > 0 || (known?.nestedGroupCount ?? 0) > 0) {
        await ledger.requestGroupRefresh("entra", group.id, version);
      } else {
        for (const userId of group.addedMembers) {
          await ledger.requestUserProfile("entra", userId, version, {
            onlyIfKnown: false,
            onlyIfNoProfile: true,
          });
          await ledger.recordDesiredMembership("entra", group.id, userId, true, version);
        }
        for (const userId of group.removedMembers)
          await ledger.recordDesiredMembership("entra", group.id, userId, false, version);
      }
      touched.add(group.id);
    }
    for (const parentId of await ledger.listParentGroups("entra", group.id)) {
      await ledger.requestGroupRefresh("entra", parentId, version);
      touched.add(parentId);
    }
  }
  await deps.bus.publish(
    [...touched].map((groupId) => ({ type: "GroupChanged", detail: { source: "entra", groupId } })),
  );
  await ledger.recordDeltaLink("groups", round.deltaLink);
  return { groupsTouched: touched.size, fullResync };
}
