import { beforeAll, describe, expect, it } from "vitest";
import type { HeldRemovals, NewRun } from "../../core/ports/ledger-records";
import { type ContractLedger, clock, ledgersUnderTest, unique } from "./ledger-implementations";

describe.each(ledgersUnderTest)("RunRecords contract: $name", ({ fresh }) => {
  let ledger: ContractLedger;

  beforeAll(async () => {
    ledger = await fresh();
  });

  const newRun = (changes: Partial<NewRun> = {}): NewRun => ({
    runId: unique("run"),
    kind: "reconcile",
    reason: "nightly",
    startedAt: "2026-02-01T10:00:00.000Z",
    managedUsers: 40,
    step: { phase: "groups", source: "okta" },
    ...changes,
  });

  const none = { total: 0, done: 0, failed: 0, skipped: 0 };

  const held = (runId: string, groupId: string, changes: Partial<HeldRemovals> = {}): HeldRemovals => ({
    runId,
    source: "okta",
    groupId,
    userIds: ["u-1", "u-2"],
    reason: "more than 10% of managed users",
    heldAt: "2026-02-01T10:00:00.000Z",
    ...changes,
  });

  describe("starting", () => {
    it("starts a run at its first step with nothing counted yet", async () => {
      // Prepare
      const run = newRun({ kind: "reprovision", deep: true, step: { phase: "discover", cursor: "c-0" } });

      // Act
      await ledger.startRun(run);

      // Assess
      expect(await ledger.getRun(run.runId)).toEqual({
        runId: run.runId,
        kind: "reprovision",
        reason: "nightly",
        startedAt: "2026-02-01T10:00:00.000Z",
        managedUsers: 40,
        deep: true,
        step: { phase: "discover", cursor: "c-0" },
        removals: 0,
        chunks: 0,
        items: { groups: none, users: none },
        planned: false,
        updatedAt: "2026-02-01T10:00:00.000Z",
      });
    });

    it("refuses to start a run id twice, leaving the first run as it was", async () => {
      // Prepare
      const run = newRun();
      await ledger.startRun(run);

      // Act
      const second = ledger.startRun({ ...run, reason: "again", managedUsers: 99 });

      // Assess
      await expect(second).rejects.toMatchObject({ name: "ConditionalCheckFailedException" });
      expect(await ledger.getRun(run.runId)).toMatchObject({ reason: "nightly", managedUsers: 40 });
    });

    it("answers undefined for a run that was never started", async () => {
      // Act
      const run = await ledger.getRun(unique("run"));

      // Assess
      expect(run).toBeUndefined();
    });
  });

  describe("advancing", () => {
    it("advances a run from the step its chunk started at, counting the chunk, the items it queued and its findings", async () => {
      // Prepare
      const run = newRun();
      await ledger.startRun(run);
      const t1 = clock.set("2026-02-01T10:01:00.000Z");
      const unmanaged = { users: 2, groups: 1, examples: ["user:stray (k-1)"] };
      const drift = {
        users: 1,
        missingMemberships: 2,
        extraMemberships: 0,
        strangersRemoved: 0,
        examples: [],
      };

      // Act
      const first = await ledger.advanceRun(run.runId, run.step, {
        next: { phase: "groups", source: "okta", cursor: "g-9" },
        queued: { groups: 5 },
        unmanaged,
        drift,
        skipped: "entra: Graph refused the credentials",
      });
      const second = await ledger.advanceRun(
        run.runId,
        { phase: "groups", source: "okta", cursor: "g-9" },
        {
          next: { phase: "users", source: "okta" },
          queued: { groups: 3, users: 7 },
          skipped: "okta: timed out",
        },
      );

      // Assess
      expect([first, second]).toEqual([true, true]);
      expect(await ledger.getRun(run.runId)).toEqual({
        ...run,
        step: { phase: "users", source: "okta" },
        removals: 0,
        chunks: 2,
        items: { groups: { ...none, total: 8 }, users: { ...none, total: 7 } },
        planned: false,
        updatedAt: t1,
        unmanaged,
        drift,
        skipped: ["entra: Graph refused the credentials", "okta: timed out"],
      });
    });

    it("does nothing for a redelivered chunk whose step the run has moved past", async () => {
      // Prepare
      const run = newRun();
      await ledger.startRun(run);
      const t1 = clock.set("2026-02-01T10:01:00.000Z");
      await ledger.advanceRun(run.runId, run.step, {
        next: { phase: "users", source: "okta" },
        queued: { groups: 5 },
      });
      clock.advance(60_000);

      // Act
      const redelivered = await ledger.advanceRun(run.runId, run.step, {
        next: { phase: "users", source: "okta" },
        queued: { groups: 5 },
      });

      // Assess
      expect(redelivered).toBe(false);
      expect(await ledger.getRun(run.runId)).toMatchObject({
        step: { phase: "users", source: "okta" },
        chunks: 1,
        items: { groups: { ...none, total: 5 }, users: none },
        updatedAt: t1,
      });
    });

    it("tells steps apart by cursor, so a chunk of another page does not advance the run", async () => {
      // Prepare
      const run = newRun({ step: { phase: "audit-users", cursor: "page-2" } });
      await ledger.startRun(run);

      // Act
      const otherPage = await ledger.advanceRun(
        run.runId,
        { phase: "audit-users", cursor: "page-1" },
        { next: undefined },
      );

      // Assess
      expect(otherPage).toBe(false);
      expect((await ledger.getRun(run.runId))?.step).toEqual({ phase: "audit-users", cursor: "page-2" });
    });

    it("finishes a run when a chunk has no next step, after which nothing advances it", async () => {
      // Prepare
      const run = newRun();
      await ledger.startRun(run);
      const t1 = clock.set("2026-02-01T10:05:00.000Z");

      const tally = {
        items: {
          groups: { total: 4, done: 2, failed: 1, skipped: 1 },
          users: { total: 3, done: 2, failed: 1, skipped: 0 },
        },
        failedItems: [
          {
            source: "okta" as const,
            kind: "GROUP" as const,
            id: "g-1",
            name: "Ops",
            state: "failed" as const,
            reason: "refused",
          },
          {
            source: "okta" as const,
            kind: "USER" as const,
            id: "u-1",
            state: "failed" as const,
            errorCode: "USER.INVALID_PROFILE",
          },
        ],
      };

      // Act
      const finished = await ledger.advanceRun(run.runId, run.step, { next: undefined, tally });
      const afterFinish = await ledger.advanceRun(run.runId, run.step, { next: undefined, tally });

      // Assess
      expect([finished, afterFinish]).toEqual([true, false]);
      const record = await ledger.getRun(run.runId);
      expect(record).toMatchObject({ finishedAt: t1, updatedAt: t1, chunks: 1, planned: true, ...tally });
      expect(record?.step).toBeUndefined();
    });

    it("refuses to advance a run that was never started", async () => {
      // Prepare
      const runId = unique("run");

      // Act
      const advanced = await ledger.advanceRun(runId, { phase: "groups" }, { next: undefined });

      // Assess
      expect(advanced).toBe(false);
      expect(await ledger.getRun(runId)).toBeUndefined();
    });
  });

  describe("the plan and its items", () => {
    const group = (id: string, name?: string) => ({
      source: "okta" as const,
      kind: "GROUP" as const,
      id,
      name,
    });

    it("fixes the groups' total when the plan is complete, whatever the chunks counted before", async () => {
      // Prepare
      const run = newRun();
      await ledger.startRun(run);
      await ledger.advanceRun(run.runId, run.step, {
        next: { phase: "groups", source: "okta", cursor: "g-5" },
        queued: { groups: 5 },
      });

      // Act
      await ledger.advanceRun(
        run.runId,
        { phase: "groups", source: "okta", cursor: "g-5" },
        { next: { phase: "users", source: "okta" }, plannedGroups: 7, queued: { groups: 2 } },
      );

      // Assess
      expect(await ledger.getRun(run.runId)).toMatchObject({
        planned: true,
        items: { groups: { ...none, total: 7 }, users: none },
      });
    });

    it("queues each item once, so a redelivered chunk or an overlapping page adds nothing", async () => {
      // Prepare
      const run = newRun();
      await ledger.startRun(run);
      await ledger.queueRunItems(run.runId, [group("g-2", "Ops"), group("g-1")]);
      await ledger.settleRunItems(run.runId, [{ ...group("g-1"), state: "done" }]);

      // Act
      const again = await ledger.queueRunItems(run.runId, [
        group("g-1"),
        group("g-2", "Renamed"),
        group("g-3"),
      ]);

      // Assess
      expect(again).toBe(1);
      expect(await ledger.listRunItems(run.runId)).toEqual([
        { ...group("g-1"), state: "done", settledAt: expect.any(String) },
        { ...group("g-2", "Ops"), state: "queued" },
        { ...group("g-3"), state: "queued" },
      ]);
    });

    it("settles each item once and counts only the ones that moved, answering the run as it stands", async () => {
      // Prepare
      const run = newRun();
      await ledger.startRun(run);
      await ledger.queueRunItems(run.runId, [group("g-1"), group("g-2"), group("g-3")]);
      const t1 = clock.set("2026-02-01T10:09:00.000Z");

      // Act
      const first = await ledger.settleRunItems(run.runId, [
        { ...group("g-1"), state: "done" },
        { ...group("g-2"), state: "failed", reason: "Kiro refused the name", errorCode: "SCIM.INVALID" },
      ]);
      const redelivered = await ledger.settleRunItems(run.runId, [
        { ...group("g-1"), state: "failed", reason: "late" },
        { ...group("g-2"), state: "done" },
      ]);
      const unknown = await ledger.settleRunItems(run.runId, [{ ...group("g-9"), state: "done" }]);

      // Assess
      expect(first).toMatchObject({
        updatedAt: t1,
        items: { groups: { total: 0, done: 1, failed: 1, skipped: 0 }, users: none },
      });
      expect([redelivered, unknown]).toEqual([undefined, undefined]);
      expect(await ledger.listRunItems(run.runId)).toEqual([
        { ...group("g-1"), state: "done", settledAt: t1 },
        {
          ...group("g-2"),
          state: "failed",
          reason: "Kiro refused the name",
          errorCode: "SCIM.INVALID",
          settledAt: t1,
        },
        { ...group("g-3"), state: "queued" },
      ]);
    });

    it("settles an item of a run that is gone without counting it anywhere", async () => {
      // Prepare
      const runId = unique("run");
      await ledger.queueRunItems(runId, [group("g-1")]);

      // Act
      const settled = await ledger.settleRunItems(runId, [{ ...group("g-1"), state: "skipped" }]);

      // Assess
      expect(settled).toBeUndefined();
      expect(await ledger.getRun(runId)).toBeUndefined();
      expect((await ledger.listRunItems(runId)).map((item) => item.state)).toEqual(["skipped"]);
    });

    it("lists a run's items apart from its held removals and from other runs' items", async () => {
      // Prepare
      const run = newRun();
      const other = newRun();
      await ledger.startRun(run);
      await ledger.startRun(other);
      await ledger.holdRemovals(held(run.runId, "g-1"));
      await ledger.queueRunItems(run.runId, [{ ...group("g-1"), source: "entra" }, group("g-1")]);
      await ledger.queueRunItems(other.runId, [group("g-2")]);

      // Act
      const items = await ledger.listRunItems(run.runId);

      // Assess
      expect(items).toEqual([
        { ...group("g-1"), source: "entra", state: "queued" },
        { ...group("g-1"), state: "queued" },
      ]);
    });
  });

  describe("removals and failure", () => {
    it("adds up a run's proposed removals and answers them with its managed users", async () => {
      // Prepare
      const run = newRun();
      await ledger.startRun(run);

      // Act
      const first = await ledger.countRunRemovals(run.runId, 3);
      const second = await ledger.countRunRemovals(run.runId, 4);

      // Assess
      expect([first, second]).toEqual([
        { total: 3, managedUsers: 40 },
        { total: 7, managedUsers: 40 },
      ]);
      expect((await ledger.getRun(run.runId))?.removals).toBe(7);
    });

    it("rejects counting removals for, or failing, a run that was never started", async () => {
      // Prepare
      const runId = unique("run");

      // Act
      const [counting, failing] = await Promise.allSettled([
        ledger.countRunRemovals(runId, 1),
        ledger.failRun(runId, "boom"),
      ]);

      // Assess
      expect(counting).toMatchObject({
        status: "rejected",
        reason: { name: "ConditionalCheckFailedException" },
      });
      expect(failing).toMatchObject({
        status: "rejected",
        reason: { name: "ConditionalCheckFailedException" },
      });
      expect(await ledger.getRun(runId)).toBeUndefined();
    });

    it("fails a run with the reason, cut to 1000 characters, leaving its step in place", async () => {
      // Prepare
      const run = newRun();
      await ledger.startRun(run);
      const t1 = clock.set("2026-02-01T10:07:00.000Z");

      // Act
      await ledger.failRun(run.runId, `SCIM.HTTP_500: ${"x".repeat(1200)}`);

      // Assess
      const record = await ledger.getRun(run.runId);
      expect(record).toMatchObject({ step: run.step, updatedAt: t1 });
      expect(record?.error).toBe(`SCIM.HTTP_500: ${"x".repeat(1200)}`.slice(0, 1000));
      expect(record?.finishedAt).toBeUndefined();
    });
  });

  describe("listing", () => {
    it("lists runs newest first, up to the limit", async () => {
      // Prepare
      const own = await fresh();
      const runs = ["2026-02-02T00:00:00.000Z", "2026-02-03T00:00:00.000Z", "2026-02-01T00:00:00.000Z"].map(
        (startedAt) => newRun({ startedAt }),
      );
      for (const run of runs) await own.startRun(run);

      // Act
      const newestTwo = await own.listRuns(2);

      // Assess
      expect(newestTwo.map((run) => run.startedAt)).toEqual([
        "2026-02-03T00:00:00.000Z",
        "2026-02-02T00:00:00.000Z",
      ]);
      expect(newestTwo[0]).toEqual(await own.getRun(runs[1]!.runId));
    });
  });

  describe("held removals", () => {
    it("holds removals per run, source and group, a newer hold replacing the last", async () => {
      // Prepare
      const own = await fresh();
      await own.holdRemovals(held("run-1", "g-1"));
      await own.holdRemovals(held("run-1", "g-2", { source: "entra", heldAt: "2026-02-01T10:02:00.000Z" }));
      await own.holdRemovals(held("run-2", "g-1", { heldAt: "2026-02-01T10:01:00.000Z" }));

      // Act
      await own.holdRemovals(held("run-1", "g-1", { userIds: ["u-9"], heldAt: "2026-02-01T10:03:00.000Z" }));

      // Assess
      const listed = await own.listHeldRemovals();
      expect(listed.sort((a, b) => a.heldAt.localeCompare(b.heldAt))).toEqual([
        held("run-2", "g-1", { heldAt: "2026-02-01T10:01:00.000Z" }),
        held("run-1", "g-2", { source: "entra", heldAt: "2026-02-01T10:02:00.000Z" }),
        held("run-1", "g-1", { userIds: ["u-9"], heldAt: "2026-02-01T10:03:00.000Z" }),
      ]);
    });

    it("takes a run's held removals, in source and group order, and deletes them", async () => {
      // Prepare
      const own = await fresh();
      await own.holdRemovals(held("run-1", "g-2"));
      await own.holdRemovals(held("run-1", "g-1"));
      await own.holdRemovals(held("run-1", "g-3", { source: "entra" }));
      await own.holdRemovals(held("run-2", "g-1"));

      // Act
      const taken = await own.takeHeldRemovals("run-1");
      const takenAgain = await own.takeHeldRemovals("run-1");

      // Assess
      expect(taken).toEqual([
        held("run-1", "g-3", { source: "entra" }),
        held("run-1", "g-1"),
        held("run-1", "g-2"),
      ]);
      expect(takenAgain).toEqual([]);
      expect(await own.listHeldRemovals()).toEqual([held("run-2", "g-1")]);
    });
  });
});
