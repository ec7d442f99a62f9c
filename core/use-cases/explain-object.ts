import type { GroupScope } from "../domain/group-scope";
import type { IdentitySource } from "../domain/identity-source";
import { refusedUserRetryAt } from "../domain/retry-policy";
import type { GroupRecords } from "../ports/group-records";
import type {
  AttemptRecord,
  GroupRecord,
  HeldRemovals,
  MembershipRecord,
  PatchIntent,
  SyncPause,
  UserLifecycle,
  UserRecord,
} from "../ports/ledger-records";
import type { MembershipRecords } from "../ports/membership-records";
import type { ProvisioningLog, ProvisioningLogEntry } from "../ports/provisioning-log";
import type { RunRecords } from "../ports/run-records";
import type { SyncControl } from "../ports/sync-control";
import type { UserRecords } from "../ports/user-records";
import {
  type Attributes,
  attributesOf,
  type LiveGroup,
  type LiveReads,
  type LiveUser,
  liveGroup,
  liveUser,
} from "./explain-live";
import { type Candidate, findGroups, findUsers, groupCandidate, userCandidate } from "./find-objects";

export interface ExplainDependencies {
  ledger: Pick<UserRecords, "getUsers" | "findUsers"> &
    Pick<GroupRecords, "getGroups" | "findGroupsByName"> &
    Pick<MembershipRecords, "listMemberships" | "listMembershipsOfUser"> &
    Pick<SyncControl, "getSyncPause"> &
    Pick<RunRecords, "listHeldRemovals">;
  log: Pick<ProvisioningLog, "listObjectLog">;
  scope: GroupScope;
  logRetentionDays: number;
  now?: () => Date;
}

export type Explained<T> =
  | { outcome: "found"; explanation: T }
  | { outcome: "unknown"; message: string }
  | { outcome: "ambiguous"; message: string; candidates: Candidate[] };

/**
 * `held`: the change waits for an operator (a removal held for approval, a quarantined group), not
 * for the sync; `failed`: Kiro refused it and it waits for a fix in the IdP (or its retry).
 */
export type ItemStatus = "synced" | "pending" | "failed" | "held";

/** A change that has not reached Kiro, and why it waits, in words an operator can act on. */
export interface Waiting {
  what: string;
  why: string;
}

export interface LastError {
  code: string;
  message: string;
  at?: string | undefined;
  attempts?: number | undefined;
}

export interface MembershipExplanation {
  group: { id: string; name?: string | undefined; kiroId?: string | undefined };
  desired: boolean;
  applied: boolean;
  status: ItemStatus;
  since?: string | undefined;
  waiting?: string | undefined;
  lastError?: LastError | undefined;
}

export interface UserExplanation {
  kind: "user";
  source: IdentitySource;
  id: string;
  login?: string | undefined;
  email?: string | undefined;
  name?: string | undefined;
  /** One sentence: where the user stands, or the first reason it does not stand where it should. */
  summary: string;
  /** The worst of the user's own status and its memberships'. */
  status: ItemStatus;
  idp: { state: UserLifecycle; profileRead: boolean; newerProfileRequested: boolean };
  scope: { inScope: boolean; groups: string[]; why: string };
  kiro: {
    id: string | null;
    status: ItemStatus;
    desiredAttributes?: Attributes | undefined;
    /** The desired ones once synced; while a change waits the ledger does not know (see `live`, the log). */
    appliedAttributes?: Attributes | undefined;
    syncedAt?: string | undefined;
    pendingSince?: string | undefined;
  };
  memberships: MembershipExplanation[];
  pending: Waiting[];
  lastError: LastError | null;
  log: ProvisioningLogEntry[];
  live?: LiveUser | undefined;
}

export interface MemberLine {
  id: string;
  login?: string | undefined;
  desired: boolean;
  applied: boolean;
  status: ItemStatus;
  since?: string | undefined;
  why?: string | undefined;
}

export interface GroupExplanation {
  kind: "group";
  source: IdentitySource;
  id: string;
  name?: string | undefined;
  summary: string;
  status: ItemStatus;
  deleted: boolean;
  scope: { inScope: boolean; why: string };
  kiro: { id: string | null; appliedName?: string | undefined; createdByUs: boolean };
  sync: {
    lease: { owner: string; until: string } | null;
    dirtyVersion: number;
    syncedVersion: number;
    attempts: number;
    quarantined: boolean;
    retryAt?: string | undefined;
    lastSyncedAt?: string | undefined;
    attemptHistory: AttemptRecord[];
    unsettledPatch?: PatchIntent | undefined;
  };
  members: {
    desired: number;
    applied: number;
    /** Up to {@link listedMembers} each, with logins. */
    pending: MemberLine[];
    failed: MemberLine[];
    held: MemberLine[];
    counts: { pending: number; failed: number; held: number };
  };
  pending: Waiting[];
  lastError: LastError | null;
  log: ProvisioningLogEntry[];
  live?: LiveGroup | undefined;
}

/** Newest first: enough to see what was last done and with what result. */
const latestLogEntries = 20;
const listedMembers = 50;

/**
 * `GET /users/{id|login|email}`: where one user stands and why, from the ledger (IdP state, scope
 * and the groups that put it there, desired and applied Kiro state, each membership's status,
 * what waits and on what, the last error) and its latest provisioning log entries. With `live`,
 * also what the IdP and Kiro hold now, and where they differ from the ledger and each other.
 */
export async function explainUser(
  identifier: string,
  source: IdentitySource | undefined,
  deps: ExplainDependencies,
  live?: LiveReads,
): Promise<Explained<UserExplanation>> {
  const users = await findUsers(deps.ledger, identifier, source);
  if (users.length === 0)
    return {
      outcome: "unknown",
      message: `no user ${identifier} in the ledger${source ? ` for ${source}` : ""}: no sync has met it (it is in no group of SYNC_GROUPS: ${deps.scope.describe()}), or the id, login or email is wrong. POST /admin/provision reads it from the IdP now`,
    };
  if (users.length > 1) return ambiguous("user", identifier, users.map(userCandidate));
  const user = users[0]!;
  const now = (deps.now ?? (() => new Date()))();
  const [memberships, pause, held, log] = await Promise.all([
    deps.ledger.listMembershipsOfUser(user.source, user.idpId),
    deps.ledger.getSyncPause(),
    deps.ledger.listHeldRemovals(),
    latestLog(deps, user.source, "USER", user.idpId, now),
  ]);
  const groups = await deps.ledger.getGroups(
    user.source,
    memberships.map((membership) => membership.groupId),
  );
  const membershipViews = memberships.map((membership) =>
    explainMembership(membership, groups.get(membership.groupId), held, pause, now),
  );
  const inScopeGroups = memberships
    .filter((membership) => membership.desired)
    .map((membership) => groups.get(membership.groupId))
    .filter((group): group is GroupRecord => group !== undefined && syncedGroup(group, deps.scope));
  const userStatus = user.status === "failed" ? "failed" : user.status === "synced" ? "synced" : "pending";
  const pending = userWaits(user, membershipViews, inScopeGroups, pause, now);
  const lastError = userLastError(user, membershipViews);
  const desiredAttributes = user.profile
    ? attributesOf(user.profile, user.lifecycle === "active")
    : undefined;
  const status = worst([userStatus, ...membershipViews.map((view) => view.status)]);
  const scope = {
    inScope: inScopeGroups.length > 0,
    groups: inScopeGroups.map((group) => group.name ?? group.idpId),
    why: scopeReason(inScopeGroups, memberships, deps.scope),
  };
  const explanation: UserExplanation = {
    kind: "user",
    source: user.source,
    id: user.idpId,
    login: user.profile?.userName,
    email: user.profile?.email,
    name: user.profile?.displayName,
    summary: summaryOf(status, scope, pending, lastError),
    status,
    idp: {
      state: user.lifecycle,
      profileRead: user.profile !== undefined,
      newerProfileRequested: newerProfileRequested(user),
    },
    scope,
    kiro: {
      id: user.scimId ?? null,
      status: userStatus,
      desiredAttributes,
      appliedAttributes: userStatus === "synced" && user.scimId ? desiredAttributes : undefined,
      syncedAt: user.syncedAt,
      pendingSince: user.pendingSince,
    },
    memberships: membershipViews,
    pending,
    lastError,
    log,
  };
  if (live) explanation.live = await liveUser(user, memberships, groups, deps.scope, live, now);
  return { outcome: "found", explanation };
}

/**
 * `GET /groups/{id|name}`: one group's sync state (lease, attempts, quarantine, next retry), its
 * Kiro id, its members desired and applied with the pending, failed and held ones named, what
 * waits and why, its last error and latest log entries; with `live`, the IdP's and Kiro's view now.
 */
export async function explainGroup(
  identifier: string,
  source: IdentitySource | undefined,
  deps: ExplainDependencies,
  live?: LiveReads,
): Promise<Explained<GroupExplanation>> {
  const groups = await findGroups(deps.ledger, identifier, source);
  if (groups.length === 0)
    return {
      outcome: "unknown",
      message: `no group ${identifier} in the ledger${source ? ` for ${source}` : ""}: no sync has met it (SYNC_GROUPS: ${deps.scope.describe()}), or the id or name is wrong`,
    };
  if (groups.length > 1) return ambiguous("group", identifier, groups.map(groupCandidate));
  const group = groups[0]!;
  const now = (deps.now ?? (() => new Date()))();
  const [memberships, pause, held, log] = await Promise.all([
    deps.ledger.listMemberships(group.source, group.idpId),
    deps.ledger.getSyncPause(),
    deps.ledger.listHeldRemovals(),
    latestLog(deps, group.source, "GROUP", group.idpId, now),
  ]);
  const lines = memberships.map((membership): MemberLine => {
    const view = explainMembership(membership, group, held, pause, now);
    return {
      id: membership.userId,
      desired: membership.desired,
      applied: membership.applied,
      status: view.status,
      since: view.since,
      why: view.lastError ? `${view.lastError.code}: ${view.lastError.message}` : view.waiting,
    };
  });
  const of = (status: ItemStatus) => lines.filter((line) => line.status === status);
  const listed = (["pending", "failed", "held"] as const).flatMap((status) =>
    of(status).slice(0, listedMembers),
  );
  const logins = await deps.ledger.getUsers(
    group.source,
    listed.map((line) => line.id),
  );
  for (const line of listed) line.login = logins.get(line.id)?.profile?.userName;
  const status = worst([groupStatusOf(group), ...lines.map((line) => line.status)]);
  const pending = groupWaits(group, lines, held, pause, now);
  const lastError = group.errorCode
    ? {
        code: group.errorCode,
        message: group.reason ?? "",
        at: group.lastAttemptAt,
        attempts: group.attempts,
      }
    : null;
  const inScope = syncedGroup(group, deps.scope);
  const scopeWhy = group.deleted
    ? "deleted in the IdP, or its name left SYNC_GROUPS: its members are removed from Kiro"
    : inScope
      ? `matches SYNC_GROUPS (${deps.scope.describe()})`
      : `its name does not match SYNC_GROUPS (${deps.scope.describe()})`;
  const explanation: GroupExplanation = {
    kind: "group",
    source: group.source,
    id: group.idpId,
    name: group.name,
    summary: summaryOf(status, { inScope, why: scopeWhy }, pending, lastError),
    status,
    deleted: group.deleted,
    scope: { inScope, why: scopeWhy },
    kiro: { id: group.scimId ?? null, appliedName: group.appliedName, createdByUs: group.createdByUs },
    sync: {
      lease: liveLease(group, now),
      dirtyVersion: group.dirtyVersion,
      syncedVersion: group.syncedVersion,
      attempts: group.attempts,
      quarantined: group.status === "quarantined",
      retryAt: group.retryAt,
      lastSyncedAt: group.lastSyncedAt,
      attemptHistory: group.attemptHistory ?? [],
      unsettledPatch: group.patchIntent,
    },
    members: {
      desired: memberships.filter((membership) => membership.desired).length,
      applied: memberships.filter((membership) => membership.applied).length,
      pending: of("pending").slice(0, listedMembers),
      failed: of("failed").slice(0, listedMembers),
      held: of("held").slice(0, listedMembers),
      counts: { pending: of("pending").length, failed: of("failed").length, held: of("held").length },
    },
    pending,
    lastError,
    log,
  };
  if (live) explanation.live = await liveGroup(group, memberships, deps.ledger, live, now);
  return { outcome: "found", explanation };
}

function ambiguous(kind: "user" | "group", identifier: string, candidates: Candidate[]) {
  return {
    outcome: "ambiguous" as const,
    message: `${candidates.length} ${kind}s match ${identifier}: ask again by id, with ?source=okta or ?source=entra`,
    candidates,
  };
}

async function latestLog(
  deps: ExplainDependencies,
  source: IdentitySource,
  kind: "USER" | "GROUP",
  id: string,
  now: Date,
): Promise<ProvisioningLogEntry[]> {
  const since = new Date(now.getTime() - deps.logRetentionDays * 86_400_000).toISOString();
  const page = await deps.log.listObjectLog(source, kind, id, {
    since,
    until: now.toISOString(),
    limit: latestLogEntries,
  });
  return page.entries;
}

/** A group whose members Kiro gets: not deleted, and in SYNC_GROUPS by id or name. */
function syncedGroup(group: GroupRecord, scope: GroupScope): boolean {
  return !group.deleted && scope.includes({ id: group.idpId, name: group.name });
}

function scopeReason(inScope: GroupRecord[], memberships: MembershipRecord[], scope: GroupScope): string {
  if (inScope.length > 0)
    return `a member of ${inScope.map((group) => group.name ?? group.idpId).join(", ")}`;
  if (memberships.some((membership) => membership.desired))
    return `its groups are deleted or outside SYNC_GROUPS (${scope.describe()})`;
  return memberships.length > 0
    ? `no longer a member of any synced group (SYNC_GROUPS: ${scope.describe()})`
    : `not a member of any synced group (SYNC_GROUPS: ${scope.describe()})`;
}

const statusRank: Record<ItemStatus, number> = { synced: 0, pending: 1, held: 2, failed: 3 };

function worst(statuses: ItemStatus[]): ItemStatus {
  return statuses.reduce<ItemStatus>((a, b) => (statusRank[b] > statusRank[a] ? b : a), "synced");
}

function groupStatusOf(group: GroupRecord): ItemStatus {
  if (group.status === "quarantined" || group.errorCode === "REMOVALS.HELD") return "held";
  if (group.status === "failed") return "failed";
  if (group.status === "pending" || group.dirtyVersion > group.syncedVersion) return "pending";
  return "synced";
}

function liveLease(group: GroupRecord, now: Date): { owner: string; until: string } | null {
  return group.lease && group.lease.expiresAt > now.toISOString()
    ? { owner: group.lease.owner, until: group.lease.expiresAt }
    : null;
}

function heldRemoval(held: HeldRemovals[], membership: MembershipRecord): HeldRemovals | undefined {
  return held.find(
    (each) =>
      each.source === membership.source &&
      each.groupId === membership.groupId &&
      each.userIds.includes(membership.userId),
  );
}

function explainMembership(
  membership: MembershipRecord,
  group: GroupRecord | undefined,
  held: HeldRemovals[],
  pause: SyncPause | undefined,
  now: Date,
): MembershipExplanation {
  const view = {
    group: { id: membership.groupId, name: group?.name, kiroId: group?.scimId },
    desired: membership.desired,
    applied: membership.applied,
  };
  const name = group?.name ?? membership.groupId;
  if (membership.desired === membership.applied && membership.status === "synced")
    return { ...view, status: "synced" };
  const removal = heldRemoval(held, membership);
  if (removal)
    return {
      ...view,
      status: "held",
      since: removal.heldAt,
      waiting: `the removal from ${name} is held by reconcile run ${removal.runId}: approve with POST /admin/approve/${removal.runId}`,
    };
  if (group?.status === "quarantined")
    return {
      ...view,
      status: "held",
      since: membership.pendingSince,
      waiting: `group ${name} is quarantined after ${group.attempts} attempts (${group.errorCode}: ${group.reason}): fix the cause, then POST /admin/redrive`,
    };
  if (membership.status === "failed")
    return {
      ...view,
      status: "failed",
      since: membership.pendingSince,
      lastError: {
        code: membership.errorCode ?? "MEMBER.FAILED",
        message: membership.reason ?? "",
        at: membership.lastAttemptAt,
        attempts: membership.attempts,
      },
      waiting: `sent again by the next pass of ${name} once the cause is fixed`,
    };
  return {
    ...view,
    status: "pending",
    since: membership.pendingSince,
    waiting: groupWait(group, name, pause, now),
  };
}

/** Why a change to this group has not reached Kiro yet: the first thing that holds it. */
function groupWait(
  group: GroupRecord | undefined,
  name: string,
  pause: SyncPause | undefined,
  now: Date,
): string {
  if (pause)
    return `the sync is paused since ${pause.since}: ${pause.reason} (${pause.errorCode}); it tries again at ${pause.probeAt}`;
  const lease = group && liveLease(group, now);
  if (lease) return `group ${name} is being synced now (worker ${lease.owner} holds it until ${lease.until})`;
  if (group?.status === "failed" && group.errorCode === "REMOVALS.HELD")
    return group.reason ?? "removals held for approval";
  if (group?.status === "failed" && group.retryAt)
    return `group ${name} failed (${group.errorCode}: ${group.reason}); retry ${group.attempts + 1} is scheduled at ${group.retryAt}`;
  if (group?.status === "failed")
    return `group ${name} failed (${group.errorCode}: ${group.reason}); the next change or the sweep retries it`;
  return `waits for the next pass of group ${name}${group?.pendingSince ? ` (changed since ${group.pendingSince})` : ""}`;
}

function newerProfileRequested(user: UserRecord): boolean {
  return (
    user.profileRequestedVersion !== undefined &&
    (user.profileVersion === undefined || user.profileRequestedVersion > user.profileVersion)
  );
}

function userWaits(
  user: UserRecord,
  memberships: MembershipExplanation[],
  inScope: GroupRecord[],
  pause: SyncPause | undefined,
  now: Date,
): Waiting[] {
  const waits: Waiting[] = [];
  if (pause)
    waits.push({
      what: "every change",
      why: `the sync is paused since ${pause.since}: ${pause.reason} (${pause.errorCode}); it tries again at ${pause.probeAt}`,
    });
  const via = inScope.map((group) => group.name ?? group.idpId).join(", ") || "its groups";
  if (user.status === "failed") {
    const retryAt = user.lastAttemptAt ? refusedUserRetryAt(user.lastAttemptAt, user.attempts) : undefined;
    waits.push({
      what: user.scimId ? "the user's update" : "the user's creation in Kiro",
      why: `Kiro refused it (${user.errorCode}: ${user.reason}); fix the profile in the IdP: it is sent again at once on a profile change${retryAt ? `, or after ${retryAt}` : ""}`,
    });
  } else if (user.status === "pending") {
    const first = inScope[0];
    waits.push({
      what: user.scimId ? "the user's update" : "the user's creation in Kiro",
      why: newerProfileRequested(user)
        ? `a newer profile is to be read from the IdP by the next pass of ${via}`
        : first
          ? groupWait(first, first.name ?? first.idpId, undefined, now)
          : `waits for the next pass of ${via}`,
    });
  }
  for (const membership of memberships) {
    if (membership.status === "synced" || !membership.waiting) continue;
    const name = membership.group.name ?? membership.group.id;
    waits.push({
      what: `${membership.desired ? "adding to" : "removing from"} ${name}`,
      why: membership.lastError
        ? `${membership.lastError.code}: ${membership.lastError.message}; ${membership.waiting}`
        : membership.waiting,
    });
  }
  return waits;
}

function userLastError(user: UserRecord, memberships: MembershipExplanation[]): LastError | null {
  if (user.errorCode)
    return {
      code: user.errorCode,
      message: user.reason ?? "",
      at: user.lastAttemptAt,
      attempts: user.attempts,
    };
  return memberships.find((membership) => membership.lastError)?.lastError ?? null;
}

function groupWaits(
  group: GroupRecord,
  lines: MemberLine[],
  held: HeldRemovals[],
  pause: SyncPause | undefined,
  now: Date,
): Waiting[] {
  const name = group.name ?? group.idpId;
  const waits: Waiting[] = [];
  const pendingMembers = lines.filter((line) => line.status === "pending").length;
  if (groupStatusOf(group) === "pending" || pendingMembers > 0 || group.status === "failed")
    waits.push({
      what: pendingMembers > 0 ? `${pendingMembers} member changes` : "the group's change",
      why: groupWait(group, name, pause, now),
    });
  if (group.status === "quarantined")
    waits.push({
      what: "every change to the group",
      why: `quarantined after ${group.attempts} attempts (${group.errorCode}: ${group.reason}): fix the cause, then POST /admin/redrive`,
    });
  for (const removal of held.filter((each) => each.source === group.source && each.groupId === group.idpId))
    waits.push({ what: `${removal.userIds.length} removals`, why: removal.reason });
  return waits;
}

function summaryOf(
  status: ItemStatus,
  scope: { inScope: boolean; why: string },
  pending: Waiting[],
  lastError: LastError | null,
): string {
  if (!scope.inScope && status === "synced") return `out of scope: ${scope.why}`;
  if (status === "synced") return "in Kiro as the ledger wants it";
  if (status === "failed" && lastError) return `failed: ${lastError.code} ${lastError.message}`;
  const first = pending[0];
  return first ? `${status}: ${first.what}: ${first.why}` : status;
}
