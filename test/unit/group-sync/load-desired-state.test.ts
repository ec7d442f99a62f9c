import { describe, expect, it } from "vitest";
import { loadDesiredState } from "../../../core/use-cases/group-sync/load-desired-state";
import { inMemoryLedger } from "../../support/doubles/in-memory-ledger";
import { seedMembership, seedUser, seedVersion, source } from "./support";

describe("loadDesiredState", () => {
  it("loads the users of memberships desired or still applied, and not those of removals already done", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    await ledger.recordGroupName(source, "00gload1", "Load", seedVersion());
    for (const userId of ["00uwanted", "00uleaving", "00ugone"]) await seedUser(ledger, userId);
    await seedMembership(ledger, "00gload1", "00uwanted", { desired: true, applied: false });
    await seedMembership(ledger, "00gload1", "00uleaving", { desired: false, applied: true });
    await seedMembership(ledger, "00gload1", "00ugone", { desired: false, applied: false });
    const group = (await ledger.getGroup(source, "00gload1"))!;

    // Act
    const desired = await loadDesiredState(group, ledger);

    // Assess
    expect([...desired.users.keys()].sort()).toEqual(["00uleaving", "00uwanted"]);
    expect(desired.users.get("00uleaving")).toMatchObject({ idpId: "00uleaving", status: "pending" });
    expect(desired.memberships.map(({ userId, desired, applied }) => ({ userId, desired, applied }))).toEqual(
      [
        { userId: "00ugone", desired: false, applied: false },
        { userId: "00uleaving", desired: false, applied: true },
        { userId: "00uwanted", desired: true, applied: false },
      ],
    );
  });

  it("answers only the group's own memberships, and no user for a member the ledger has no record of", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    await ledger.recordGroupName(source, "00gload2", "Mine", seedVersion());
    await ledger.recordGroupName(source, "00gload3", "Other", seedVersion());
    await seedUser(ledger, "00uknown");
    await seedUser(ledger, "00uelsewhere");
    await seedMembership(ledger, "00gload2", "00uknown", { desired: true, applied: false });
    await ledger.recordDesiredMembership(source, "00gload2", "00unoprofile", true, seedVersion());
    await seedMembership(ledger, "00gload3", "00uelsewhere", { desired: true, applied: false });
    const group = (await ledger.getGroup(source, "00gload2"))!;

    // Act
    const desired = await loadDesiredState(group, ledger);

    // Assess
    expect(desired.memberships.map((membership) => membership.userId)).toEqual(["00uknown", "00unoprofile"]);
    expect([...desired.users.keys()]).toEqual(["00uknown"]);
  });
});
