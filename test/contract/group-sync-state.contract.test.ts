import { beforeAll, describe, expect, it } from "vitest";
import type { AttemptRecord } from "../../core/ports/ledger-records";
import { at, type ContractLedger, clock, ledgersUnderTest, unique } from "./ledger-implementations";

describe.each(ledgersUnderTest)("GroupSyncState contract: $name", ({ fresh }) => {
  let ledger: ContractLedger;

  beforeAll(async () => {
    ledger = await fresh();
  });

  /** A group the ledger knows, with one recorded change (dirtyVersion 1). */
  async function knownGroup(): Promise<string> {
    const group = unique("g");
    await ledger.recordGroupName("okta", group, `Team ${group}`, at("2025-01-01T00:00:00.000Z"));
    return group;
  }

  const attempt = (number: number, at: string): AttemptRecord => ({
    attempt: number,
    at,
    errorCode: `SCIM.HTTP_50${number}`,
    reason: `Kiro answered 50${number}`,
  });

  describe("lease", () => {
    it("says missing for a group the ledger does not know", async () => {
      // Act
      const result = await ledger.acquireGroupLease("okta", unique("nowhere"), "worker-a", 1_000);

      // Assess
      expect(result).toEqual({ acquired: false, reason: "missing" });
      expect(await ledger.getGroup("okta", unique("nowhere"))).toBeUndefined();
    });

    it("leases a group and answers its dirty and synced versions", async () => {
      // Prepare
      const group = await knownGroup();
      await ledger.recordGroupSynced("okta", group, 1);
      await ledger.recordDesiredMembership("okta", group, unique("u"), true, at("2025-01-02T00:00:00.000Z"));

      // Act
      const result = await ledger.acquireGroupLease("okta", group, "worker-a", 30_000);

      // Assess
      expect(result).toEqual({ acquired: true, dirtyVersion: 2, syncedVersion: 1 });
    });

    it("answers held, with when the lease ends, while another owner holds it", async () => {
      // Prepare
      const group = await knownGroup();
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      await ledger.acquireGroupLease("okta", group, "worker-a", 30_000);
      clock.advance(1_000);

      // Act
      const result = await ledger.acquireGroupLease("okta", group, "worker-b", 30_000);

      // Assess
      expect(result).toEqual({
        acquired: false,
        reason: "held",
        expiresAt: new Date(Date.parse(t0) + 30_000).toISOString(),
      });
    });

    it("lets the holder renew its lease, moving when it ends", async () => {
      // Prepare
      const group = await knownGroup();
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      await ledger.acquireGroupLease("okta", group, "worker-a", 1_000);
      clock.advance(500);

      // Act
      const renewed = await ledger.acquireGroupLease("okta", group, "worker-a", 1_000);
      clock.advance(700);
      const other = await ledger.acquireGroupLease("okta", group, "worker-b", 1_000);

      // Assess
      expect(renewed).toEqual({ acquired: true, dirtyVersion: 1, syncedVersion: 0 });
      expect(other).toEqual({
        acquired: false,
        reason: "held",
        expiresAt: new Date(Date.parse(t0) + 1_500).toISOString(),
      });
    });

    it("frees a lease once its end has passed, not at the end itself", async () => {
      // Prepare
      const group = await knownGroup();
      clock.set("2026-02-01T10:00:00.000Z");
      await ledger.acquireGroupLease("okta", group, "dead-worker", 1_000);

      // Act
      clock.advance(1_000);
      const atExpiry = await ledger.acquireGroupLease("okta", group, "worker-b", 1_000);
      clock.advance(1);
      const pastExpiry = await ledger.acquireGroupLease("okta", group, "worker-b", 1_000);

      // Assess
      expect([atExpiry.acquired, pastExpiry.acquired]).toEqual([false, true]);
    });

    it("releases a lease for its holder only", async () => {
      // Prepare
      const group = await knownGroup();
      await ledger.acquireGroupLease("okta", group, "worker-a", 30_000);

      // Act
      await ledger.releaseGroupLease("okta", group, "worker-b");
      const whileHeld = await ledger.acquireGroupLease("okta", group, "worker-c", 30_000);
      await ledger.releaseGroupLease("okta", group, "worker-a");
      const afterRelease = await ledger.acquireGroupLease("okta", group, "worker-c", 30_000);

      // Assess
      expect([whileHeld.acquired, afterRelease.acquired]).toEqual([false, true]);
    });

    it("shows the holder and the end of its lease on the group record, and none once released", async () => {
      // Prepare
      const group = await knownGroup();
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      await ledger.acquireGroupLease("okta", group, "worker-a", 30_000);

      // Act
      const whileHeld = await ledger.getGroup("okta", group);
      await ledger.releaseGroupLease("okta", group, "worker-a");
      const afterRelease = await ledger.getGroup("okta", group);

      // Assess
      expect(whileHeld?.lease).toEqual({
        owner: "worker-a",
        expiresAt: new Date(Date.parse(t0) + 30_000).toISOString(),
      });
      expect(afterRelease?.lease).toBeUndefined();
    });

    it("grants the lease to exactly one of many concurrent acquirers", async () => {
      // Prepare
      const group = await knownGroup();

      // Act
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, index) =>
          ledger.acquireGroupLease("okta", group, `w-${index}`, 30_000),
        ),
      );

      // Assess
      expect(results.filter((result) => result.acquired)).toHaveLength(1);
      expect(results.filter((result) => !result.acquired && result.reason === "held")).toHaveLength(7);
    });
  });

  describe("dirty and synced versions", () => {
    it("marks known groups dirty once per call, back to pending, and leaves unknown ones alone", async () => {
      // Prepare
      const group = await knownGroup();
      const unknown = unique("unknown");
      clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordGroupSynced("okta", group, 1);
      const t1 = clock.advance(1_000);

      // Act
      await ledger.markGroupsDirty("okta", [group, group, unknown]);

      // Assess
      expect(await ledger.getGroup("okta", group)).toMatchObject({
        dirtyVersion: 2,
        syncedVersion: 1,
        status: "pending",
        pendingSince: t1,
      });
      expect(await ledger.getGroup("okta", unknown)).toBeUndefined();
    });

    it("marks a group synced when no change landed since the version synced, clearing its failures", async () => {
      // Prepare
      const group = await knownGroup();
      const record = await ledger.getGroup("okta", group);
      clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordGroupRetry(
        "okta",
        group,
        attempt(1, clock.current.toISOString()),
        "2026-02-01T10:01:00.000Z",
      );
      const t1 = clock.advance(60_000);

      // Act
      await ledger.recordGroupSynced("okta", group, 1);

      // Assess
      expect(await ledger.getGroup("okta", group)).toEqual({
        source: "okta",
        idpId: group,
        name: record?.name,
        nameVersion: record?.nameVersion,
        status: "synced",
        attempts: 0,
        syncedAt: t1,
        lastAttemptAt: t1,
        lastSyncedAt: t1,
        updatedAt: t1,
        deleted: false,
        createdByUs: false,
        nestedGroupCount: 0,
        dirtyVersion: 1,
        syncedVersion: 1,
      });
    });

    it("keeps a group dirty when a change landed after the version the worker synced", async () => {
      // Prepare
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      const group = await knownGroup();
      const lease = await ledger.acquireGroupLease("okta", group, "worker-a", 30_000);
      await ledger.recordDesiredMembership("okta", group, unique("u"), true, at("2025-01-02T00:00:00.000Z"));
      const t1 = clock.advance(1_000);

      // Act
      await ledger.recordGroupSynced("okta", group, lease.acquired ? lease.dirtyVersion : -1);

      // Assess
      expect(await ledger.getGroup("okta", group)).toMatchObject({
        dirtyVersion: 2,
        syncedVersion: 1,
        lastSyncedAt: t1,
        status: "pending",
        pendingSince: t0,
      });
    });

    it("never moves the synced version back for a stale sync", async () => {
      // Prepare
      const group = await knownGroup();
      await ledger.markGroupsDirty("okta", [group]);
      await ledger.markGroupsDirty("okta", [group]);
      await ledger.recordGroupSynced("okta", group, 2);

      // Act
      await ledger.recordGroupSynced("okta", group, 1);

      // Assess
      expect(await ledger.getGroup("okta", group)).toMatchObject({
        dirtyVersion: 3,
        syncedVersion: 2,
        status: "pending",
      });
    });
  });

  describe("patch intent", () => {
    it("keeps a member PATCH's intent until it is cleared", async () => {
      // Prepare
      const group = await knownGroup();
      const intent = { op: "add" as const, userIds: ["u-1", "u-2"], at: "2026-02-01T10:00:00.000Z" };

      // Act
      await ledger.recordPatchIntent("okta", group, intent);
      intent.userIds.push("changed-by-the-caller");
      const recorded = (await ledger.getGroup("okta", group))?.patchIntent;
      await ledger.recordPatchIntent("okta", group, undefined);
      const cleared = (await ledger.getGroup("okta", group))?.patchIntent;

      // Assess
      expect(recorded).toEqual({ op: "add", userIds: ["u-1", "u-2"], at: "2026-02-01T10:00:00.000Z" });
      expect(cleared).toBeUndefined();
      expect((await ledger.getGroup("okta", group))?.dirtyVersion).toBe(1);
    });
  });

  describe("failures, retries and quarantine", () => {
    it("records a group failure with reason, code and a growing attempt count", async () => {
      // Prepare
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      const group = await knownGroup();
      const failure = { reason: "Kiro refused the name", errorCode: "SCIM.HTTP_400" };
      await ledger.recordGroupFailed("okta", group, failure);
      const t1 = clock.advance(1_000);

      // Act
      await ledger.recordGroupFailed("okta", group, failure);

      // Assess
      expect(await ledger.getGroup("okta", group)).toMatchObject({
        status: "failed",
        ...failure,
        attempts: 2,
        pendingSince: t0,
        lastAttemptAt: t1,
        updatedAt: t1,
        dirtyVersion: 1,
      });
    });

    it("schedules retries: failed, each attempt counted and kept in the history, with when it is due", async () => {
      // Prepare
      const group = await knownGroup();
      const first = attempt(1, "2026-02-01T10:00:00.000Z");
      const second = attempt(7, "2026-02-01T10:01:00.000Z");
      await ledger.recordGroupRetry("okta", group, first, "2026-02-01T10:01:00.000Z");

      // Act
      await ledger.recordGroupRetry("okta", group, second, "2026-02-01T10:05:00.000Z");

      // Assess
      expect(await ledger.getGroup("okta", group)).toMatchObject({
        status: "failed",
        reason: second.reason,
        errorCode: second.errorCode,
        attempts: 2,
        retryAt: "2026-02-01T10:05:00.000Z",
        attemptHistory: [first, second],
      });
    });

    it("quarantines a group with its attempt history and the attempt number given, dropping the retry", async () => {
      // Prepare
      const group = await knownGroup();
      const first = attempt(1, "2026-02-01T10:00:00.000Z");
      const last = attempt(5, "2026-02-01T11:00:00.000Z");
      await ledger.recordGroupRetry("okta", group, first, "2026-02-01T10:01:00.000Z");
      const t1 = clock.set("2026-02-01T11:00:00.000Z");

      // Act
      await ledger.quarantineGroup("okta", group, last);

      // Assess
      const record = await ledger.getGroup("okta", group);
      expect(record).toMatchObject({
        status: "quarantined",
        reason: last.reason,
        errorCode: last.errorCode,
        attempts: 5,
        lastAttemptAt: t1,
        updatedAt: t1,
        attemptHistory: [first, last],
      });
      expect(record?.retryAt).toBeUndefined();
    });

    it("redrives a quarantined group to pending, keeping the last 20 attempts, and refuses any other group", async () => {
      // Prepare
      const [quarantined, healthy] = [await knownGroup(), await knownGroup()];
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      const attempts = Array.from({ length: 22 }, (_, index) =>
        attempt(index + 1, new Date(Date.parse(t0) + index * 1000).toISOString()),
      );
      for (const each of attempts.slice(0, 21)) await ledger.recordGroupRetry("okta", quarantined, each, t0);
      await ledger.quarantineGroup("okta", quarantined, attempts[21]!);
      const dirtyBefore = (await ledger.getGroup("okta", quarantined))!.dirtyVersion;
      const t1 = clock.advance(60_000);

      // Act
      const notQuarantined = await ledger.redriveGroup("okta", healthy);
      const redriven = await ledger.redriveGroup("okta", quarantined);
      const again = await ledger.redriveGroup("okta", quarantined);

      // Assess
      expect([notQuarantined, redriven, again]).toEqual([false, true, false]);
      const record = await ledger.getGroup("okta", quarantined);
      expect(record).toMatchObject({
        status: "pending",
        attempts: 0,
        lastAttemptAt: t0,
        updatedAt: t1,
        dirtyVersion: dirtyBefore + 1,
        attemptHistory: attempts.slice(2),
      });
      expect([record?.reason, record?.errorCode, record?.retryAt]).toEqual([undefined, undefined, undefined]);
      expect((await ledger.getGroup("okta", healthy))?.dirtyVersion).toBe(1);
    });
  });
});
