import type { IdentitySource } from "../../../core/domain/identity-source";
import type { KiroUserProfile } from "../../../core/domain/kiro-user";
import type {
  AttemptRecord,
  GroupRecord,
  HeldRemovals,
  ItemSyncState,
  MembershipRecord,
  RunItem as QueuedRunItem,
  RunRecord,
  RunStep,
  SyncFailure,
  SyncStatus,
  UserLifecycle,
  UserRecord,
} from "../../../core/ports/ledger-records";

/**
 * The items of the in-memory ledger, shaped like the DynamoDB items DynamoLedger writes: every
 * attribute optional, because an unconditional update of an unknown key creates a bare item there
 * too (it answers with `idpId: "undefined"`, as the adapter does). Attributes the records do not
 * show (leases, creation claims, the deletion version, index membership) are kept beside them.
 */
export type UserItem = Partial<UserRecord> & {
  creatingBy?: string;
  creatingUntil?: number;
  /** In the `{source}#USERS` collection (written by a change, not only by a bookkeeping update). */
  listed?: boolean;
};

export type GroupItem = Partial<GroupRecord> & {
  deletedVersion?: string;
  leaseOwner?: string;
  leaseExpiresAt?: number;
  /** In the `{source}#GROUPS` collection (written by a change, not only by a bookkeeping update). */
  listed?: boolean;
};

export type MemberItem = Partial<MembershipRecord> & {
  /** In the `{source}#USERGROUPS#{userId}` collection (written by a desired-membership change). */
  listedForUser?: boolean;
};

export type RunItem = Omit<RunRecord, "step" | "deep"> & { step?: RunStep; deep?: boolean; stepKey: string };

/** What every in-memory port reads and writes: one object, so a change seen by one port is seen by all. */
export class LedgerState {
  readonly users = new Map<string, UserItem>();
  readonly groups = new Map<string, GroupItem>();
  /** `source#groupId` → userId → membership, like the group's partition of the table. */
  readonly memberships = new Map<string, Map<string, MemberItem>>();
  /** `source#nestedId` → parentId → when the parent's read last saw it. */
  readonly parents = new Map<string, Map<string, string>>();
  readonly runs = new Map<string, RunItem>();
  /** runId → `source#KIND#id` → the item the run queued (its sort key's order). */
  readonly runItems = new Map<string, Map<string, QueuedRunItem>>();
  /** runId → `source#groupId` → held removals. */
  readonly held = new Map<string, Map<string, HeldRemovals>>();

  constructor(readonly now: () => Date) {}

  iso(): string {
    return this.now().toISOString();
  }

  /** The item at a key, created empty when absent (what an unconditional DynamoDB update does). */
  user(source: IdentitySource, idpId: string): UserItem {
    return upsert(this.users, itemKey(source, idpId), () => ({}));
  }

  group(source: IdentitySource, idpId: string): GroupItem {
    return upsert(this.groups, itemKey(source, idpId), () => ({}));
  }

  membersOf(source: IdentitySource, groupId: string): Map<string, MemberItem> {
    return this.memberships.get(itemKey(source, groupId)) ?? new Map();
  }

  member(source: IdentitySource, groupId: string, userId: string): MemberItem {
    const members = upsert(this.memberships, itemKey(source, groupId), () => new Map<string, MemberItem>());
    return upsert(members, userId, () => ({}));
  }

  /** A recorded change to a group or one of its memberships: the item joins its collection and turns dirty. */
  touchGroup(source: IdentitySource, idpId: string, now: string, dirtyBy = 1): GroupItem {
    const item = this.group(source, idpId);
    Object.assign(item, { source, idpId, listed: true });
    item.createdByUs ??= false;
    item.syncedVersion ??= 0;
    item.attempts ??= 0;
    toPending(item, now);
    item.dirtyVersion = (item.dirtyVersion ?? 0) + dirtyBy;
    return item;
  }

  /** A recorded change to a user: the item is (re)written as pending. */
  touchUser(source: IdentitySource, idpId: string, now: string): UserItem {
    const item = this.user(source, idpId);
    Object.assign(item, { source, idpId, listed: true });
    item.attempts ??= 0;
    toPending(item, now);
    return item;
  }
}

export const itemKey = (source: IdentitySource, id: string) => `${source}#${id}`;

function upsert<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

/** DynamoDB compares strings by their UTF-8 bytes; so do conditions and key order here. */
export function compareStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** `attribute_not_exists(recorded) OR recorded < :version`: newer-wins by string order. */
export const olderOrAbsent = (recorded: string | undefined, version: string) =>
  recorded === undefined || compareStrings(recorded, version) < 0;

/** A run's position as one comparable string, as the adapter's conditional advance uses it. */
export const stepKey = (step: RunStep | undefined) =>
  step ? `${step.phase}|${step.source ?? ""}|${step.cursor ?? ""}` : "finished";

/** What a refused condition throws in the adapter (it is not caught there, e.g. counting an unknown run). */
export class ConditionalCheckFailed extends Error {
  override readonly name = "ConditionalCheckFailedException";

  constructor() {
    super("The conditional request failed");
  }
}

/** A deep copy without undefined properties, like a value marshalled with removeUndefinedValues and read back. */
export function copy<T>(value: T): T {
  if (Array.isArray(value)) return value.map((entry) => copy(entry)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, entry]) => entry !== undefined)
        .map(([name, entry]) => [name, copy(entry)]),
    ) as T;
  }
  return value;
}

/** A change moves the item to pending under the time the first unsynced change landed. */
export function toPending(item: Partial<ItemSyncState>, now: string): void {
  item.status = "pending";
  item.pendingSince ??= now;
  item.updatedAt = now;
}

export function toFailed(item: Partial<ItemSyncState>, failure: SyncFailure, now: string): void {
  item.status = "failed";
  item.reason = failure.reason.slice(0, 1000);
  item.errorCode = failure.errorCode;
  item.lastAttemptAt = now;
  item.attempts = (item.attempts ?? 0) + 1;
  item.pendingSince ??= now;
  item.updatedAt = now;
}

export function toSynced(item: Partial<ItemSyncState>, now: string): void {
  item.status = "synced";
  item.syncedAt = now;
  item.lastAttemptAt = now;
  item.attempts = 0;
  item.updatedAt = now;
}

export function remove<T extends object>(item: T, ...names: (keyof T)[]): void {
  for (const name of names) delete item[name];
}

export function syncState(item: Partial<ItemSyncState>): ItemSyncState {
  return {
    status: (item.status as SyncStatus | undefined) ?? "pending",
    reason: item.reason,
    errorCode: item.errorCode,
    attempts: Number(item.attempts ?? 0),
    pendingSince: item.pendingSince,
    lastAttemptAt: item.lastAttemptAt,
    syncedAt: item.syncedAt,
    retryAt: item.retryAt,
    updatedAt: item.updatedAt,
    attemptHistory: copy(item.attemptHistory) as AttemptRecord[] | undefined,
  };
}

export function toUserRecord(item: UserItem): UserRecord {
  return {
    ...syncState(item),
    source: item.source as IdentitySource,
    idpId: String(item.idpId),
    profile: copy(item.profile) as KiroUserProfile | undefined,
    profileVersion: item.profileVersion,
    profileRequestedVersion: item.profileRequestedVersion,
    lifecycle: (item.lifecycle as UserLifecycle | undefined) ?? "active",
    lifecycleVersion: item.lifecycleVersion,
    scimId: item.scimId,
    queuedByRun: item.queuedByRun,
  };
}

export function toGroupRecord(item: GroupItem): GroupRecord {
  return {
    ...syncState(item),
    source: item.source as IdentitySource,
    idpId: String(item.idpId),
    name: item.name,
    nameVersion: item.nameVersion,
    appliedName: item.appliedName,
    refreshRequestedVersion: item.refreshRequestedVersion,
    refreshedVersion: item.refreshedVersion,
    refreshRunId: item.refreshRunId || undefined,
    queuedByRun: item.queuedByRun,
    nestedGroupCount: Number(item.nestedGroupCount ?? 0),
    deleted: item.deleted === true,
    scimId: item.scimId,
    createdByUs: item.createdByUs === true,
    dirtyVersion: Number(item.dirtyVersion ?? 0),
    syncedVersion: Number(item.syncedVersion ?? 0),
    lastSyncedAt: item.lastSyncedAt,
    patchIntent: copy(item.patchIntent),
    lease:
      item.leaseOwner === undefined
        ? undefined
        : { owner: item.leaseOwner, expiresAt: new Date(Number(item.leaseExpiresAt)).toISOString() },
  };
}

export function toMembershipRecord(item: MemberItem): MembershipRecord {
  return {
    ...syncState(item),
    source: item.source as IdentitySource,
    groupId: String(item.groupId),
    userId: String(item.userId),
    desired: item.desired === true,
    desiredVersion: String(item.desiredVersion),
    applied: item.applied === true,
    appliedAt: item.appliedAt,
  };
}

export function toRunRecord(item: RunItem): RunRecord {
  return {
    runId: item.runId,
    kind: item.kind,
    reason: String(item.reason ?? ""),
    startedAt: item.startedAt,
    managedUsers: Number(item.managedUsers ?? 0),
    step: copy(item.step),
    removals: item.removals,
    chunks: item.chunks,
    items: copy(item.items),
    planned: item.planned,
    failedItems: copy(item.failedItems),
    finishedAt: item.finishedAt,
    unmanaged: copy(item.unmanaged),
    drift: copy(item.drift),
    skipped: copy(item.skipped),
    deep: item.deep === true ? true : undefined,
    updatedAt: item.updatedAt,
    error: item.error,
  };
}

export function toHeldRemovals(held: HeldRemovals): HeldRemovals {
  return {
    runId: held.runId,
    source: held.source,
    groupId: held.groupId,
    userIds: [...(held.userIds ?? [])],
    reason: held.reason,
    heldAt: held.heldAt,
  };
}
