import { describe, expect, it } from "vitest";
import type { KiroTargetRecord, SyncPause } from "../../core/ports/ledger-records";
import { clock, ledgersUnderTest } from "./ledger-implementations";

/** Each test starts from an empty ledger: the pause, the Kiro target and the health are one item each. */
describe.each(ledgersUnderTest)("SyncControl contract: $name", ({ fresh }) => {
  const pause = (changes: Partial<SyncPause> = {}): SyncPause => ({
    reason: "Kiro refused the SCIM token",
    errorCode: "SCIM.HTTP_401",
    since: "2026-02-01T10:00:00.000Z",
    probeAt: "2026-02-01T10:05:00.000Z",
    ...changes,
  });

  const target = (changes: Partial<KiroTargetRecord> = {}): KiroTargetRecord => ({
    fingerprint: "fp-a",
    url: "https://scim.kiro.test/a",
    since: "2026-02-01T10:00:00.000Z",
    ...changes,
  });

  describe("pause", () => {
    it("has no pause until one is set, and none once it is cleared", async () => {
      // Prepare
      const ledger = await fresh();
      const before = await ledger.getSyncPause();

      // Act
      await ledger.pauseSync(pause());
      const paused = await ledger.getSyncPause();
      await ledger.clearSyncPause();

      // Assess
      expect(before).toBeUndefined();
      expect(paused).toEqual(pause());
      expect(await ledger.getSyncPause()).toBeUndefined();
    });

    it("keeps when the pause began when paused again, taking the new reason, code and probe time", async () => {
      // Prepare
      const ledger = await fresh();
      await ledger.pauseSync(pause());

      // Act
      await ledger.pauseSync({
        reason: "Okta refused the API token",
        errorCode: "OKTA.HTTP_401",
        since: "2026-02-01T11:00:00.000Z",
        probeAt: "2026-02-01T11:05:00.000Z",
      });

      // Assess
      expect(await ledger.getSyncPause()).toEqual({
        reason: "Okta refused the API token",
        errorCode: "OKTA.HTTP_401",
        since: "2026-02-01T10:00:00.000Z",
        probeAt: "2026-02-01T11:05:00.000Z",
      });
    });

    it("cuts a pause's reason to 1000 characters", async () => {
      // Prepare
      const ledger = await fresh();
      const reason = `Kiro refused the SCIM token: ${"x".repeat(1200)}`;

      // Act
      await ledger.pauseSync(pause({ reason }));

      // Assess
      expect(await ledger.getSyncPause()).toEqual(pause({ reason: reason.slice(0, 1000) }));
    });

    it("lets a probe through once its time has come, moving the next probe on", async () => {
      // Prepare
      const ledger = await fresh();
      await ledger.pauseSync(pause({ probeAt: "2026-02-01T10:05:00.000Z" }));

      // Act
      const early = await ledger.claimPauseProbe("2026-02-01T10:04:59.999Z", "2026-02-01T10:09:59.999Z");
      const due = await ledger.claimPauseProbe("2026-02-01T10:05:00.000Z", "2026-02-01T10:10:00.000Z");
      const sameInterval = await ledger.claimPauseProbe(
        "2026-02-01T10:06:00.000Z",
        "2026-02-01T10:11:00.000Z",
      );
      const nextInterval = await ledger.claimPauseProbe(
        "2026-02-01T10:10:00.000Z",
        "2026-02-01T10:15:00.000Z",
      );

      // Assess
      expect([early, due, sameInterval, nextInterval]).toEqual([false, true, false, true]);
      expect(await ledger.getSyncPause()).toEqual(pause({ probeAt: "2026-02-01T10:15:00.000Z" }));
    });

    it("lets exactly one of many concurrent workers probe in an interval", async () => {
      // Prepare
      const ledger = await fresh();
      await ledger.pauseSync(pause());

      // Act
      const claims = await Promise.all(
        Array.from({ length: 8 }, () =>
          ledger.claimPauseProbe("2026-02-01T10:05:00.000Z", "2026-02-01T10:10:00.000Z"),
        ),
      );

      // Assess
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await ledger.getSyncPause()).toEqual(pause({ probeAt: "2026-02-01T10:10:00.000Z" }));
    });

    it("lets no probe through while the sync is not paused", async () => {
      // Prepare
      const ledger = await fresh();
      await ledger.pauseSync(pause());
      await ledger.clearSyncPause();

      // Act
      const claimed = await ledger.claimPauseProbe("2026-02-01T10:05:00.000Z", "2026-02-01T10:10:00.000Z");

      // Assess
      expect(claimed).toBe(false);
      expect(await ledger.getSyncPause()).toBeUndefined();
    });
  });

  describe("Kiro target", () => {
    it("has no target until one is claimed, then answers it at revision 1", async () => {
      // Prepare
      const ledger = await fresh();
      const before = await ledger.getKiroTarget();

      // Act
      const claimed = await ledger.claimKiroTarget(
        target({ credential: "cred-a", reprovisionRunId: "run-1" }),
        undefined,
      );

      // Assess
      expect(before).toBeUndefined();
      expect(claimed).toBe(true);
      expect(await ledger.getKiroTarget()).toEqual({
        fingerprint: "fp-a",
        url: "https://scim.kiro.test/a",
        since: "2026-02-01T10:00:00.000Z",
        credential: "cred-a",
        reprovisionRunId: "run-1",
        revision: 1,
      });
    });

    it("claims the target only against the record read, so a stale read loses", async () => {
      // Prepare
      const ledger = await fresh();
      await ledger.claimKiroTarget(target(), undefined);
      const read = await ledger.getKiroTarget();
      await ledger.claimKiroTarget(target({ credential: "cred-b" }), read);

      // Act
      const stale = await ledger.claimKiroTarget(target({ credential: "cred-c" }), read);
      const asIfNew = await ledger.claimKiroTarget(target({ fingerprint: "fp-z" }), undefined);
      const current = await ledger.getKiroTarget();
      const fromCurrent = await ledger.claimKiroTarget(target({ credential: "cred-d" }), current);

      // Assess
      expect([stale, asIfNew, fromCurrent]).toEqual([false, false, true]);
      expect(current).toEqual({ ...target({ credential: "cred-b" }), revision: 2 });
      expect(await ledger.getKiroTarget()).toEqual({ ...target({ credential: "cred-d" }), revision: 3 });
    });

    it("lets exactly one of many workers that read the same record claim the target", async () => {
      // Prepare
      const ledger = await fresh();
      await ledger.claimKiroTarget(target(), undefined);
      const read = await ledger.getKiroTarget();

      // Act
      const claims = await Promise.all(
        Array.from({ length: 6 }, (_, index) =>
          ledger.claimKiroTarget(target({ credential: `cred-${index}` }), read),
        ),
      );

      // Assess
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await ledger.getKiroTarget()).toEqual({
        ...target({ credential: `cred-${claims.indexOf(true)}` }),
        revision: 2,
      });
    });

    it("replaces the whole record, its revision one past the one read whatever the new target names", async () => {
      // Prepare
      const ledger = await fresh();
      await ledger.claimKiroTarget(target({ credential: "cred-a", reprovisionRunId: "run-1" }), undefined);
      const read = await ledger.getKiroTarget();

      // Act
      await ledger.claimKiroTarget(
        {
          fingerprint: "fp-b",
          url: "https://scim.kiro.test/b",
          since: "2026-02-02T00:00:00.000Z",
          revision: 40,
        },
        read,
      );

      // Assess
      expect(await ledger.getKiroTarget()).toEqual({
        fingerprint: "fp-b",
        url: "https://scim.kiro.test/b",
        since: "2026-02-02T00:00:00.000Z",
        revision: 2,
      });
    });

    it("refuses a claim against a read without a revision once the stored record has one", async () => {
      // Prepare
      const ledger = await fresh();
      const beforeAny = await ledger.claimKiroTarget(target({ credential: "cred-x" }), target());
      await ledger.claimKiroTarget(target(), undefined);

      // Act
      const withoutRevision = await ledger.claimKiroTarget(target({ credential: "cred-y" }), target());

      // Assess
      expect([beforeAny, withoutRevision]).toEqual([false, false]);
      expect(await ledger.getKiroTarget()).toEqual({ ...target(), revision: 1 });
    });
  });

  describe("source health", () => {
    it("answers no health for sources never checked", async () => {
      // Prepare
      const ledger = await fresh();

      // Act
      const health = await ledger.getSourceHealth();

      // Assess
      expect(health).toEqual({});
    });

    it("records a source as ok, with when it was checked", async () => {
      // Prepare
      const ledger = await fresh();
      const t0 = clock.set("2026-02-01T10:00:00.000Z");

      // Act
      await ledger.recordSourceHealth("okta", undefined);

      // Assess
      expect(await ledger.getSourceHealth()).toEqual({ okta: { state: "ok", checkedAt: t0 } });
    });

    it("keeps the start of a degraded streak while the source keeps failing, with the latest failure", async () => {
      // Prepare
      const ledger = await fresh();
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordSourceHealth("entra", {
        reason: "Graph timed out",
        errorCode: "DEPENDENCY.TIMEOUT",
      });
      const t1 = clock.advance(60_000);

      // Act
      await ledger.recordSourceHealth("entra", { reason: "Graph refused us", errorCode: "GRAPH.HTTP_403" });

      // Assess
      expect(await ledger.getSourceHealth()).toEqual({
        entra: {
          state: "degraded",
          since: t0,
          code: "GRAPH.HTTP_403",
          reason: "Graph refused us",
          checkedAt: t1,
        },
      });
    });

    it("ends a degraded streak on an ok read, so the next failure starts a new streak", async () => {
      // Prepare
      const ledger = await fresh();
      clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordSourceHealth("okta", { reason: "Okta answered 503", errorCode: "OKTA.HTTP_503" });
      const t1 = clock.advance(60_000);

      // Act
      await ledger.recordSourceHealth("okta", undefined);
      const recovered = await ledger.getSourceHealth();
      const t2 = clock.advance(60_000);
      await ledger.recordSourceHealth("okta", { reason: "Okta answered 500", errorCode: "OKTA.HTTP_500" });

      // Assess
      expect(recovered).toEqual({ okta: { state: "ok", checkedAt: t1 } });
      expect(await ledger.getSourceHealth()).toEqual({
        okta: {
          state: "degraded",
          since: t2,
          code: "OKTA.HTTP_500",
          reason: "Okta answered 500",
          checkedAt: t2,
        },
      });
    });

    it("keeps each source's health apart", async () => {
      // Prepare
      const ledger = await fresh();
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordSourceHealth("entra", {
        reason: "Graph timed out",
        errorCode: "DEPENDENCY.TIMEOUT",
      });
      const t1 = clock.advance(1_000);

      // Act
      await ledger.recordSourceHealth("okta", undefined);

      // Assess
      expect(await ledger.getSourceHealth()).toEqual({
        okta: { state: "ok", checkedAt: t1 },
        entra: {
          state: "degraded",
          since: t0,
          code: "DEPENDENCY.TIMEOUT",
          reason: "Graph timed out",
          checkedAt: t0,
        },
      });
    });

    it("cuts a failure's reason to 500 characters", async () => {
      // Prepare
      const ledger = await fresh();
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      const reason = `Okta answered 500: ${"x".repeat(700)}`;

      // Act
      await ledger.recordSourceHealth("okta", { reason, errorCode: "OKTA.HTTP_500" });

      // Assess
      expect(await ledger.getSourceHealth()).toEqual({
        okta: {
          state: "degraded",
          since: t0,
          code: "OKTA.HTTP_500",
          reason: reason.slice(0, 500),
          checkedAt: t0,
        },
      });
    });
  });

  describe("Kiro's health", () => {
    it("has none until checked, keeps a degraded streak's start, and stays apart from the sources'", async () => {
      // Prepare
      const ledger = await fresh();
      const before = await ledger.getKiroHealth();
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordKiroHealth({ reason: "connect ECONNREFUSED", errorCode: "SCIM.CONNECTION" });
      const t1 = clock.advance(60_000);

      // Act
      await ledger.recordKiroHealth({ reason: "Kiro SCIM 401", errorCode: "SCIM.AUTH" });
      const failing = await ledger.getKiroHealth();
      const t2 = clock.advance(60_000);
      await ledger.recordKiroHealth(undefined);

      // Assess
      expect(before).toBeUndefined();
      expect(failing).toEqual({
        state: "degraded",
        since: t0,
        code: "SCIM.AUTH",
        reason: "Kiro SCIM 401",
        checkedAt: t1,
      });
      expect(await ledger.getKiroHealth()).toEqual({ state: "ok", checkedAt: t2 });
      expect(await ledger.getSourceHealth()).toEqual({});
    });
  });

  describe("scope checks", () => {
    it("has none until a source is checked, then each source's latest check, replaced whole", async () => {
      // Prepare
      const ledger = await fresh();
      const before = await ledger.getScopeChecks();
      clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordScopeCheck("okta", [{ entry: "Nonexistent" }]);
      const t1 = clock.advance(1_000);

      // Act
      await ledger.recordScopeCheck("okta", [{ entry: "kiro-engineering", caseOnly: "Kiro-Engineering" }]);
      await ledger.recordScopeCheck("entra", []);

      // Assess
      expect(before).toEqual({});
      expect(await ledger.getScopeChecks()).toEqual({
        okta: { unmatched: [{ entry: "kiro-engineering", caseOnly: "Kiro-Engineering" }], checkedAt: t1 },
        entra: { unmatched: [], checkedAt: t1 },
      });
    });
  });
});
