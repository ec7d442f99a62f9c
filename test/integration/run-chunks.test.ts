import { beforeEach, describe, expect, it } from "vitest";
import type { DynamoLedger } from "../../core/adapters/dynamo/dynamo-ledger";
import { SyncError } from "../../core/domain/errors";
import { GroupScope } from "../../core/domain/group-scope";
import type { SyncEvent } from "../../core/domain/sync-events";
import type { IdentityDirectory } from "../../core/ports/identity-directory";
import { executeRunChunk, startRun } from "../../core/use-cases/run-chunks";
import { reportGroupToRun } from "../../core/use-cases/run-progress";
import { freshLedger } from "../support/ledger-fixture";

let ledger: DynamoLedger;

/* Each test its own table: a run pages every group of the ledger, so one test's groups would be another's. */
beforeEach(async () => {
  ({ ledger } = await freshLedger());
});

function recordingBus() {
  const published: SyncEvent[] = [];
  return { published, publish: async (events: readonly SyncEvent[]) => void published.push(...events) };
}

const directoryOf = (groupIds: string[]): IdentityDirectory => ({
  getUser: async () => undefined,
  readUsers: async () => new Map(),
  listGroupMembers: async () => undefined,
  listGroupsOfUser: async () => undefined,
  listGroups: async () => groupIds.map((id) => ({ id, name: `Team ${id}` })),
});

async function seedUsers(count: number, prefix: string) {
  for (let index = 0; index < count; index++)
    await ledger.recordUserProfile(
      "okta",
      `${prefix}-${String(index).padStart(3, "0")}`,
      {
        externalId: `${prefix}-${index}`,
        userName: `${prefix}-${index}@example.com`,
        displayName: "Someone",
        givenName: "Some",
        familyName: "One",
        active: true,
      },
      "2026-01-01T00:00:00.000Z#seed",
    );
}

describe("runs in chunks", () => {
  it("does a redelivered chunk's work only once", async () => {
    // Prepare
    const bus = recordingBus();
    const deps = {
      ledger,
      bus,
      scope: new GroupScope(undefined),
      directories: { okta: directoryOf(["g-1", "g-2", "g-3"]) },
      chunkSize: 2,
    };
    await startRun(
      deps,
      {
        runId: "run-dup",
        kind: "reconcile",
        reason: "test",
        startedAt: new Date().toISOString(),
        managedUsers: 0,
      },
      ["okta"],
    );
    const first = bus.published.find((event) => event.type === "RunChunk")!;

    // Act
    const outcomes = [
      await executeRunChunk(first.detail as never, deps),
      await executeRunChunk(first.detail as never, deps),
    ];

    // Assess
    const triggered = bus.published.filter((event) => event.type === "GroupChanged");
    expect(outcomes).toEqual(["advanced", "duplicate"]);
    expect(triggered.map((event) => (event.detail as { groupId: string }).groupId).sort()).toEqual([
      "g-1",
      "g-2",
      "g-3",
    ]);
    expect(bus.published.filter((event) => event.type === "RunChunk")).toHaveLength(2);
  });

  it("walks a re-provisioning through every user page, resuming from the ledger's cursor", async () => {
    // Prepare
    const bus = recordingBus();
    await seedUsers(25, "reprov");
    const deps = {
      ledger,
      bus,
      scope: new GroupScope(undefined),
      directories: { okta: directoryOf([]) },
      chunkSize: 10,
    };
    await startRun(
      deps,
      {
        runId: "run-reprov",
        kind: "reprovision",
        reason: "test",
        startedAt: new Date().toISOString(),
        managedUsers: 25,
      },
      ["okta"],
    );

    // Act
    const outcomes: string[] = [];
    for (let delivered = 0; delivered < bus.published.length; delivered++) {
      const event = bus.published[delivered]!;
      if (event.type === "RunChunk") outcomes.push(await executeRunChunk(event.detail as never, deps));
    }

    // Assess
    const run = await ledger.getRun("run-reprov");
    expect(outcomes.at(-1)).toBe("finished");
    expect(outcomes.length).toBeGreaterThanOrEqual(4);
    expect(run).toMatchObject({ step: undefined, chunks: outcomes.length });
    expect(run!.items).toEqual({
      groups: { total: 0, done: 0, failed: 0, skipped: 0 },
      users: { total: 25, done: 0, failed: 0, skipped: 25 },
    });
    expect(await ledger.countByStatus("okta", "USER", "pending")).toBeGreaterThanOrEqual(25);
  });

  it("skips the phases of a source whose IdP refuses us and finishes the run for the other source and Kiro's audit", async () => {
    // Prepare
    const bus = recordingBus();
    const refusing: IdentityDirectory = {
      ...directoryOf([]),
      listGroups: async () => {
        throw new SyncError("IDP.AUTH", "Graph refused our credentials (401)", { retryable: false });
      },
    };
    const deps = {
      ledger,
      bus,
      scope: new GroupScope(undefined),
      directories: { okta: directoryOf(["g-ok-1"]), entra: refusing },
      chunkSize: 10,
    };
    await startRun(
      deps,
      {
        runId: "run-one-source-down",
        kind: "reconcile",
        reason: "test",
        startedAt: new Date().toISOString(),
        managedUsers: 0,
      },
      ["okta", "entra"],
    );

    // Act
    const outcomes: string[] = [];
    for (let delivered = 0; delivered < bus.published.length; delivered++) {
      const event = bus.published[delivered]!;
      if (event.type === "RunChunk") outcomes.push(await executeRunChunk(event.detail as never, deps));
      if (outcomes.at(-1) === "waiting")
        await reportGroupToRun((await ledger.getGroup("okta", "g-ok-1"))!, { state: "done" }, deps);
    }

    // Assess
    const run = await ledger.getRun("run-one-source-down");
    const phases = bus.published.flatMap((event) =>
      event.type === "RunChunk" ? [`${event.detail.step.phase}:${event.detail.step.source ?? "kiro"}`] : [],
    );
    expect(outcomes.slice(-2)).toEqual(["waiting", "finished"]);
    expect(run).toMatchObject({ step: undefined, error: undefined });
    expect(run!.skipped).toEqual([expect.stringContaining("entra skipped at discover: IDP.AUTH")]);
    expect(phases).toContain("groups:okta");
    expect(phases).not.toContain("groups:entra");
    expect(
      bus.published.some((event) => event.type === "GroupChanged" && event.detail.groupId === "g-ok-1"),
    ).toBe(true);
  });

  it("finishes a run whose group reports were lost by recounting the groups themselves when the sweep wakes it", async () => {
    // Prepare
    const bus = recordingBus();
    const deps = {
      ledger,
      bus,
      scope: new GroupScope(undefined),
      directories: { okta: directoryOf(["g-synced", "g-quarantined", "g-retrying"]) },
      chunkSize: 10,
    };
    await startRun(
      deps,
      {
        runId: "run-recount",
        kind: "reconcile",
        reason: "test",
        startedAt: new Date().toISOString(),
        managedUsers: 0,
      },
      ["okta"],
    );
    const outcomes: string[] = [];
    for (let delivered = 0; delivered < bus.published.length; delivered++) {
      const event = bus.published[delivered]!;
      if (event.type === "RunChunk") outcomes.push(await executeRunChunk(event.detail as never, deps));
    }
    const run = (await ledger.getRun("run-recount"))!;
    const synced = (await ledger.getGroup("okta", "g-synced"))!;
    await ledger.recordGroupRefreshed("okta", "g-synced", synced.refreshRequestedVersion!);
    await ledger.recordGroupSynced("okta", "g-synced", synced.dirtyVersion);
    const attempt = {
      attempt: 10,
      at: new Date().toISOString(),
      errorCode: "SCIM.SERVER_ERROR",
      reason: "Kiro SCIM 500",
    };
    await ledger.quarantineGroup("okta", "g-quarantined", attempt);
    await ledger.recordGroupRetry(
      "okta",
      "g-retrying",
      { ...attempt, attempt: 1 },
      new Date(Date.now() + 60_000).toISOString(),
    );
    const settle = { runId: run.runId, step: run.step!, attempt: 1 };

    // Act
    const whileRetrying = await executeRunChunk(settle, deps);
    const retried = (await ledger.getGroup("okta", "g-retrying"))!;
    await ledger.recordGroupRefreshed("okta", "g-retrying", retried.refreshRequestedVersion!);
    await ledger.recordGroupSynced("okta", "g-retrying", retried.dirtyVersion);
    const afterRetry = await executeRunChunk(settle, deps);

    // Assess
    expect(outcomes.at(-1)).toBe("waiting");
    expect(run.step).toEqual({ phase: "settle" });
    expect([whileRetrying, afterRetry]).toEqual(["waiting", "finished"]);
    const finished = await ledger.getRun("run-recount");
    expect(finished?.items.groups).toEqual({ total: 3, done: 2, failed: 1, skipped: 0 });
    expect(finished?.failedItems).toEqual([
      expect.objectContaining({
        id: "g-quarantined",
        name: "Team g-quarantined",
        errorCode: "SCIM.SERVER_ERROR",
      }),
    ]);
  });
});
