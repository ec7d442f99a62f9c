import type { GroupScope } from "../domain/group-scope";
import type { IdentitySource } from "../domain/identity-source";
import type { IdentityDirectory } from "../ports/identity-directory";
import type { SyncControl } from "../ports/sync-control";
import { countManagedUsers } from "./managed-users";
import { groupsToReconcile } from "./reconcile";
import type { RunLedger } from "./run-chunks";

export interface ReconcilePlan {
  dryRun: true;
  groups: { create: string[]; rename: { id: string; from: string; to: string }[] };
  users: { create: string[]; deactivate: string[]; delete: string[] };
  memberships: { add: { groupId: string; userId: string }[]; remove: { groupId: string; userId: string }[] };
  /** Removals a real run would hold for approval (over the share), and reads that were incomplete. */
  heldRemovals: number;
  incompleteReads: string[];
  managedUsers: number;
}

/**
 * What a reconcile would do, computed from the same full IdP reads and the ledger, writing nothing
 * anywhere: for `POST /admin/reconcile?dryRun=true` and `npm run reconcile -- --dry-run`.
 */
export async function planReconcile(deps: {
  ledger: RunLedger & SyncControl;
  scope: GroupScope;
  directories: Partial<Record<IdentitySource, IdentityDirectory>>;
  removalPolicy: "deactivate" | "delete";
  removalHoldShare: number;
}): Promise<ReconcilePlan> {
  const plan: ReconcilePlan = {
    dryRun: true,
    groups: { create: [], rename: [] },
    users: { create: [], deactivate: [], delete: [] },
    memberships: { add: [], remove: [] },
    heldRemovals: 0,
    incompleteReads: [],
    managedUsers: 0,
  };
  const usersToCreate = new Set<string>();
  for (const [source, directory] of Object.entries(deps.directories) as [
    IdentitySource,
    IdentityDirectory,
  ][]) {
    plan.managedUsers += await countManagedUsers(deps.ledger, source);
    const { targets, known } = await groupsToReconcile(deps, source, directory);
    for (const groupId of targets) {
      const group = known.get(groupId);
      const members = await directory.listGroupMembers(groupId);
      if (!members) continue;
      const name = members.displayName ?? group?.name ?? groupId;
      if (!group?.scimId) plan.groups.create.push(name);
      else if (group.appliedName && group.appliedName !== name)
        plan.groups.rename.push({ id: groupId, from: group.appliedName, to: name });
      const memberships = await deps.ledger.listMemberships(source, groupId);
      const applied = new Set(
        memberships.filter((membership) => membership.applied).map((membership) => membership.userId),
      );
      const wanted = new Set(members.userIds);
      const users = await deps.ledger.getUsers(source, [...wanted]);
      for (const userId of wanted) {
        const user = users.get(userId);
        if (!user?.scimId) usersToCreate.add(`${source}:${userId}`);
        if (!applied.has(userId)) plan.memberships.add.push({ groupId, userId });
      }
      if (!members.complete) {
        plan.incompleteReads.push(groupId);
        continue;
      }
      for (const userId of applied)
        if (!wanted.has(userId)) plan.memberships.remove.push({ groupId, userId });
    }
    const waiting = await deps.ledger.listByStatus(source, "USER", "pending", 1_000);
    for (const user of (
      await deps.ledger.getUsers(
        source,
        waiting.map((entry) => entry.id),
      )
    ).values()) {
      if (!user.scimId || user.lifecycle === "active") continue;
      const deletes = user.lifecycle === "deleted" && deps.removalPolicy === "delete";
      plan.users[deletes ? "delete" : "deactivate"].push(`${source}:${user.idpId}`);
    }
  }
  plan.users.create = [...usersToCreate];
  const removalShare = plan.managedUsers > 0 ? plan.memberships.remove.length / plan.managedUsers : 0;
  if (removalShare > deps.removalHoldShare) plan.heldRemovals = plan.memberships.remove.length;
  return plan;
}
