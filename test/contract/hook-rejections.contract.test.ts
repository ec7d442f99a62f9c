import { describe, expect, it } from "vitest";
import type { HookRejection } from "../../core/ports/hook-rejections";
import { ledgersUnderTest } from "./ledger-implementations";

/** Times relative to now: DynamoDB Local deletes an item once its expiry (a day after `at`) has passed. */
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

const rejection = (at: string, changes: Partial<HookRejection> = {}): HookRejection => ({
  at,
  source: "okta",
  reason: "unauthenticated",
  status: 401,
  count: 1,
  ...changes,
});

describe.each(ledgersUnderTest)("HookRejections contract: $name", ({ fresh }) => {
  it("answers the rejections recorded since a time, newest first, up to the limit, each one kept", async () => {
    // Prepare
    const ledger = await fresh();
    const [old, earlier, latest] = [minutesAgo(30), minutesAgo(3), minutesAgo(1)];
    await ledger.recordHookRejection(rejection(old));
    await ledger.recordHookRejection(
      rejection(earlier, { source: "entra", reason: "malformed", status: 400 }),
    );
    await ledger.recordHookRejection(rejection(latest));
    await ledger.recordHookRejection(rejection(latest, { reason: "rejected-events", status: 204, count: 3 }));

    // Act
    const recent = await ledger.listHookRejections(minutesAgo(5), 10);
    const newest = await ledger.listHookRejections(minutesAgo(5), 1);

    // Assess
    expect(recent).toHaveLength(3);
    expect(recent.slice(0, 2)).toEqual(
      expect.arrayContaining([
        rejection(latest),
        rejection(latest, { reason: "rejected-events", status: 204, count: 3 }),
      ]),
    );
    expect(recent[2]).toEqual(rejection(earlier, { source: "entra", reason: "malformed", status: 400 }));
    expect(newest.map((each) => each.at)).toEqual([latest]);
  });
});
