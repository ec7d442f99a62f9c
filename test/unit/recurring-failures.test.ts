import { describe, expect, it } from "vitest";
import type { KiroCallBatch } from "../../core/ports/kiro-call-history";
import { KiroCallTally } from "../../core/use-cases/kiro-call-tally";
import {
  hookRejectionAlerts,
  kiroCallHealth,
  kiroFailingAlert,
  recentHookRejections,
} from "../../core/use-cases/recurring-failures";
import { inMemoryLedger } from "../support/doubles/in-memory-ledger";

const now = new Date("2026-12-02T12:00:00.000Z");
const secondsAgo = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();

/** A batch of calls answered `recent`, oldest first, recorded `ago` seconds before now. */
async function calls(ledger: ReturnType<typeof inMemoryLedger>, ago: number, recent: number[]) {
  const tally = new KiroCallTally(() => new Date(secondsAgo(ago)));
  for (const status of recent) tally.record(status);
  await tally.recordInto(ledger);
}

describe("Kiro failing", () => {
  it("is said when most of the latest calls failed, the newest too, with how many and the time of the last", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    await calls(ledger, 120, [201, 204]);
    await calls(ledger, 30, [200, 500, 500, 429, 0]);

    // Act
    const kiro = await kiroCallHealth(ledger, now);

    // Assess
    expect(kiro).toEqual({
      calls: 7,
      failed: 4,
      failures: { "500": 2, "429": 1, "no answer": 1 },
      lastFailureAt: secondsAgo(30),
      failing: true,
    });
    expect(kiroFailingAlert(kiro)).toBe(
      `Kiro is failing: 4 of the last 7 calls answered 429/500/no answer (the last at ${secondsAgo(30)}); groups retry on their own and are quarantined after RETRY_MAX_ATTEMPTS, nothing to do unless it lasts`,
    );
  });

  it.each([
    [
      "a successful call came after the failures",
      [
        [60, [500, 500, 500, 500]],
        [10, [201]],
      ],
    ],
    [
      "the failures are not most of the latest calls, though the newest failed",
      [
        [60, [201, 201]],
        [10, [500, 201, 500]],
      ],
    ],
    ["fewer than three calls were made", [[10, [500, 500]]]],
    ["the failures are older than five minutes", [[301, [500, 500, 500, 500]]]],
  ] as [string, [number, number[]][]][])("is not said when %s", async (_case, batches) => {
    // Prepare
    const ledger = inMemoryLedger();
    for (const [ago, recent] of batches) await calls(ledger, ago, recent);

    // Act
    const kiro = await kiroCallHealth(ledger, now);

    // Assess
    expect(kiro.failing).toBe(false);
    expect(kiroFailingAlert(kiro)).toBeUndefined();
  });

  it("reads only the latest ten calls", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const batch: KiroCallBatch = {
      at: secondsAgo(5),
      calls: 12,
      failed: 12,
      recent: Array.from({ length: 12 }, () => 503),
    };
    await ledger.recordKiroCalls(batch);

    // Act
    const kiro = await kiroCallHealth(ledger, now);

    // Assess
    expect(kiro).toMatchObject({ calls: 10, failed: 10, failing: true });
  });
});

describe("hook rejections", () => {
  it("alert from the third rejection in five minutes, by source and answer, and clear once five minutes pass", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const rejection = { source: "okta" as const, reason: "unauthenticated", status: 401, count: 1 };
    await ledger.recordHookRejection({ ...rejection, at: secondsAgo(100) });
    await ledger.recordHookRejection({ ...rejection, at: secondsAgo(50) });
    await ledger.recordHookRejection({
      ...rejection,
      reason: "rejected-events",
      status: 204,
      count: 2,
      at: secondsAgo(10),
    });
    await ledger.recordHookRejection({
      ...rejection,
      source: "entra",
      reason: "bad-client-state",
      status: 202,
      at: secondsAgo(400),
    });

    // Act
    const recent = await recentHookRejections(ledger, now);
    const later = await recentHookRejections(ledger, new Date(now.getTime() + 300_000));

    // Assess
    expect(recent).toEqual({
      count: 4,
      bySource: { okta: { "204 rejected-events": 2, "401 unauthenticated": 2 } },
      lastAt: secondsAgo(10),
    });
    expect(hookRejectionAlerts(recent)).toEqual([
      `okta hook: 4 requests or events rejected in the last 5 minutes (204 rejected-events: 2, 401 unauthenticated: 2), the last at ${secondsAgo(10)}: read the hook's \`events rejected\` log lines; the hook's secret in the IdP differs from the one we hold (Okta: the Okta secret's hookSecret)`,
    ]);
    expect(later.count).toBe(0);
    expect(hookRejectionAlerts(later)).toEqual([]);
  });

  it("do not alert on one or two stray requests", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    for (const ago of [30, 20])
      await ledger.recordHookRejection({
        at: secondsAgo(ago),
        source: "okta",
        reason: "malformed",
        status: 400,
        count: 1,
      });

    // Act
    const alerts = hookRejectionAlerts(await recentHookRejections(ledger, now));

    // Assess
    expect(alerts).toEqual([]);
  });
});
