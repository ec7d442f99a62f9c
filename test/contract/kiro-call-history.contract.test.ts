import { describe, expect, it } from "vitest";
import type { KiroCallBatch } from "../../core/ports/kiro-call-history";
import { ledgersUnderTest } from "./ledger-implementations";

/** Times relative to now: DynamoDB Local deletes an item once its expiry (a day after `at`) has passed. */
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

const batch = (at: string, changes: Partial<KiroCallBatch> = {}): KiroCallBatch => ({
  at,
  calls: 4,
  failed: 3,
  recent: [200, 500, 500, 0],
  lastFailureAt: at,
  ...changes,
});

describe.each(ledgersUnderTest)("KiroCallHistory contract: $name", ({ fresh }) => {
  it("answers the batches recorded since a time, newest first, up to the limit", async () => {
    // Prepare
    const ledger = await fresh();
    const [old, earlier, later, latest] = [minutesAgo(30), minutesAgo(4), minutesAgo(2), minutesAgo(1)];
    await ledger.recordKiroCalls(batch(old));
    await ledger.recordKiroCalls(
      batch(later, { calls: 2, failed: 0, recent: [201, 204], lastFailureAt: undefined }),
    );
    await ledger.recordKiroCalls(batch(earlier));
    await ledger.recordKiroCalls(batch(latest, { recent: [429] }));

    // Act
    const lastFive = await ledger.listKiroCalls(minutesAgo(5), 10);
    const newestTwo = await ledger.listKiroCalls(minutesAgo(5), 2);

    // Assess
    expect(lastFive).toEqual([
      batch(latest, { recent: [429] }),
      { at: later, calls: 2, failed: 0, recent: [201, 204] },
      batch(earlier),
    ]);
    expect(newestTwo.map((each) => each.at)).toEqual([latest, later]);
  });

  it("keeps two batches recorded at the same moment", async () => {
    // Prepare
    const ledger = await fresh();
    const at = minutesAgo(1);

    // Act
    await ledger.recordKiroCalls(batch(at, { calls: 1 }));
    await ledger.recordKiroCalls(batch(at, { calls: 2 }));

    // Assess
    const calls = (await ledger.listKiroCalls(minutesAgo(5), 10)).map((each) => each.calls).sort();
    expect(calls).toEqual([1, 2]);
  });
});
