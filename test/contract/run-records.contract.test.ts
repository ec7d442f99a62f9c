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
    total: 12,
    step: { phase: "groups", source: "okta" },
    ...changes,
  });

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
        total: 12,
        deep: true,
        step: { phase: "discover", cursor: "c-0" },
        removals: 0,
        chunks: 0,
        itemsDone: 0,
        updatedAt: "2026-02-01T10:00:00.000Z",
      });
    });

    it("refuses to start a run id twice, leaving the first run as it was", async () => {
      // Prepare
      const run = newRun();
      await ledger.startRun(run);

      // Act
      const second = ledger.startRun({ ...run, reason: "again", total: 99 });

      // Assess
      await expect(second).rejects.toMatchObject({ name: "ConditionalCheckFailedException" });
      expect(await ledger.getRun(run.runId)).toMatchObject({ reason: "nightly", total: 12 });
    });

    it("answers undefined for a run that was never started", async () => {
      // Act
      const run = await ledger.getRun(unique("run"));

      // Assess
      expect(run).toBeUndefined();
    });
  });

  describe("advancing", () => {
    it("advances a run from the step its chunk started at, counting the chunk, its items and its findings", async () => {
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
        itemsDone: 5,
        unmanaged,
        drift,
        skipped: "entra: Graph refused the credentials",
      });
      const second = await ledger.advanceRun(
        run.runId,
        { phase: "groups", source: "okta", cursor: "g-9" },
        { next: { phase: "users", source: "okta" }, itemsDone: 3, skipped: "okta: timed out" },
      );

      // Assess
      expect([first, second]).toEqual([true, true]);
      expect(await ledger.getRun(run.runId)).toEqual({
        ...run,
        step: { phase: "users", source: "okta" },
        removals: 0,
        chunks: 2,
        itemsDone: 8,
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
        itemsDone: 5,
      });
      clock.advance(60_000);

      // Act
      const redelivered = await ledger.advanceRun(run.runId, run.step, {
        next: { phase: "users", source: "okta" },
        itemsDone: 5,
      });

      // Assess
      expect(redelivered).toBe(false);
      expect(await ledger.getRun(run.runId)).toMatchObject({
        step: { phase: "users", source: "okta" },
        chunks: 1,
        itemsDone: 5,
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
        { next: undefined, itemsDone: 1 },
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

      // Act
      const finished = await ledger.advanceRun(run.runId, run.step, { next: undefined, itemsDone: 2 });
      const afterFinish = await ledger.advanceRun(run.runId, run.step, { next: undefined, itemsDone: 2 });

      // Assess
      expect([finished, afterFinish]).toEqual([true, false]);
      const record = await ledger.getRun(run.runId);
      expect(record).toMatchObject({ finishedAt: t1, updatedAt: t1, chunks: 1, itemsDone: 2 });
      expect(record?.step).toBeUndefined();
    });

    it("refuses to advance a run that was never started", async () => {
      // Prepare
      const runId = unique("run");

      // Act
      const advanced = await ledger.advanceRun(runId, { phase: "groups" }, { next: undefined, itemsDone: 1 });

      // Assess
      expect(advanced).toBe(false);
      expect(await ledger.getRun(runId)).toBeUndefined();
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
