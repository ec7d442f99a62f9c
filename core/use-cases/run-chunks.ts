import { forEachLimited } from "../domain/concurrency";
import { SyncError } from "../domain/errors";
import type { GroupScope } from "../domain/group-scope";
import { changeVersion, type IdentitySource } from "../domain/identity-source";
import type { RunChunk } from "../domain/sync-events";
import type { EventBus } from "../ports/event-bus";
import type { GroupRecords } from "../ports/group-records";
import type { GroupSyncState } from "../ports/group-sync-state";
import type { IdentityDirectory } from "../ports/identity-directory";
import type { KiroScimPort, ScimPage, ScimUser } from "../ports/kiro-scim";
import type {
  DriftReport,
  NewRun,
  RunKind,
  RunRecord,
  RunStep,
  UnmanagedReport,
} from "../ports/ledger-records";
import type { MembershipRecords } from "../ports/membership-records";
import type { RunRecords } from "../ports/run-records";
import type { StatusQueries } from "../ports/status-queries";
import type { SyncControl } from "../ports/sync-control";
import type { UserRecords } from "../ports/user-records";
import { pushChangedUsers, type RemovalPolicy } from "./group-sync/ensure-users";
import { emptyDriftReport, repairKiroDrift } from "./repair-kiro-drift";
import { readUsersConfirmed, recordUserRereads } from "./reread-users";
import { reconcileVersion, settleRun } from "./run-progress";

/** The records a reconcile or re-provisioning run reads and writes, chunk by chunk. */
export type RunLedger = GroupRecords &
  GroupSyncState &
  MembershipRecords &
  RunRecords &
  StatusQueries &
  UserRecords;

export interface RunChunkDependencies {
  /** A reconcile's discovery also keeps which SYNC_GROUPS entries matched none of the source's groups. */
  ledger: RunLedger & Pick<SyncControl, "recordScopeCheck">;
  bus: EventBus;
  scope: GroupScope;
  directories: Partial<Record<IdentitySource, IdentityDirectory>>;
  /** Needed by a reconcile's user re-read (pushes) and audit of Kiro; re-provisioning never reads Kiro. */
  scim?: KiroScimPort | undefined;
  /** What a reconcile's user re-read does in Kiro to a user the IdP deleted. */
  removalPolicy?: RemovalPolicy | undefined;
  now?: () => Date;
  /** Ledger ids per chunk; SCIM pages per audit chunk are a tenth of it (100 objects a page). */
  chunkSize: number;
}

/** `waiting`: the run's settle step found group syncs it queued still unsettled; their reports wake it again. */
export type RunChunkOutcome = "advanced" | "finished" | "waiting" | "duplicate" | "missing";

const phasesPerSource: Record<RunKind, RunStep["phase"][]> = {
  reconcile: ["discover", "groups", "users"],
  reprovision: ["users", "groups"],
};
const auditPhases: RunStep["phase"][] = ["audit-groups", "audit-users"];
/** The phases that queue the run's items: once the run is past the last of them, its total is final. */
const planningPhases: Record<RunKind, RunStep["phase"][]> = {
  reconcile: ["discover", "groups"],
  reprovision: ["users", "groups"],
};
const maxUnmanagedExamples = 10;
/**
 * Forgetting a group also rewrites each of its memberships, so a re-provisioning chunk takes
 * `chunkSize / 50` groups: about as many writes as a chunk of users, whatever the group sizes.
 */
const groupsPerChunkDivisor = 50;

/** Starts a run: the record first (so its progress is visible at once), then its first chunk. */
export async function startRun(
  deps: {
    ledger: RunLedger;
    bus: EventBus;
  },
  run: Omit<NewRun, "step">,
  sources: readonly IdentitySource[],
): Promise<RunStep | undefined> {
  const step = stepAfter(run.kind, sources, undefined);
  if (!step) return undefined;
  await deps.ledger.startRun({ ...run, step });
  await deps.bus.publish([{ type: "RunChunk", detail: { runId: run.runId, step } }]);
  return step;
}

/**
 * One chunk of a run, small enough for any Lambda timeout: does the chunk's work, moves the run's
 * cursor in the ledger (conditional on it still being where this chunk started, so a redelivered
 * event does nothing twice), then publishes the next chunk. A crash before the move means the
 * chunk is delivered again and redone; its work is idempotent.
 */
export async function executeRunChunk(chunk: RunChunk, deps: RunChunkDependencies): Promise<RunChunkOutcome> {
  const run = await deps.ledger.getRun(chunk.runId);
  if (!run) return "missing";
  if (!run.step || !sameStep(run.step, chunk.step)) return "duplicate";
  if (chunk.step.phase === "settle") return settleRun(run, chunk.step, deps);
  const sources = Object.keys(deps.directories) as IdentitySource[];
  const skipped = { source: undefined as IdentitySource | undefined, reason: "" };
  const done = await chunkWork(run, chunk.step, deps).catch((error: unknown) => {
    if (!chunk.step.source || !sourceGivenUp(error, chunk.attempt)) throw error;
    skipped.source = chunk.step.source;
    skipped.reason = `${chunk.step.source} skipped at ${chunk.step.phase}: ${(error as SyncError).code} ${(error as SyncError).message}`;
    return { cursor: undefined } as ChunkDone;
  });
  const next = skipped.source
    ? stepAfterSource(run.kind, sources, skipped.source)
    : done.cursor === undefined
      ? stepAfter(run.kind, sources, chunk.step)
      : { ...chunk.step, cursor: done.cursor };
  const moved = await deps.ledger.advanceRun(run.runId, chunk.step, {
    next,
    queued: done.queued,
    plannedGroups: planCompleteAt(run, sources, next)
      ? (await deps.ledger.listRunItems(run.runId)).filter((item) => item.kind === "GROUP").length
      : undefined,
    unmanaged: done.unmanaged,
    drift: done.drift,
    skipped: skipped.source ? skipped.reason : undefined,
  });
  if (!moved) return "duplicate";
  if (!next) return "finished";
  await deps.bus.publish([{ type: "RunChunk", detail: { runId: run.runId, step: next } }]);
  return "advanced";
}

/**
 * One source failing must not stop the run for the others (nor its Kiro audit): an IdP that refuses
 * us (not retryable) or still fails on the third delivery of a chunk has its remaining phases
 * skipped, the reason kept on the run; the next run tries it again.
 */
function sourceGivenUp(error: unknown, attempt: number): boolean {
  if (!(error instanceof SyncError) || !/^(IDP|CONFIG)\./.test(error.code)) return false;
  return !error.retryable || attempt >= sourceAttempts;
}
const sourceAttempts = 3;

/** The first step of the next source (or the audit) after every phase of `source`. */
function stepAfterSource(kind: RunKind, sources: readonly IdentitySource[], source: IdentitySource) {
  const phases = phasesPerSource[kind];
  return stepAfter(kind, sources, { phase: phases[phases.length - 1]!, source });
}

/**
 * Where a run goes after `step`: the next phase of the same source, then the next source, then the
 * audit, and last the settle step, where it waits for the group syncs it queued.
 */
function stepAfter(
  kind: RunKind,
  sources: readonly IdentitySource[],
  step: RunStep | undefined,
): RunStep | undefined {
  const sequence = runSequence(kind, sources);
  if (!step) return sequence[0];
  const index = sequence.findIndex((entry) => entry.phase === step.phase && entry.source === step.source);
  return sequence[index + 1];
}

function runSequence(kind: RunKind, sources: readonly IdentitySource[]): RunStep[] {
  const sequence: RunStep[] = sources.flatMap((source) =>
    phasesPerSource[kind].map((phase) => ({ phase, source })),
  );
  if (kind === "reconcile") sequence.push(...auditPhases.map((phase) => ({ phase })));
  sequence.push({ phase: "settle" });
  return sequence;
}

/** Whether moving to `next` leaves the last phase that queues items: the run's total is final from then on. */
function planCompleteAt(
  run: RunRecord,
  sources: readonly IdentitySource[],
  next: RunStep | undefined,
): boolean {
  if (run.planned) return false;
  const sequence = runSequence(run.kind, sources);
  const from = next
    ? sequence.findIndex((entry) => entry.phase === next.phase && entry.source === next.source)
    : -1;
  const rest = from < 0 ? [] : sequence.slice(from);
  return !rest.some((entry) => planningPhases[run.kind].includes(entry.phase));
}

interface ChunkDone {
  /** Items this chunk queued that were new to the run. */
  queued?: { groups?: number; users?: number } | undefined;
  /** Undefined: the phase is complete. */
  cursor: string | undefined;
  unmanaged?: UnmanagedReport | undefined;
  drift?: DriftReport | undefined;
}

async function chunkWork(run: RunRecord, step: RunStep, deps: RunChunkDependencies): Promise<ChunkDone> {
  const source = step.source;
  switch (step.phase) {
    case "discover":
      return discoverIdpGroups(run, requireSource(source), deps);
    case "groups":
      return run.kind === "reconcile"
        ? refreshLedgerGroups(run, step, requireSource(source), deps)
        : invalidateGroupPage(run, step, requireSource(source), deps);
    case "users": {
      if (run.kind === "reconcile") return rereadUserPage(run, step, requireSource(source), deps);
      const page = await deps.ledger.pageIds(requireSource(source), "USER", {
        after: step.cursor,
        limit: deps.chunkSize,
      });
      const users = await deps.ledger.invalidateUsers(requireSource(source), page.ids, run.runId);
      return { queued: { users }, cursor: page.last };
    }
    case "audit-groups":
      return auditKiro(run, step, deps, "group");
    case "audit-users":
      return auditKiro(run, step, deps, "user");
    case "settle":
      throw new Error("the settle step is not a chunk of work");
  }
}

function requireSource(source: IdentitySource | undefined): IdentitySource {
  if (!source) throw new Error("this run phase needs a source");
  return source;
}

/**
 * In-scope groups the IdP has. The IdP's group list is read whole (Okta: 200 a page, so 10k groups
 * is 50 calls); groups the ledger never saw are created by the refresh request, and a group that
 * came back into scope after leaving it is restored first. The same list says which SYNC_GROUPS
 * entries select nothing in this source, kept for `/status` health (hourly in AWS).
 */
async function discoverIdpGroups(
  run: RunRecord,
  source: IdentitySource,
  deps: RunChunkDependencies,
): Promise<ChunkDone> {
  const directory = deps.directories[source];
  if (!directory) return { cursor: undefined };
  const idpGroups = await directory.listGroups();
  await deps.ledger.recordScopeCheck(source, deps.scope.unmatchedEntries(idpGroups));
  const inScope = idpGroups.filter((group) => deps.scope.includes(group));
  const known = await deps.ledger.getGroups(
    source,
    inScope.map((group) => group.id),
  );
  const groups = await requestRefreshes(deps, source, run, inScope, known);
  return { queued: { groups }, cursor: undefined };
}

/** The ledger's own groups, a page at a time: each is re-read by the worker and diffed. */
async function refreshLedgerGroups(
  run: RunRecord,
  step: RunStep,
  source: IdentitySource,
  deps: RunChunkDependencies,
): Promise<ChunkDone> {
  const page = await deps.ledger.pageIds(source, "GROUP", { after: step.cursor, limit: deps.chunkSize });
  const records = await deps.ledger.getGroups(source, page.ids);
  const live = page.ids.flatMap((id) => {
    const record = records.get(id);
    return record?.deleted === false ? [{ id, name: record.name }] : [];
  });
  const groups = await requestRefreshes(deps, source, run, live, records);
  return { queued: { groups }, cursor: page.last };
}

/**
 * A page of the ledger's users, re-read from the IdP in its batches and compared with what the
 * ledger last recorded: the changes (profile, status, deletion) are recorded and pushed to Kiro at
 * once, so a change whose event was lost is repaired by the next reconcile, even for a user who is
 * in no group any more. Users already deleted are not read again (Okta never restores one; an Entra
 * user restored from deletedItems comes back through users/delta). Users still waiting for a change already recorded (the Entra delta round
 * learnt it) are pushed too. Unchanged users cost reads only. Costs ⌈users/15⌉ Graph or ⌈users/20⌉
 * Okta reads, plus one per user a batch did not return.
 */
async function rereadUserPage(
  run: RunRecord,
  step: RunStep,
  source: IdentitySource,
  deps: RunChunkDependencies,
): Promise<ChunkDone> {
  const page = await deps.ledger.pageIds(source, "USER", { after: step.cursor, limit: deps.chunkSize });
  const directory = deps.directories[source];
  if (!directory || page.ids.length === 0) return { cursor: page.last };
  const known = await deps.ledger.getUsers(source, page.ids);
  const readable = [...known.values()].filter(
    (user) => (user.profile !== undefined || user.scimId) && user.lifecycle !== "deleted",
  );
  const read = await readUsersConfirmed(
    directory,
    readable.map((user) => user.idpId),
  );
  const version = changeVersion((deps.now ?? (() => new Date()))(), `reread-${run.runId}`);
  const reread = await recordUserRereads(deps.ledger, source, known, read, version);
  const waiting = readable
    .filter((user) => user.scimId && user.status === "pending")
    .map((user) => user.idpId);
  if (deps.scim)
    await pushChangedUsers(source, [...new Set([...reread.changed, ...reread.deleted, ...waiting])], {
      ledger: deps.ledger,
      scim: deps.scim,
      directory,
      removalPolicy: deps.removalPolicy ?? "deactivate",
    });
  const creations = new Set<string>();
  for (const userId of reread.changed.filter((id) => !known.get(id)?.scimId))
    for (const groupId of await deps.ledger.listGroupIdsOfUser(source, userId)) creations.add(groupId);
  if (creations.size > 0) await deps.ledger.markGroupsDirty(source, [...creations]);
  const groups = new Set([...reread.groupsTouched, ...creations]);
  await deps.bus.publish(
    [...groups].map((groupId) => ({ type: "GroupChanged", detail: { source, groupId } })),
  );
  return { cursor: page.last };
}

/**
 * Queues each group under the run (once: the IdP's list and the ledger's pages overlap, and a
 * redelivered chunk comes again) before asking for its re-read, so no sync can settle a group
 * the run does not know it waits for. The request carries the run, so the pass that settles the
 * group reports back. Answers how many groups were new to the run.
 */
async function requestRefreshes(
  deps: RunChunkDependencies,
  source: IdentitySource,
  run: RunRecord,
  groups: readonly { id: string; name?: string | undefined }[],
  known: ReadonlyMap<string, { deleted: boolean }>,
): Promise<number> {
  const version = reconcileVersion(run);
  const queued = await deps.ledger.queueRunItems(
    run.runId,
    groups.map((group) => ({ source, kind: "GROUP", id: group.id, name: group.name })),
  );
  const triggered: string[] = [];
  await forEachLimited(groups, 16, async ({ id: groupId }) => {
    if (known.get(groupId)?.deleted) await deps.ledger.recordGroupRestored(source, groupId, version);
    if (await deps.ledger.requestGroupRefresh(source, groupId, version, run.runId, run.runId))
      triggered.push(groupId);
  });
  await deps.bus.publish(
    triggered.map((groupId) => ({
      type: "GroupChanged",
      detail: { source, groupId, trigger: `run:${run.runId}` },
    })),
  );
  return queued;
}

/**
 * A page of groups forgotten and triggered again. Groups the IdP deleted are not queued (no pass
 * re-creates them); the rest are queued under the run before they are forgotten, and the run
 * waits to hear back from each.
 */
async function invalidateGroupPage(
  run: RunRecord,
  step: RunStep,
  source: IdentitySource,
  deps: RunChunkDependencies,
): Promise<ChunkDone> {
  const limit = Math.max(1, Math.ceil(deps.chunkSize / groupsPerChunkDivisor));
  const page = await deps.ledger.pageIds(source, "GROUP", { after: step.cursor, limit });
  const records = await deps.ledger.getGroups(source, page.ids);
  const live = page.ids.flatMap((id) => {
    const record = records.get(id);
    return record && !record.deleted ? [{ source, kind: "GROUP" as const, id, name: record.name }] : [];
  });
  const groups = await deps.ledger.queueRunItems(run.runId, live);
  const invalidated = await deps.ledger.invalidateGroups(source, page.ids, run.runId);
  await deps.bus.publish(
    invalidated.groups.map((groupId) => ({
      type: "GroupChanged",
      detail: { source, groupId, trigger: `run:${run.runId}` },
    })),
  );
  return { queued: { groups }, cursor: page.last };
}

/**
 * Walks Kiro's users or groups (reads only, 100 a page) and counts those this service does not
 * manage: no ledger entry maps that Kiro id (an object whose externalId the ledger knows but has no
 * Kiro id for yet is being created by a worker right now, and counts as ours). They are reported,
 * never changed (a deep run only takes such a user out of a group this service manages). Costs ⌈users/100⌉ + ⌈groups/100⌉ GETs per reconcile run; a deep run also reads
 * each user's groups and repairs drift (see repair-kiro-drift.ts), a page of 100 users a chunk.
 */
async function auditKiro(
  run: RunRecord,
  step: RunStep,
  deps: RunChunkDependencies,
  kind: "user" | "group",
): Promise<ChunkDone> {
  const { scim } = deps;
  const unmanaged: UnmanagedReport = run.unmanaged ?? { users: 0, groups: 0, examples: [] };
  if (!scim) return { cursor: undefined, unmanaged };
  const sources = Object.keys(deps.directories) as IdentitySource[];
  const deep = run.deep === true && kind === "user";
  const drift = deep ? (run.drift ?? emptyDriftReport()) : undefined;
  const pages = deep ? 1 : Math.max(1, Math.ceil(deps.chunkSize / 100));
  let cursor: string | undefined = step.cursor ?? "";
  for (let read = 0; read < pages && cursor !== undefined; read++) {
    const page: ScimPage<{
      id: string;
      externalId?: string | undefined;
      userName?: string;
      displayName?: string | undefined;
    }> = kind === "user" ? await scim.listUsers(cursor) : await scim.listGroups(cursor);
    const mapped = new Set<string>();
    const externalIds = page.items.flatMap((item) => (item.externalId ? [item.externalId] : []));
    for (const source of sources) {
      const records =
        kind === "user"
          ? await deps.ledger.getUsers(source, externalIds)
          : await deps.ledger.getGroups(source, externalIds);
      for (const record of records.values()) mapped.add(record.scimId ?? `creating:${record.idpId}`);
    }
    const managed = (item: { id: string; externalId?: string | undefined }) =>
      mapped.has(item.id) || (item.externalId !== undefined && mapped.has(`creating:${item.externalId}`));
    for (const item of page.items.filter((entry) => !managed(entry))) {
      if (kind === "user") unmanaged.users += 1;
      else unmanaged.groups += 1;
      if (unmanaged.examples.length < maxUnmanagedExamples)
        unmanaged.examples.push(`${kind}:${item.userName ?? item.displayName ?? "?"} (${item.id})`);
    }
    if (drift)
      await repairKiroDrift(
        page.items as ScimUser[],
        run.runId,
        { ...deps, scim, removalPolicy: deps.removalPolicy ?? "deactivate" },
        drift,
      );
    cursor = page.nextCursor;
  }
  return { cursor, unmanaged, drift };
}

function sameStep(a: RunStep, b: RunStep): boolean {
  return a.phase === b.phase && a.source === b.source && (a.cursor ?? "") === (b.cursor ?? "");
}
