import { describe, expect, it } from "vitest";
import { recordPassOutcome } from "../../../core/use-cases/group-sync/record-outcome";
import { type InMemoryLedger, inMemoryLedger } from "../../support/doubles/in-memory-ledger";
import { seedVersion, source } from "./support";

const allDone = { held: undefined, incomplete: undefined };

/** A group with one desired member waiting: dirty, as the pass found it. */
async function dirtyGroup(ledger: InMemoryLedger, groupId: string) {
  await ledger.recordGroupName(source, groupId, groupId, seedVersion());
  await ledger.recordDesiredMembership(source, groupId, "00uoutcome1", true, seedVersion());
  return (await ledger.getGroup(source, groupId))!;
}

describe("recordPassOutcome", () => {
  it("marks the version the pass started from synced", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const group = await dirtyGroup(ledger, "00goutcome1");

    // Act
    await recordPassOutcome(group, allDone, ledger);

    // Assess
    const after = await ledger.getGroup(source, "00goutcome1");
    expect(after).toMatchObject({ status: "synced", syncedVersion: group.dirtyVersion });
    expect(after!.syncedVersion).toBeGreaterThan(0);
  });

  it("leaves the group dirty when a change landed during the pass", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const group = await dirtyGroup(ledger, "00goutcome2");
    await ledger.recordDesiredMembership(source, "00goutcome2", "00uoutcome2", true, seedVersion());

    // Act
    await recordPassOutcome(group, allDone, ledger);

    // Assess
    const after = (await ledger.getGroup(source, "00goutcome2"))!;
    expect(after.syncedVersion).toBe(group.dirtyVersion);
    expect(after.dirtyVersion).toBeGreaterThan(after.syncedVersion);
    expect(after.status).toBe("pending");
  });

  it("records removals held for an operator on the group as REMOVALS.HELD, without throwing", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const group = await dirtyGroup(ledger, "00goutcome3");
    const held = "reconcile run run-1 would remove 3 of 10 managed users (over 10%): removals held";

    // Act
    const outcome = await recordPassOutcome(group, { held, incomplete: undefined }, ledger).then(
      () => "returned",
      (error: unknown) => error,
    );

    // Assess
    expect(outcome).toBe("returned");
    expect(await ledger.getGroup(source, "00goutcome3")).toMatchObject({
      status: "failed",
      errorCode: "REMOVALS.HELD",
      reason: held,
      syncedVersion: group.dirtyVersion,
    });
  });

  it("records an incomplete IdP read on the group and throws it as a retryable IDP.INCOMPLETE", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const group = await dirtyGroup(ledger, "00goutcome4");

    // Act
    const failure = await recordPassOutcome(
      group,
      { held: undefined, incomplete: "Okta read failed (503)" },
      ledger,
    ).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ code: "IDP.INCOMPLETE", retryable: true });
    expect(await ledger.getGroup(source, "00goutcome4")).toMatchObject({
      status: "failed",
      errorCode: "IDP.INCOMPLETE",
      reason: "IdP read incomplete, removals held: Okta read failed (503)",
    });
  });
});
