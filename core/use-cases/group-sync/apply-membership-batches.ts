import { ScimError, SyncError } from "../../domain/errors";
import { kiroLimits } from "../../domain/kiro-user";
import type { MemberChange, MembershipPlan } from "../../domain/membership-plan";
import type { GroupRecords } from "../../ports/group-records";
import type { GroupSyncState } from "../../ports/group-sync-state";
import type { KiroScimPort } from "../../ports/kiro-scim";
import type { GroupRecord } from "../../ports/ledger-records";
import type { MembershipRecords } from "../../ports/membership-records";
import type { ProvisioningActivity } from "../provisioning-activity";

export interface MembershipBatchDependencies {
  ledger: GroupRecords & GroupSyncState & MembershipRecords;
  scim: KiroScimPort;
  activity?: ProvisioningActivity | undefined;
}

/** What a pass did to the group's members in Kiro. */
export interface MembershipBatchOutcome {
  added: number;
  removed: number;
  failed: number;
}

/**
 * Step 4 of a group pass: records what the plan found already settled or blocked, then sends the
 * adds and removes in PATCHes of at most 100. A group the IdP deleted, which we created, is
 * deleted from Kiro instead (its members go with it). The lease holder's `leaseLost` stops
 * sending the moment another worker took the group over.
 */
export async function applyMembershipBatches(
  group: GroupRecord,
  scimGroupId: string,
  plan: MembershipPlan,
  deps: MembershipBatchDependencies,
  leaseLost: () => boolean,
): Promise<MembershipBatchOutcome> {
  const { ledger } = deps;
  const source = group.source;
  if (plan.settled.length > 0) await ledger.recordMembershipsApplied(source, group.idpId, plan.settled);
  for (const blocked of plan.blocked) {
    await ledger.recordMembershipsFailed(source, group.idpId, [blocked.userId], blocked);
  }
  const blocked = plan.blocked.length;
  if (group.deleted && group.createdByUs && group.scimId) {
    await deps.scim.deleteGroup(group.scimId);
    deps.activity?.note({
      source,
      kind: "GROUP",
      objectId: group.idpId,
      name: group.name,
      kiroId: group.scimId,
      action: "delete",
      result: "success",
    });
    await ledger.recordGroupApplied(source, group.idpId, { scimId: undefined });
    await ledger.recordMembershipsApplied(
      source,
      group.idpId,
      [...plan.adds, ...plan.removes].map(asRemoved),
    );
    return { added: 0, removed: plan.removes.length, failed: blocked };
  }
  const adds = await sendMemberChanges(group, scimGroupId, "add", plan.adds, deps, leaseLost);
  const removes = await sendMemberChanges(group, scimGroupId, "remove", plan.removes, deps, leaseLost);
  return { added: adds.applied, removed: removes.applied, failed: blocked + adds.failed + removes.failed };
}

const asRemoved = (change: MemberChange) => ({
  userId: change.userId,
  applied: false,
  seenVersion: change.seenVersion,
});

/**
 * Sends member changes in PATCHes of at most 100. A chunk Kiro refuses as invalid is split in
 * halves until the one bad member is found, so one rejected user never blocks the other 99. Each
 * PATCH is written ahead as the group's intent and cleared once every result is recorded, so a
 * crash or a lost answer in between is settled against Kiro by the next pass (settleLostPatch).
 * A 404 means the group itself is gone from Kiro (deleted in the console): the ledger forgets its
 * Kiro id and applied members, and the retry creates it again with every member, instead of the
 * group failing on every pass until someone re-provisions.
 */
async function sendMemberChanges(
  group: GroupRecord,
  scimGroupId: string,
  op: "add" | "remove",
  changes: MemberChange[],
  deps: MembershipBatchDependencies,
  leaseLost: () => boolean,
): Promise<{ applied: number; failed: number }> {
  let applied = 0;
  let failed = 0;
  const send = async (chunk: MemberChange[]): Promise<void> => {
    if (leaseLost())
      throw new SyncError("LEASE.LOST", "another worker took over this group", { retryable: true });
    const ids = chunk.map((change) => change.scimUserId);
    await deps.ledger.recordPatchIntent(group.source, group.idpId, {
      op,
      userIds: chunk.map((change) => change.userId),
      at: new Date().toISOString(),
    });
    const started = Date.now();
    const note = (
      change: MemberChange,
      result: "success" | "failure",
      failure?: { errorCode: string; message: string },
    ) =>
      deps.activity?.note({
        source: group.source,
        kind: "MEMBER",
        objectId: `${group.idpId}/${change.userId}`,
        name: group.name,
        kiroId: change.scimUserId,
        action: result === "success" ? (op === "add" ? "add-member" : "remove-member") : "failure",
        result,
        ...failure,
        durationMs: Date.now() - started,
      });
    try {
      if (op === "add") await deps.scim.addMembers(scimGroupId, ids);
      else await deps.scim.removeMembers(scimGroupId, ids);
    } catch (error) {
      if (error instanceof ScimError && refusedOutright.has(error.kind))
        await deps.ledger.recordPatchIntent(group.source, group.idpId, undefined);
      if (error instanceof ScimError && error.kind === "not-found") {
        await deps.ledger.invalidateGroups(group.source, [group.idpId]);
        throw new SyncError(
          "GROUP.GONE_FROM_KIRO",
          `Kiro no longer has group ${scimGroupId} (deleted there?); it is created again with its members`,
          { retryable: true },
        );
      }
      if (!(error instanceof ScimError && error.kind === "invalid")) throw error;
      if (chunk.length > 1) {
        const middle = Math.ceil(chunk.length / 2);
        await send(chunk.slice(0, middle));
        await send(chunk.slice(middle));
        return;
      }
      const reason = `Kiro refused the ${op}: ${error.detail}`;
      await deps.ledger.recordMembershipsFailed(group.source, group.idpId, [chunk[0]!.userId], {
        reason,
        errorCode: error.code,
      });
      note(chunk[0]!, "failure", { errorCode: error.code, message: reason });
      failed += 1;
      return;
    }
    await deps.ledger.recordMembershipsApplied(
      group.source,
      group.idpId,
      chunk.map((change) => ({
        userId: change.userId,
        applied: op === "add",
        seenVersion: change.seenVersion,
      })),
    );
    for (const change of chunk) note(change, "success");
    applied += chunk.length;
  };
  for (let start = 0; start < changes.length; start += kiroLimits.maxMemberChangesPerPatch) {
    await send(changes.slice(start, start + kiroLimits.maxMemberChangesPerPatch));
  }
  if (changes.length > 0) await deps.ledger.recordPatchIntent(group.source, group.idpId, undefined);
  return { applied, failed };
}

/**
 * Answers that say Kiro did not apply the request: nothing to verify afterwards. A 5xx, a timeout,
 * a dropped connection or a malformed 2xx leave it unknown, so the intent stays for the next pass.
 */
const refusedOutright: ReadonlySet<ScimError["kind"]> = new Set([
  "throttled",
  "invalid",
  "conflict",
  "auth",
  "not-found",
]);
