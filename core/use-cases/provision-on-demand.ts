import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { GroupScope } from "../domain/group-scope";
import { changeVersion, type IdentitySource, IdentitySourceSchema } from "../domain/identity-source";
import { planMembershipChanges } from "../domain/membership-plan";
import type { EventBus } from "../ports/event-bus";
import type { GroupRecords } from "../ports/group-records";
import type { GroupSyncState } from "../ports/group-sync-state";
import type { DirectoryUser, IdentityDirectory } from "../ports/identity-directory";
import type { KiroCallHistory } from "../ports/kiro-call-history";
import type { KiroScimPort } from "../ports/kiro-scim";
import {
  type GroupRecord,
  lookupNameMaxBytes,
  type MembershipRecord,
  type SyncFailure,
  type UserRecord,
} from "../ports/ledger-records";
import type { MembershipRecords } from "../ports/membership-records";
import type { ProvisioningLog, ProvisioningLogEntry } from "../ports/provisioning-log";
import type { RunRecords } from "../ports/run-records";
import type { UserRecords } from "../ports/user-records";
import { type Candidate, findGroups, findUsers, groupCandidate, userCandidate } from "./find-objects";
import { applyMembershipBatches } from "./group-sync/apply-membership-batches";
import { ensureGroup } from "./group-sync/ensure-group";
import { type EnsuredUsers, ensureUsers, type RemovalPolicy } from "./group-sync/ensure-users";
import { settleLostPatch } from "./group-sync/settle-lost-patch";
import { ProvisioningActivity } from "./provisioning-activity";
import type { InlineRetry } from "./read-with-retries";
import { sameProfile } from "./reread-users";
import { syncGroup } from "./sync-group";

const identifier = z
  .string()
  .min(1)
  .refine((value) => Buffer.byteLength(value) <= lookupNameMaxBytes, "longer than any IdP id, login or name");

/** `POST /admin/provision` body: one user (id, login or email) or one group (id or name), and optionally its source. */
export const ProvisionRequestSchema = z.union(
  [
    z.object({ user: identifier, source: IdentitySourceSchema.optional() }).strict(),
    z.object({ group: identifier, source: IdentitySourceSchema.optional() }).strict(),
  ],
  {
    error:
      'the body is {"user": "<id, login or email>"} or {"group": "<id or name>"}, with an optional "source": "okta" or "entra"',
  },
);
export type ProvisionRequest = z.infer<typeof ProvisionRequestSchema>;

export interface ProvisionDependencies {
  ledger: UserRecords & GroupRecords & GroupSyncState & KiroCallHistory & MembershipRecords & RunRecords;
  log: ProvisioningLog;
  bus: EventBus;
  scim: KiroScimPort;
  /** The configured sources only: an object nobody told us about is looked for in each. */
  directories: Partial<Record<IdentitySource, IdentityDirectory>>;
  scope: GroupScope;
  removalPolicy: RemovalPolicy;
  removalHoldShare?: number;
  /** IdP and Kiro reads, under the retry policy shortened to a request's time. */
  retryRead: InlineRetry;
  /** How long to wait for a worker's lease on a group before answering busy (default 5 s). */
  leaseWaitMs?: number;
  now?: () => Date;
}

/** One step of the answer, as Entra's "provision on demand" shows them. */
export interface ProvisionStep {
  step: "read from the IdP" | "scope decision" | "match in Kiro" | "action" | "result";
  result: string;
  detail: string;
  /** The actions taken, as written to the provisioning log (trigger `on-demand`). */
  actions?: ProvisionAction[] | undefined;
}

export interface ProvisionAction {
  action: string;
  kind: string;
  object: string;
  name?: string | undefined;
  kiroId?: string | undefined;
  result: string;
  errorCode?: string | undefined;
  message?: string | undefined;
}

export interface ProvisionAnswer {
  kind: "user" | "group";
  source: IdentitySource;
  id: string;
  name?: string | undefined;
  /** `no change`: Kiro already had it as the IdP says; `out of scope`: nothing was written to Kiro. */
  outcome: "provisioned" | "no change" | "failed" | "out of scope";
  steps: ProvisionStep[];
}

export type Provisioned =
  | { outcome: "done"; answer: ProvisionAnswer }
  | { outcome: "unknown"; message: string }
  | { outcome: "ambiguous"; message: string; candidates: Candidate[] }
  | { outcome: "busy"; message: string; holder: string; until: string; steps: ProvisionStep[] };

/** A worker's pass over a small group takes well under a second: worth waiting for, not for long. */
const defaultLeaseWaitMs = 5_000;
const leaseTtlMs = 30_000;
const trigger = "on-demand";

/**
 * `POST /admin/provision`: syncs one user or group now, as Entra's "provision on demand" does, and
 * answers with each step (read from the IdP, scope decision, match in Kiro, action, result). The
 * IdP is asked even when the ledger knows nothing of the object, so a user whose hook event was
 * lost can be brought in by hand. What the IdP says is recorded in the ledger first, then Kiro is
 * changed under the group's lease (never racing a worker) with the very steps of a group pass, and
 * every action goes to the provisioning log with trigger `on-demand`.
 */
export async function provisionOnDemand(
  request: ProvisionRequest,
  deps: ProvisionDependencies,
): Promise<Provisioned> {
  return "user" in request
    ? provisionUser(request.user, request.source, deps)
    : provisionGroup(request.group, request.source, deps);
}

async function provisionUser(
  wanted: string,
  source: IdentitySource | undefined,
  deps: ProvisionDependencies,
): Promise<Provisioned> {
  const found = await locateUser(wanted, source, deps);
  if (found.outcome !== "found") return found;
  const { directory } = found;
  const steps: ProvisionStep[] = [];
  const [idpUser, idpGroups] = await Promise.all([
    deps.retryRead(() => directory.getUser(found.id)),
    deps.retryRead(() => directory.listGroupsOfUser(found.id)),
  ]);
  if (!idpUser) return { outcome: "unknown", message: `the ${found.source} directory has no user ${wanted}` };
  const login = idpUser.profile.userName;
  const inScope = (idpGroups ?? []).filter((group) => deps.scope.includes(group));
  steps.push({
    step: "read from the IdP",
    result: "ok",
    detail: `${found.source} user ${found.id} (${login}, ${idpUser.active ? "active" : "inactive"}), in ${describeList(
      (idpGroups ?? []).map((group) => group.name),
      "no group",
    )}`,
  });
  const base = { kind: "user" as const, source: found.source, id: found.id, name: login };
  const known = await deps.ledger.getUser(found.source, found.id);
  const memberships = known ? await deps.ledger.listMembershipsOfUser(found.source, found.id) : [];
  const leaving = memberships.filter(
    (membership) => membership.desired && !inScope.some((group) => group.id === membership.groupId),
  );
  if (inScope.length === 0) {
    steps.push({
      step: "scope decision",
      result: "out of scope",
      detail: `in no group of SYNC_GROUPS (${deps.scope.describe()})${leaving.length > 0 ? `; its ${leaving.length} synced memberships are left to the group passes` : ""}: nothing is written to Kiro`,
    });
    return { outcome: "done", answer: { ...base, outcome: "out of scope", steps } };
  }
  steps.push({
    step: "scope decision",
    result: "in scope",
    detail: `through ${describeList(
      inScope.map((group) => group.name),
      "",
    )}`,
  });
  const touched = await recordUserFromIdp(found.source, idpUser, known, inScope, memberships, deps);
  const collected: ProvisioningLogEntry[] = [];
  const activity = new ProvisioningActivity(teeLog(deps.log, collected), { trigger }, deps.now);
  const worker = `on-demand-${randomUUID()}`;
  let failure: SyncFailure | undefined;
  try {
    steps.push(await matchUser(found.source, idpUser, known, deps));
    const user = (await deps.ledger.getUser(found.source, found.id))!;
    const pushDeps = { ...deps, directory, activity };
    /* An operator asking now is the retry: a refused user is sent again without waiting out its back-off. */
    const sendAgain = { ...user, status: user.status === "failed" ? ("pending" as const) : user.status };
    const ensured = await ensureUsers([sendAgain], pushDeps, { usersPushed: 0, usersFailed: 0 }, worker);
    failure = ensured.userFailures.get(found.id);
    for (const groupId of touched) {
      const busy = await underLease(found.source, groupId, worker, deps, async () => {
        const refused = await applyMembership(found.source, groupId, found.id, ensured, pushDeps);
        failure ??= refused;
      });
      if (busy) {
        await activity.flush();
        steps.push(actionStep(collected));
        return {
          outcome: "busy",
          ...busyAnswer(busy, await groupName(deps, found.source, groupId)),
          steps,
        };
      }
    }
    await activity.flush();
  } finally {
    /* On the way out of a failure: what was done is still logged, and the failure itself decides the answer. */
    await activity.flush().catch(() => undefined);
    /* What was recorded left its groups dirty: their own pass settles them (and retries whatever a
       passing fault stopped here) instead of the sweep a minute later. */
    await deps.bus
      .publish(touched.map((groupId) => groupChanged(found.source, groupId)))
      .catch(() => undefined);
  }
  steps.push(actionStep(collected));
  steps.push(resultStep(failure, collected));
  const outcome = failure ? "failed" : collected.length === 0 ? "no change" : "provisioned";
  return { outcome: "done", answer: { ...base, outcome, steps } };
}

/**
 * One group pass's steps, for one member, under the group's lease: the group made sure of in Kiro,
 * a PATCH whose answer was lost settled first (its intent would be overwritten otherwise), then this
 * user's add or remove. Answers why it failed, if it did.
 */
async function applyMembership(
  source: IdentitySource,
  groupId: string,
  userId: string,
  ensured: EnsuredUsers,
  deps: ProvisionDependencies & { activity: ProvisioningActivity },
): Promise<SyncFailure | undefined> {
  const group = await deps.ledger.getGroup(source, groupId);
  if (!group || (group.deleted && !group.scimId)) return undefined;
  const scimGroupId = await ensureGroup(group, deps);
  if (scimGroupId === undefined) {
    const refused = await deps.ledger.getGroup(source, groupId);
    return { errorCode: refused?.errorCode ?? "GROUP.FAILED", reason: refused?.reason ?? "" };
  }
  const kiroUserIds = new Map(ensured.kiroUserIds);
  if (group.patchIntent && scimGroupId) await settleLostPatch(group, scimGroupId, kiroUserIds, deps);
  const own = async () =>
    (await deps.ledger.listMemberships(source, groupId)).filter((membership) => membership.userId === userId);
  const plan = planMembershipChanges(await own(), kiroUserIds, ensured.userFailures, {
    groupDeleted: group.deleted,
  });
  const outcome = await applyMembershipBatches(group, scimGroupId, plan, deps, () => false);
  if (outcome.failed === 0) return undefined;
  const [membership] = await own();
  return { errorCode: membership?.errorCode ?? "MEMBER.FAILED", reason: membership?.reason ?? "" };
}

async function provisionGroup(
  wanted: string,
  source: IdentitySource | undefined,
  deps: ProvisionDependencies,
): Promise<Provisioned> {
  const found = await locateGroup(wanted, source, deps);
  if (found.outcome !== "found") return found;
  const { directory } = found;
  const steps: ProvisionStep[] = [];
  const members = await deps.retryRead(() => directory.listGroupMembers(found.id));
  if (!members)
    return { outcome: "unknown", message: `the ${found.source} directory has no group ${wanted}` };
  const name = members.displayName ?? found.name ?? found.id;
  steps.push({
    step: "read from the IdP",
    result: members.complete ? "ok" : "incomplete",
    detail: `${found.source} group ${found.id} (${name}) with ${members.userIds.length} users${members.nestedGroupIds.length > 0 ? ` (through ${members.nestedGroupIds.length} nested groups)` : ""}${members.complete ? "" : `; the read stopped part way (${members.failure}): members are added, none removed`}`,
  });
  const base = { kind: "group" as const, source: found.source, id: found.id, name };
  if (!deps.scope.includes({ id: found.id, name })) {
    steps.push({
      step: "scope decision",
      result: "out of scope",
      detail: `its name does not match SYNC_GROUPS (${deps.scope.describe()}): nothing is written to Kiro`,
    });
    return { outcome: "done", answer: { ...base, outcome: "out of scope", steps } };
  }
  steps.push({
    step: "scope decision",
    result: "in scope",
    detail: `matches SYNC_GROUPS (${deps.scope.describe()})`,
  });
  const version = readVersion(deps);
  await deps.ledger.recordGroupName(found.source, found.id, name, version);
  await deps.ledger.requestGroupRefresh(found.source, found.id, version);
  steps.push(await matchGroup(await deps.ledger.getGroup(found.source, found.id), name, deps));
  const collected: ProvisioningLogEntry[] = [];
  const activity = new ProvisioningActivity(teeLog(deps.log, collected), { trigger }, deps.now);
  const deadline = Date.now() + (deps.leaseWaitMs ?? defaultLeaseWaitMs);
  for (;;) {
    const result = await syncGroup(
      { source: found.source, groupId: found.id },
      { ...deps, directory, activity, workerId: `on-demand-${randomUUID()}` },
    ).catch(async (error: unknown) => {
      await deps.bus.publish([groupChanged(found.source, found.id)]).catch(() => undefined);
      throw error;
    });
    if (result.outcome === "busy" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    if (result.outcome === "busy") {
      const group = await deps.ledger.getGroup(found.source, found.id);
      steps.push(actionStep(collected));
      return {
        outcome: "busy",
        ...busyAnswer(
          { holder: group?.lease?.owner ?? "another worker", until: result.recheckAt ?? "" },
          name,
        ),
        steps,
      };
    }
    steps.push(actionStep(collected));
    const group = await deps.ledger.getGroup(found.source, found.id);
    const failure =
      result.outcome === "group-failed"
        ? { errorCode: group?.errorCode ?? "GROUP.FAILED", reason: group?.reason ?? "" }
        : undefined;
    steps.push(
      resultStep(failure, collected, {
        "users pushed": result.usersPushed,
        "users refused": result.usersFailed,
        "members added": result.membersAdded,
        "members removed": result.membersRemoved,
        "memberships failed": result.membershipsFailed,
      }),
    );
    const outcome = failure ? "failed" : collected.length === 0 ? "no change" : "provisioned";
    return { outcome: "done", answer: { ...base, outcome, steps } };
  }
}

type Located =
  | {
      outcome: "found";
      source: IdentitySource;
      id: string;
      name?: string | undefined;
      directory: IdentityDirectory;
    }
  | Exclude<Provisioned, { outcome: "done" | "busy" }>;

/**
 * The ledger first (an id, login or email it knows); then each configured IdP, which reads a user by
 * id or login (Okta) or userPrincipalName (Entra), so one the ledger never met is found too.
 */
async function locateUser(
  wanted: string,
  source: IdentitySource | undefined,
  deps: ProvisionDependencies,
): Promise<Located> {
  const inLedger = await findUsers(deps.ledger, wanted, source);
  const candidates: Candidate[] =
    inLedger.length > 0
      ? inLedger.map(userCandidate)
      : (
          await Promise.all(
            configured(deps, source).map(async ([each, directory]) => {
              const user = await deps.retryRead(() => directory.getUser(wanted));
              return user ? [{ source: each, id: user.id, name: user.profile.userName }] : [];
            }),
          )
        ).flat();
  return located("user", wanted, source, candidates, deps);
}

/** The ledger first (an id or name it knows); then each configured IdP, by id, then by name in its group list. */
async function locateGroup(
  wanted: string,
  source: IdentitySource | undefined,
  deps: ProvisionDependencies,
): Promise<Located> {
  const inLedger = await findGroups(deps.ledger, wanted, source);
  const lower = wanted.toLowerCase();
  const candidates: Candidate[] =
    inLedger.length > 0
      ? inLedger.map(groupCandidate)
      : (
          await Promise.all(
            configured(deps, source).map(async ([each, directory]) => {
              const byId = await deps.retryRead(() => directory.listGroupMembers(wanted));
              if (byId) return [{ source: each, id: wanted, name: byId.displayName }];
              const groups = await deps.retryRead(() => directory.listGroups());
              return groups
                .filter((group) => group.name.toLowerCase() === lower)
                .map((group) => ({ source: each, id: group.id, name: group.name }));
            }),
          )
        ).flat();
  return located("group", wanted, source, candidates, deps);
}

function located(
  kind: "user" | "group",
  wanted: string,
  source: IdentitySource | undefined,
  candidates: Candidate[],
  deps: ProvisionDependencies,
): Located {
  if (candidates.length > 1)
    return {
      outcome: "ambiguous",
      message: `${candidates.length} ${kind}s match ${wanted}: ask again by id, with "source"`,
      candidates,
    };
  const [only] = candidates;
  const directory = only && deps.directories[only.source];
  if (!only || !directory)
    return {
      outcome: "unknown",
      message: `no ${kind} ${wanted} in the ledger or in ${describeList(
        configured(deps, source).map(([each]) => each),
        "no configured directory",
      )}`,
    };
  return { outcome: "found", source: only.source, id: only.id, name: only.name, directory };
}

function configured(
  deps: ProvisionDependencies,
  source: IdentitySource | undefined,
): [IdentitySource, IdentityDirectory][] {
  return (Object.entries(deps.directories) as [IdentitySource, IdentityDirectory][]).filter(
    ([each]) => !source || each === source,
  );
}

const readVersion = (deps: ProvisionDependencies) =>
  changeVersion((deps.now ?? (() => new Date()))(), `${trigger}-${randomUUID()}`);

/**
 * Records in the ledger what the IdP says now, as a re-read does (newer wins, at the read's own
 * version): the profile and status if they changed, a membership in each in-scope group, and the
 * end of the synced memberships the IdP no longer has. A group the ledger did not know is asked
 * for a full re-read, so its own pass brings its other members. Answers the groups to apply.
 */
async function recordUserFromIdp(
  source: IdentitySource,
  idpUser: DirectoryUser,
  known: UserRecord | undefined,
  inScope: { id: string; name: string }[],
  memberships: MembershipRecord[],
  deps: ProvisionDependencies,
): Promise<string[]> {
  const version = readVersion(deps);
  const { ledger } = deps;
  if (!known?.profile || !sameProfile(known.profile, idpUser.profile))
    await ledger.recordUserProfile(source, idpUser.id, idpUser.profile, version);
  const lifecycle = idpUser.active ? "active" : "inactive";
  if (known?.lifecycle !== lifecycle)
    await ledger.recordUserLifecycle(source, idpUser.id, lifecycle, version);
  const groups = await ledger.getGroups(
    source,
    inScope.map((group) => group.id),
  );
  const wanted = new Set(
    memberships.filter((membership) => membership.desired).map((membership) => membership.groupId),
  );
  for (const group of inScope) {
    const record = groups.get(group.id);
    if (record?.name !== group.name) await ledger.recordGroupName(source, group.id, group.name, version);
    if (!record) await ledger.requestGroupRefresh(source, group.id, version);
    if (!wanted.has(group.id))
      await ledger.recordDesiredMembership(source, group.id, idpUser.id, true, version);
  }
  const leaving = memberships.filter(
    (membership) => membership.desired && !inScope.some((group) => group.id === membership.groupId),
  );
  for (const membership of leaving)
    await ledger.recordDesiredMembership(source, membership.groupId, idpUser.id, false, version);
  return [...inScope.map((group) => group.id), ...leaving.map((membership) => membership.groupId)];
}

/** How Kiro will meet the user: by its Kiro id, by externalId, by an unclaimed userName, or not at all. */
async function matchUser(
  source: IdentitySource,
  idpUser: DirectoryUser,
  known: UserRecord | undefined,
  deps: ProvisionDependencies,
): Promise<ProvisionStep> {
  const step = "match in Kiro" as const;
  if (known?.scimId) {
    const byId = await deps.retryRead(() => deps.scim.getUser(known.scimId!));
    if (byId)
      return { step, result: "found", detail: `Kiro user ${byId.id}, by the Kiro id the ledger holds` };
  }
  const byExternalId = await deps.retryRead(() => deps.scim.findUserByExternalId(idpUser.id));
  if (byExternalId)
    return {
      step,
      result: "found",
      detail: `Kiro user ${byExternalId.id}, by externalId ${idpUser.id}: adopted`,
    };
  const byUserName = await deps.retryRead(() => deps.scim.findUserByUserName(idpUser.profile.userName));
  if (byUserName && !byUserName.externalId)
    return {
      step,
      result: "found",
      detail: `Kiro user ${byUserName.id}, by userName ${idpUser.profile.userName} with no externalId: adopted`,
    };
  if (byUserName)
    return {
      step,
      result: "conflict",
      detail: `Kiro user ${byUserName.id} has userName ${idpUser.profile.userName} and belongs to another externalId (${byUserName.externalId}): it is left alone and the ${source} user cannot be created`,
    };
  return { step, result: "not found", detail: "no Kiro user by externalId or userName: created" };
}

async function matchGroup(
  group: GroupRecord | undefined,
  name: string,
  deps: ProvisionDependencies,
): Promise<ProvisionStep> {
  const step = "match in Kiro" as const;
  if (group?.scimId) {
    const byId = await deps.retryRead(() => deps.scim.getGroup(group.scimId!));
    if (byId)
      return {
        step,
        result: "found",
        detail: `Kiro group ${byId.id} (${byId.displayName}), by the Kiro id the ledger holds`,
      };
  }
  const id = group?.idpId ?? "";
  const byExternalId = await deps.retryRead(() => deps.scim.findGroupByExternalId(id));
  if (byExternalId)
    return { step, result: "found", detail: `Kiro group ${byExternalId.id}, by externalId ${id}: adopted` };
  const byName = await deps.retryRead(() => deps.scim.findGroupByDisplayName(name));
  if (byName && !byName.externalId)
    return {
      step,
      result: "found",
      detail: `Kiro group ${byName.id}, by displayName with no externalId: adopted`,
    };
  if (byName)
    return {
      step,
      result: "conflict",
      detail: `Kiro group ${byName.id} is named ${name} and belongs to another externalId (${byName.externalId}): it is left alone`,
    };
  return { step, result: "not found", detail: "no Kiro group by externalId or displayName: created" };
}

/**
 * Runs `work` holding the group's lease, as a worker's pass would, so the two never PATCH the
 * group at once. A lease another worker holds is waited for up to `leaseWaitMs`, then answered as
 * busy with who holds it and until when (what was read is recorded: that worker's next loop, or the
 * group's pass the answer triggers, applies it).
 */
async function underLease(
  source: IdentitySource,
  groupId: string,
  worker: string,
  deps: ProvisionDependencies,
  work: () => Promise<void>,
): Promise<{ holder: string; until: string } | undefined> {
  const deadline = Date.now() + (deps.leaseWaitMs ?? defaultLeaseWaitMs);
  for (;;) {
    const lease = await deps.ledger.acquireGroupLease(source, groupId, worker, leaseTtlMs);
    if (lease.acquired) break;
    if (lease.reason === "missing") return undefined;
    if (Date.now() >= deadline) {
      const group = await deps.ledger.getGroup(source, groupId);
      return { holder: group?.lease?.owner ?? "another worker", until: lease.expiresAt };
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  try {
    await work();
    return undefined;
  } finally {
    await deps.ledger.releaseGroupLease(source, groupId, worker);
  }
}

function busyAnswer(busy: { holder: string; until: string }, group: string) {
  return {
    message: `group ${group} is being synced by worker ${busy.holder} until ${busy.until}: what the IdP says is recorded and that pass or the next applies it; ask again after ${busy.until}, or see GET /users/{id}`,
    holder: busy.holder,
    until: busy.until,
  };
}

async function groupName(deps: ProvisionDependencies, source: IdentitySource, groupId: string) {
  return (await deps.ledger.getGroup(source, groupId))?.name ?? groupId;
}

/** The log, with each batch also kept for the answer: the steps show exactly what the log records. */
function teeLog(log: ProvisioningLog, collected: ProvisioningLogEntry[]): ProvisioningLog {
  return {
    ...log,
    appendLogEntries: async (entries) => {
      collected.push(...entries.filter((entry) => entry.kind !== "OPERATOR"));
      await log.appendLogEntries(entries);
    },
    listObjectLog: (...args) => log.listObjectLog(...args),
    listLog: (...args) => log.listLog(...args),
  };
}

function actionStep(collected: ProvisioningLogEntry[]): ProvisionStep {
  const actions = collected.map((entry) => ({
    action: entry.action,
    kind: entry.kind,
    object: entry.objectId,
    name: entry.name,
    kiroId: entry.kiroId,
    result: entry.result,
    errorCode: entry.errorCode,
    message: entry.message,
  }));
  const done = actions
    .filter((action) => action.result === "success")
    .map((action) => describeAction(action));
  return {
    step: "action",
    result:
      actions.length === 0
        ? "no change"
        : actions.some((action) => action.result === "failure")
          ? "failed"
          : "ok",
    detail:
      actions.length === 0
        ? "Kiro already matches the IdP: nothing sent"
        : describeList(done, "nothing done"),
    actions,
  };
}

const doneAs: Record<ProvisioningLogEntry["action"], string> = {
  create: "created",
  adopt: "adopted",
  update: "updated",
  activate: "activated",
  deactivate: "deactivated",
  delete: "deleted",
  rename: "renamed",
  "add-member": "added to",
  "remove-member": "removed from",
  failure: "failed",
};

function describeAction(action: ProvisionAction & { action: ProvisioningLogEntry["action"] }): string {
  return action.kind === "MEMBER"
    ? `${doneAs[action.action]} ${action.name ?? action.object}`
    : `${action.kind.toLowerCase()} ${action.name ?? action.object} ${doneAs[action.action]}`;
}

function resultStep(
  failure: { errorCode: string; reason: string } | undefined,
  collected: ProvisioningLogEntry[],
  counts?: Record<string, number>,
): ProvisionStep {
  const summary = counts
    ? Object.entries(counts)
        .filter(([, count]) => count > 0)
        .map(([what, count]) => `${count} ${what}`)
        .join(", ")
    : "";
  if (failure)
    return {
      step: "result",
      result: "failed",
      detail: `${failure.errorCode}: ${failure.reason}${summary ? ` (${summary})` : ""}`,
    };
  return {
    step: "result",
    result: "ok",
    detail:
      collected.length === 0
        ? "in Kiro as the IdP says"
        : `in Kiro as the IdP says${summary ? ` (${summary})` : ""}`,
  };
}

const groupChanged = (source: IdentitySource, groupId: string) =>
  ({ type: "GroupChanged", detail: { source, groupId, trigger } }) as const;

function describeList(items: string[], empty: string): string {
  return items.length === 0 ? empty : items.join(", ");
}
