import { beforeAll, describe, expect, it } from "vitest";
import { lookupNameMaxBytes } from "../../core/ports/ledger-records";
import { at, type ContractLedger, clock, ledgersUnderTest, unique } from "./ledger-implementations";

describe.each(ledgersUnderTest)("GroupRecords contract: $name", ({ fresh }) => {
  let ledger: ContractLedger;

  beforeAll(async () => {
    ledger = await fresh();
  });

  describe("names and newer-wins", () => {
    it("records a new group's name as a pending group with one change to sync", async () => {
      // Prepare
      const group = unique("g");
      const version = at("2025-01-01T00:00:00.000Z");
      const t0 = clock.set("2026-02-01T10:00:00.000Z");

      // Act
      const recorded = await ledger.recordGroupName("okta", group, "Engineering", version);

      // Assess
      expect(recorded).toBe(true);
      expect(await ledger.getGroup("okta", group)).toEqual({
        source: "okta",
        idpId: group,
        name: "Engineering",
        nameVersion: version,
        status: "pending",
        attempts: 0,
        pendingSince: t0,
        updatedAt: t0,
        deleted: false,
        createdByUs: false,
        nestedGroupCount: 0,
        dirtyVersion: 1,
        syncedVersion: 0,
      });
    });

    it("ignores a name older than, or the same as, the one recorded, without marking the group dirty", async () => {
      // Prepare
      const group = unique("g");
      const recordedVersion = at("2025-01-02T00:00:00.000Z");
      await ledger.recordGroupName("okta", group, "Current", recordedVersion);

      // Act
      const older = await ledger.recordGroupName("okta", group, "Older", at("2025-01-01T00:00:00.000Z"));
      const replay = await ledger.recordGroupName("okta", group, "Replay", recordedVersion);

      // Assess
      expect([older, replay]).toEqual([false, false]);
      expect(await ledger.getGroup("okta", group)).toMatchObject({
        name: "Current",
        nameVersion: recordedVersion,
        dirtyVersion: 1,
      });
    });

    it("renames a group for a newer version and counts the change", async () => {
      // Prepare
      const group = unique("g");
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordGroupName("okta", group, "Old", at("2025-01-01T00:00:00.000Z"));
      const t1 = clock.advance(1_000);
      const newer = at("2025-01-02T00:00:00.000Z");

      // Act
      const renamed = await ledger.recordGroupName("okta", group, "New", newer);

      // Assess
      expect(renamed).toBe(true);
      expect(await ledger.getGroup("okta", group)).toMatchObject({
        name: "New",
        nameVersion: newer,
        dirtyVersion: 2,
        pendingSince: t0,
        updatedAt: t1,
      });
    });
  });

  describe("reads", () => {
    it("reads several groups at once, once per id, leaving out unknown ones", async () => {
      // Prepare
      const [first, second] = [unique("g"), unique("g")];
      await ledger.recordGroupName("okta", first, "First", at("2025-01-01T00:00:00.000Z"));
      await ledger.recordGroupName("okta", second, "Second", at("2025-01-01T00:00:00.000Z"));

      // Act
      const groups = await ledger.getGroups("okta", [second, first, second, unique("missing")]);

      // Assess
      expect([...groups.keys()].sort()).toEqual([first, second].sort());
      expect(groups.get(first)).toEqual(await ledger.getGroup("okta", first));
    });

    it("lists a source's groups through the collection, up to the limit, in id order", async () => {
      // Prepare
      const own = await fresh();
      const version = at("2025-01-01T00:00:00.000Z");
      for (const id of ["g-b", "g-c", "g-a"]) await own.recordGroupName("okta", id, `Team ${id}`, version);
      await own.recordGroupName("entra", "g-0", "Other source", version);

      // Act
      const all = await own.listGroups("okta", 10);
      const firstTwo = await own.listGroups("okta", 2);

      // Assess
      expect(all.map((group) => group.idpId).sort()).toEqual(["g-a", "g-b", "g-c"]);
      expect(firstTwo.map((group) => group.idpId).sort()).toEqual(["g-a", "g-b"]);
      expect(all.find((group) => group.idpId === "g-a")).toEqual(await own.getGroup("okta", "g-a"));
    });
  });

  describe("finding by name", () => {
    it("finds a group by name in any letter case, in either source, named one at a time or in an event batch", async () => {
      // Prepare
      const [oktaGroup, entraGroup] = [unique("g"), unique("g")];
      const name = `Team ${unique("Blue")}`;
      await ledger.recordGroupName("okta", oktaGroup, name, at("2025-01-01T00:00:00.000Z"));
      await ledger.recordEventChanges("entra", [
        {
          eventId: unique("evt"),
          groupName: { groupId: entraGroup, name, version: at("2025-01-01T00:00:00.000Z") },
        },
      ]);

      // Act
      const found = await ledger.findGroupsByName(name.toLowerCase());

      // Assess
      expect(found.map((group) => `${group.source}:${group.idpId}`)).toEqual([
        `entra:${entraGroup}`,
        `okta:${oktaGroup}`,
      ]);
      expect(found[1]).toEqual(await ledger.getGroup("okta", oktaGroup));
    });

    it("finds a renamed group under its new name only, and nothing past the lookup limit", async () => {
      // Prepare
      const [group, longNamed] = [unique("g"), unique("g")];
      const [before, after] = [`Old ${unique("n")}`, `New ${unique("n")}`];
      const long = "n".repeat(lookupNameMaxBytes + 1);
      await ledger.recordGroupName("okta", group, before, at("2025-01-01T00:00:00.000Z"));
      await ledger.recordGroupName("okta", longNamed, long, at("2025-01-01T00:00:00.000Z"));

      // Act
      await ledger.recordGroupName("okta", group, after, at("2025-01-02T00:00:00.000Z"));

      // Assess
      expect(await ledger.findGroupsByName(before)).toEqual([]);
      expect((await ledger.findGroupsByName(after)).map((found) => found.idpId)).toEqual([group]);
      expect(await ledger.findGroupsByName(long)).toEqual([]);
      expect(await ledger.getGroup("okta", longNamed)).toMatchObject({ name: long });
    });
  });

  describe("deletion and restoration", () => {
    it("records a deletion newer than the last one, for known groups only", async () => {
      // Prepare
      const [group, stranger] = [unique("g"), unique("g")];
      await ledger.recordGroupName("okta", group, "Doomed", at("2025-01-01T00:00:00.000Z"));
      const deletedAt = at("2025-01-03T00:00:00.000Z");

      // Act
      const known = await ledger.recordGroupDeleted("okta", group, deletedAt);
      const older = await ledger.recordGroupDeleted("okta", group, at("2025-01-02T00:00:00.000Z"));
      const unknown = await ledger.recordGroupDeleted("okta", stranger, deletedAt);

      // Assess
      expect([known, older, unknown]).toEqual([true, false, false]);
      expect(await ledger.getGroup("okta", stranger)).toBeUndefined();
      expect(await ledger.getGroup("okta", group)).toMatchObject({ deleted: true, dirtyVersion: 2 });
    });

    it("restores a deleted group only for a version newer than its deletion", async () => {
      // Prepare
      const [group, neverDeleted] = [unique("g"), unique("g")];
      await ledger.recordGroupName("okta", group, "Back", at("2025-01-01T00:00:00.000Z"));
      await ledger.recordGroupName("okta", neverDeleted, "Here", at("2025-01-01T00:00:00.000Z"));
      await ledger.recordGroupDeleted("okta", group, at("2025-01-03T00:00:00.000Z"));

      // Act
      const notDeleted = await ledger.recordGroupRestored(
        "okta",
        neverDeleted,
        at("2025-01-04T00:00:00.000Z"),
      );
      const older = await ledger.recordGroupRestored("okta", group, at("2025-01-02T00:00:00.000Z"));
      const newer = await ledger.recordGroupRestored("okta", group, at("2025-01-04T00:00:00.000Z"));
      const again = await ledger.recordGroupRestored("okta", group, at("2025-01-05T00:00:00.000Z"));

      // Assess
      expect([notDeleted, older, newer, again]).toEqual([false, false, true, false]);
      expect(await ledger.getGroup("okta", group)).toMatchObject({ deleted: false, dirtyVersion: 3 });
      expect((await ledger.getGroup("okta", neverDeleted))?.dirtyVersion).toBe(1);
    });

    it("refuses a deletion older than the restoration that undid the last one", async () => {
      // Prepare
      const group = unique("g");
      await ledger.recordGroupName("okta", group, "Back", at("2025-01-01T00:00:00.000Z"));
      await ledger.recordGroupDeleted("okta", group, at("2025-01-03T00:00:00.000Z"));
      await ledger.recordGroupRestored("okta", group, at("2025-01-05T00:00:00.000Z"));

      // Act
      const stale = await ledger.recordGroupDeleted("okta", group, at("2025-01-04T00:00:00.000Z"));

      // Assess
      expect(stale).toBe(false);
      expect((await ledger.getGroup("okta", group))?.deleted).toBe(false);
    });
  });

  describe("Kiro bookkeeping", () => {
    it("records the Kiro id, ownership and applied name without marking the group dirty", async () => {
      // Prepare
      const group = unique("g");
      const version = at("2025-01-01T00:00:00.000Z");
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordGroupName("okta", group, "Team", version);
      const t1 = clock.advance(1_000);

      // Act
      await ledger.recordGroupApplied("okta", group, { scimId: "kiro-g1", createdByUs: true, name: "Team" });

      // Assess
      expect(await ledger.getGroup("okta", group)).toEqual({
        source: "okta",
        idpId: group,
        name: "Team",
        nameVersion: version,
        appliedName: "Team",
        scimId: "kiro-g1",
        createdByUs: true,
        status: "pending",
        attempts: 0,
        pendingSince: t0,
        updatedAt: t1,
        deleted: false,
        nestedGroupCount: 0,
        dirtyVersion: 1,
        syncedVersion: 0,
      });
    });

    it("forgets the Kiro id when told it has none, keeping ownership and applied name", async () => {
      // Prepare
      const group = unique("g");
      await ledger.recordGroupName("okta", group, "Team", at("2025-01-01T00:00:00.000Z"));
      await ledger.recordGroupApplied("okta", group, { scimId: "kiro-g1", createdByUs: true, name: "Team" });

      // Act
      await ledger.recordGroupApplied("okta", group, { scimId: undefined });

      // Assess
      const record = await ledger.getGroup("okta", group);
      expect(record).toMatchObject({ createdByUs: true, appliedName: "Team" });
      expect(record?.scimId).toBeUndefined();
    });
  });

  describe("re-read requests", () => {
    it("asks for a re-read newer-wins, with the reconcile run it belongs to, and records the read", async () => {
      // Prepare
      const group = unique("g");
      const requested = at("2025-01-02T00:00:00.000Z");
      const newest = at("2025-01-03T00:00:00.000Z");

      // Act
      const forRun = await ledger.requestGroupRefresh("okta", group, requested, "run-1");
      const afterRun = await ledger.getGroup("okta", group);
      const older = await ledger.requestGroupRefresh("okta", group, at("2025-01-01T00:00:00.000Z"), "run-0");
      const withoutRun = await ledger.requestGroupRefresh("okta", group, newest);
      await ledger.recordGroupRefreshed("okta", group, newest);

      // Assess
      expect([forRun, older, withoutRun]).toEqual([true, false, true]);
      expect(afterRun).toMatchObject({
        refreshRequestedVersion: requested,
        refreshRunId: "run-1",
        dirtyVersion: 1,
      });
      const record = await ledger.getGroup("okta", group);
      expect(record).toMatchObject({
        refreshRequestedVersion: newest,
        refreshedVersion: newest,
        dirtyVersion: 2,
        status: "pending",
      });
      expect(record?.refreshRunId).toBeUndefined();
    });
  });

  describe("the run waiting on a group", () => {
    it("marks the group with the run that queued it only with the re-read it asked for, and forgets it for that run alone", async () => {
      // Prepare
      const group = unique("g");
      await ledger.requestGroupRefresh("okta", group, at("2025-01-02T00:00:00.000Z"), "run-1", "run-1");
      const refused = await ledger.requestGroupRefresh(
        "okta",
        group,
        at("2025-01-01T00:00:00.000Z"),
        "run-0",
        "run-0",
      );
      const marked = await ledger.getGroup("okta", group);

      // Act
      await ledger.clearQueuedByRun("okta", group, "run-other");
      const afterOther = await ledger.getGroup("okta", group);
      await ledger.clearQueuedByRun("okta", group, "run-1");
      await ledger.clearQueuedByRun("okta", unique("unknown"), "run-1");

      // Assess
      expect(refused).toBe(false);
      expect(marked?.queuedByRun).toBe("run-1");
      expect(afterOther?.queuedByRun).toBe("run-1");
      expect((await ledger.getGroup("okta", group))?.queuedByRun).toBeUndefined();
    });

    it("keeps the mark of a run through a newer re-read asked for by an event", async () => {
      // Prepare
      const group = unique("g");
      await ledger.requestGroupRefresh("okta", group, at("2025-01-02T00:00:00.000Z"), "run-1", "run-1");

      // Act
      await ledger.requestGroupRefresh("okta", group, at("2025-01-03T00:00:00.000Z"));

      // Assess
      expect(await ledger.getGroup("okta", group)).toMatchObject({ queuedByRun: "run-1" });
    });

    it("marks invalidated groups with the re-provisioning run that waits for them", async () => {
      // Prepare
      const group = unique("g");
      await ledger.recordGroupName("okta", group, "Team", at("2025-01-01T00:00:00.000Z"));

      // Act
      await ledger.invalidateGroups("okta", [group], "run-reprovision");

      // Assess
      expect(await ledger.getGroup("okta", group)).toMatchObject({ queuedByRun: "run-reprovision" });
    });
  });

  describe("nesting", () => {
    it("counts a group's distinct nested groups and finds each nested group's parents", async () => {
      // Prepare
      const [parentA, parentB, nested, other] = [unique("p"), unique("p"), unique("n"), unique("n")];
      await ledger.recordGroupName("okta", parentA, "A", at("2025-01-01T00:00:00.000Z"));
      await ledger.recordGroupName("okta", parentB, "B", at("2025-01-01T00:00:00.000Z"));

      // Act
      await ledger.recordNestedGroups("okta", parentA, [nested, other, nested]);
      await ledger.recordNestedGroups("okta", parentB, [nested]);

      // Assess
      expect((await ledger.getGroup("okta", parentA))?.nestedGroupCount).toBe(2);
      expect(await ledger.listParentGroups("okta", nested)).toEqual([parentA, parentB].sort());
      expect(await ledger.listParentGroups("okta", other)).toEqual([parentA]);
      expect(await ledger.listParentGroups("entra", nested)).toEqual([]);
    });
  });

  describe("invalidation", () => {
    it("forgets the Kiro ids and applied memberships of groups, marks them dirty, and answers the wanted ones", async () => {
      // Prepare
      const [group, gone] = [unique("g"), unique("g")];
      const [applied, removed, waiting] = [unique("u"), unique("u"), unique("u")];
      const v1 = at("2025-01-01T00:00:00.000Z");
      const v2 = at("2025-01-02T00:00:00.000Z");
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordGroupName("okta", group, "Team", v1);
      await ledger.recordDesiredMembership("okta", group, applied, true, v1);
      await ledger.recordDesiredMembership("okta", group, removed, false, v1);
      await ledger.recordDesiredMembership("okta", group, waiting, true, v2);
      await ledger.recordMembershipsApplied("okta", group, [
        { userId: applied, applied: true, seenVersion: v1 },
        { userId: removed, applied: false, seenVersion: v1 },
      ]);
      await ledger.recordGroupApplied("okta", group, { scimId: "kiro-g", createdByUs: true, name: "Team" });
      await ledger.recordGroupSynced("okta", group, 4);
      await ledger.recordDesiredMembership("okta", gone, unique("u"), true, v1);
      await ledger.recordGroupDeleted("okta", gone, v2);
      const t1 = clock.advance(1_000);

      // Act
      const result = await ledger.invalidateGroups("okta", [group, gone]);

      // Assess
      expect(result).toEqual({ groups: [group], memberships: 3 });
      const record = await ledger.getGroup("okta", group);
      expect(record).toMatchObject({
        createdByUs: false,
        status: "pending",
        pendingSince: t1,
        updatedAt: t1,
        dirtyVersion: 5,
        syncedVersion: 4,
      });
      expect(record?.scimId).toBeUndefined();
      expect(record?.appliedName).toBeUndefined();
      const memberships = await ledger.listMemberships("okta", group);
      expect(memberships.find((m) => m.userId === applied)).toEqual({
        source: "okta",
        groupId: group,
        userId: applied,
        desired: true,
        desiredVersion: v1,
        applied: false,
        status: "pending",
        attempts: 0,
        pendingSince: t1,
        syncedAt: t0,
        lastAttemptAt: t0,
        updatedAt: t1,
      });
      expect(memberships.find((m) => m.userId === removed)).toMatchObject({
        status: "synced",
        applied: false,
      });
      expect(memberships.find((m) => m.userId === waiting)).toMatchObject({
        status: "pending",
        pendingSince: t0,
      });
    });
  });
});
