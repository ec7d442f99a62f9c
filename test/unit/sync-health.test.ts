import { describe, expect, it } from "vitest";
import { emptyStatusReport, type StatusReport } from "../../core/use-cases/build-status-report";
import { healthVerdict, stalledRunSeconds, syncHealthGauges } from "../../core/use-cases/sync-health";

const sourceCounts = (pending: number, failed: number, quarantined: number) => ({
  users: { pending, synced: 10, failed },
  groups: { pending, synced: 3, failed, quarantined },
  memberships: { pending, failed },
});

const run = (overrides: Partial<StatusReport["runs"][number]>): StatusReport["runs"][number] => ({
  runId: "run",
  kind: "reconcile",
  reason: "reconcile",
  startedAt: "2026-11-24T00:00:00.000Z",
  finishedAt: undefined,
  phase: "groups (okta)",
  state: "running (groups): 0 group syncs queued so far, 0 settled",
  chunks: 1,
  items: { total: 10, done: 0, failed: 0, skipped: 0, waiting: 10, planned: false },
  removals: 0,
  error: undefined,
  stalledSeconds: 0,
  ...overrides,
});

function report(overrides: Partial<StatusReport> = {}): StatusReport {
  return {
    ...emptyStatusReport(new Date("2026-11-24T01:00:00.000Z")),
    counts: { okta: sourceCounts(0, 0, 0), entra: sourceCounts(0, 0, 0) },
    ...overrides,
  };
}

const byName = (gauges: ReturnType<typeof syncHealthGauges>) =>
  Object.fromEntries(gauges.map((gauge) => [gauge.name, gauge.value]));

describe("syncHealthGauges", () => {
  it("emits every gauge as zero when all is well, and no subscription gauge without Entra", () => {
    // Act
    const gauges = byName(syncHealthGauges(report()));

    // Assess
    expect(gauges).toEqual({
      OldestPendingSeconds: 0,
      OldestDeliverySeconds: 0,
      PendingChanges: 0,
      FailedItems: 0,
      QuarantinedGroups: 0,
      SyncPaused: 0,
      HeldRemovals: 0,
      StalledRuns: 0,
      FailedRuns: 0,
      UnmanagedObjects: 0,
      KiroFailedCalls: 0,
      HookRejections: 0,
    });
  });

  it("adds up both sources and reads age, pause, holds and unmanaged objects from the report", () => {
    // Prepare
    const troubled = report({
      counts: { okta: sourceCounts(2, 1, 1), entra: sourceCounts(1, 0, 2) },
      oldestPending: {
        kind: "GROUP",
        source: "okta",
        id: "g1",
        status: "pending",
        attempts: 0,
        ageSeconds: 1_234,
      },
      paused: { reason: "401", errorCode: "SCIM.AUTH", since: "x", nextProbeAt: "y" },
      heldRuns: [{ runId: "r", source: "okta", groupId: "g", removals: 30, reason: "share", heldAt: "t" }],
      unmanaged: { users: 4, groups: 1, examples: [], auditedAt: "t" },
      inbox: { waiting: 2, oldestReceivedAt: "2026-11-24T00:00:00.000Z", oldestAgeSeconds: 95 },
    } as Partial<StatusReport>);

    // Act
    const gauges = byName(syncHealthGauges(troubled));

    // Assess
    expect(gauges).toMatchObject({
      OldestPendingSeconds: 1_234,
      OldestDeliverySeconds: 95,
      PendingChanges: 9,
      FailedItems: 3,
      QuarantinedGroups: 3,
      SyncPaused: 1,
      HeldRemovals: 1,
      UnmanagedObjects: 5,
    });
  });

  it("counts a run as stalled only when it is unfinished, without error, and still past the threshold", () => {
    // Prepare
    const runs = [
      run({ runId: "stuck", stalledSeconds: stalledRunSeconds }),
      run({ runId: "moving", stalledSeconds: stalledRunSeconds - 1 }),
      run({ runId: "failed", stalledSeconds: stalledRunSeconds * 2, error: "SCIM.SERVER_ERROR: 500" }),
      run({ runId: "done", finishedAt: "2026-11-24T00:30:00.000Z", stalledSeconds: 0 }),
    ];

    // Act
    const gauges = byName(syncHealthGauges(report({ runs })));

    // Assess
    expect(gauges.StalledRuns).toBe(1);
  });

  it("counts a failed run only while no newer run of its kind has replaced it", () => {
    // Prepare
    const runs = [
      run({ runId: "reprovision-failed", kind: "reprovision", error: "LAMBDA.ASYNC_FAILURE: timeout" }),
      run({ runId: "reconcile-ok", kind: "reconcile", finishedAt: "2026-11-24T00:50:00.000Z" }),
      run({ runId: "reconcile-failed-earlier", kind: "reconcile", error: "IDP.UNAVAILABLE: 503" }),
    ];

    // Act
    const gauges = byName(syncHealthGauges(report({ runs })));

    // Assess
    expect(gauges.FailedRuns).toBe(1);
  });

  it("reports the subscription closest to expiry", () => {
    // Prepare
    const subscriptions = [
      { resource: "users", subscriptionId: "a", expiresAt: "x", expiresInHours: 300 },
      { resource: "groups", subscriptionId: "b", expiresAt: "y", expiresInHours: 20.5 },
    ];

    // Act
    const gauges = byName(syncHealthGauges(report({ subscriptions })));

    // Assess
    expect(gauges.SubscriptionHoursLeft).toBe(20.5);
  });
});

describe("healthVerdict", () => {
  const pending = (ageSeconds: number) => ({
    kind: "GROUP" as const,
    source: "okta" as const,
    id: "00gpending",
    status: "pending" as const,
    attempts: 0,
    ageSeconds,
  });

  it("is ok with no reasons when nothing waits or fails", () => {
    // Act
    const health = healthVerdict(report());

    // Assess
    expect(health).toEqual({ verdict: "ok", reasons: [] });
  });

  it("turns failing once a change has waited past the alarm's age, naming the group", () => {
    // Prepare
    const groups = [
      {
        source: "okta" as const,
        id: "00gpending",
        name: "Sales",
        status: "pending" as const,
        lastSyncedAt: undefined,
        dirty: true,
        reason: undefined,
      },
    ];

    // Act
    const young = healthVerdict(report({ oldestPending: pending(900), groups }), 900);
    const old = healthVerdict(report({ oldestPending: pending(901), groups }), 900);

    // Assess
    expect(young.verdict).toBe("ok");
    expect(old).toEqual({
      verdict: "failing",
      reasons: ["a change has waited 901 s for Kiro: group Sales (okta 00gpending)"],
    });
  });

  it("turns failing when an Okta delivery has waited past its alarm, whatever else is degraded", () => {
    // Prepare
    const troubled = report({
      inbox: { waiting: 3, oldestReceivedAt: "2026-11-24T00:50:00.000Z", oldestAgeSeconds: 600 },
      failures: [
        {
          kind: "USER",
          source: "okta",
          id: "00uempty",
          status: "failed",
          attempts: 1,
          reason: "familyName is empty",
        },
      ],
    });

    // Act
    const health = healthVerdict(troubled);

    // Assess
    expect(health.verdict).toBe("failing");
    expect(health.reasons).toEqual([
      "3 Okta hook deliveries not recorded, the oldest for 600 s",
      "1 users or memberships Kiro refuses (fix them in the IdP), e.g. okta 00uempty: familyName is empty",
    ]);
  });

  it("is degraded, not failing, while a source is down and the others sync", () => {
    // Prepare
    const sources = {
      entra: {
        state: "degraded" as const,
        checkedAt: "t",
        code: "IDP.UNAVAILABLE",
        reason: "Graph answered 503",
      },
    };

    // Act
    const health = healthVerdict(report({ sources }));

    // Assess
    expect(health).toEqual({
      verdict: "degraded",
      reasons: ["entra degraded: IDP.UNAVAILABLE Graph answered 503"],
    });
  });

  it("turns failing while Kiro fails most calls, and degraded for a hook refusing requests and a user refused twice, each named", () => {
    // Prepare
    const troubled = report({
      kiroCalls: {
        calls: 10,
        failed: 8,
        failures: { "500": 8 },
        lastFailureAt: "2026-11-24T00:59:30.000Z",
        failing: true,
      },
      hookRejections: {
        count: 4,
        bySource: { okta: { "401 unauthenticated": 4 } },
        lastAt: "2026-11-24T00:59:00.000Z",
      },
      repeatedFailures: [
        {
          kind: "USER",
          source: "okta",
          id: "00uempty",
          name: "empty@acme.test",
          attempts: 2,
          errorCode: "USER.INVALID_PROFILE",
          reason: "familyName is empty",
        },
      ],
    });

    // Act
    const health = healthVerdict(troubled);
    const gauges = byName(syncHealthGauges(troubled));

    // Assess
    expect(health).toEqual({
      verdict: "failing",
      reasons: [
        "Kiro is failing: 8 of the last 10 calls answered 500 (the last at 2026-11-24T00:59:30.000Z)",
        "1 users Kiro refused twice in a row or more: empty@acme.test (okta 00uempty) USER.INVALID_PROFILE",
        "okta hook: 4 requests or events rejected in the last 5 minutes (401 unauthenticated: 4), the last at 2026-11-24T00:59:00.000Z: the hook's secret in the IdP differs from the one we hold (Okta: the Okta secret's hookSecret)",
      ],
    });
    expect(gauges).toMatchObject({ KiroFailedCalls: 8, HookRejections: 4 });
  });

  it("keeps the Kiro and hook gauges at zero below their alerts", () => {
    // Prepare
    const calm = report({
      kiroCalls: { calls: 10, failed: 4, failures: { "500": 4 }, lastFailureAt: "t", failing: false },
      hookRejections: { count: 2, bySource: { okta: { "400 malformed": 2 } }, lastAt: "t" },
    });

    // Act
    const gauges = byName(syncHealthGauges(calm));
    const health = healthVerdict(calm);

    // Assess
    expect(gauges).toMatchObject({ KiroFailedCalls: 0, HookRejections: 0 });
    expect(health).toEqual({ verdict: "ok", reasons: [] });
  });
});
