import { beforeAll, describe, expect, it } from "vitest";
import { changeVersion } from "../../core/domain/identity-source";
import { at, type ContractLedger, clock, ledgersUnderTest, unique } from "./ledger-implementations";

describe.each(ledgersUnderTest)("MembershipRecords contract: $name", ({ fresh }) => {
  let ledger: ContractLedger;

  beforeAll(async () => {
    ledger = await fresh();
  });

  describe("desired state, newer-wins", () => {
    it("records a new desired membership as pending and marks its group dirty, creating the group", async () => {
      // Prepare
      const [group, user] = [unique("g"), unique("u")];
      const version = at("2025-01-01T00:00:00.000Z");
      const t0 = clock.set("2026-02-01T10:00:00.000Z");

      // Act
      const recorded = await ledger.recordDesiredMembership("okta", group, user, true, version);

      // Assess
      expect(recorded).toBe(true);
      expect(await ledger.listMemberships("okta", group)).toEqual([
        {
          source: "okta",
          groupId: group,
          userId: user,
          desired: true,
          desiredVersion: version,
          applied: false,
          status: "pending",
          attempts: 0,
          pendingSince: t0,
          updatedAt: t0,
        },
      ]);
      expect(await ledger.getGroup("okta", group)).toEqual({
        source: "okta",
        idpId: group,
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

    it("ignores a membership change older than the one recorded, without marking the group dirty", async () => {
      // Prepare
      const [group, user] = [unique("g"), unique("u")];
      await ledger.recordDesiredMembership("okta", group, user, true, at("2025-03-04T10:00:02.000Z"));

      // Act
      const olderRemove = await ledger.recordDesiredMembership(
        "okta",
        group,
        user,
        false,
        at("2025-03-04T10:00:01.000Z"),
      );

      // Assess
      expect(olderRemove).toBe(false);
      expect((await ledger.listMemberships("okta", group)).map((m) => m.desired)).toEqual([true]);
      expect((await ledger.getGroup("okta", group))?.dirtyVersion).toBe(1);
    });

    it("breaks a tie on event time by event id, so replays of either event agree", async () => {
      // Prepare
      const [group, user] = [unique("g"), unique("u")];
      const time = "2025-03-04T12:00:00.000Z";
      await ledger.recordDesiredMembership("okta", group, user, true, changeVersion(time, "b-event"));

      // Act
      const lowerId = await ledger.recordDesiredMembership(
        "okta",
        group,
        user,
        false,
        changeVersion(time, "a-event"),
      );
      const replay = await ledger.recordDesiredMembership(
        "okta",
        group,
        user,
        true,
        changeVersion(time, "b-event"),
      );

      // Assess
      expect([lowerId, replay]).toEqual([false, false]);
      expect((await ledger.getGroup("okta", group))?.dirtyVersion).toBe(1);
    });

    it("counts a newer change to the same desired value as a change: pending again and the group dirty", async () => {
      // Prepare
      const [group, user] = [unique("g"), unique("u")];
      const v1 = at("2025-01-01T00:00:00.000Z");
      const v2 = at("2025-01-02T00:00:00.000Z");
      clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordDesiredMembership("okta", group, user, true, v1);
      await ledger.recordMembershipsApplied("okta", group, [
        { userId: user, applied: true, seenVersion: v1 },
      ]);
      const t1 = clock.advance(1_000);

      // Act
      const recorded = await ledger.recordDesiredMembership("okta", group, user, true, v2);

      // Assess
      expect(recorded).toBe(true);
      expect((await ledger.listMemberships("okta", group))[0]).toMatchObject({
        desired: true,
        desiredVersion: v2,
        applied: true,
        status: "pending",
        pendingSince: t1,
      });
      expect((await ledger.getGroup("okta", group))?.dirtyVersion).toBe(2);
    });
  });

  describe("reads", () => {
    it("lists a group's memberships in user id order", async () => {
      // Prepare
      const group = unique("g");
      const version = at("2025-01-01T00:00:00.000Z");
      for (const user of ["u-c", "u-a", "u-b"])
        await ledger.recordDesiredMembership("okta", group, user, true, version);

      // Act
      const memberships = await ledger.listMemberships("okta", group);

      // Assess
      expect(memberships.map((m) => m.userId)).toEqual(["u-a", "u-b", "u-c"]);
    });

    it("finds every group a user was recorded in, removed memberships included", async () => {
      // Prepare
      const user = unique("u");
      const [member, removed] = [`a-${unique("g")}`, `b-${unique("g")}`];
      await ledger.recordDesiredMembership("okta", member, user, true, at("2025-01-01T00:00:00.000Z"));
      await ledger.recordDesiredMembership("okta", removed, user, false, at("2025-01-01T00:00:00.000Z"));
      await ledger.recordDesiredMembership("entra", unique("g"), user, true, at("2025-01-01T00:00:00.000Z"));

      // Act
      const groupIds = await ledger.listGroupIdsOfUser("okta", user);
      const memberships = await ledger.listMembershipsOfUser("okta", user);

      // Assess
      expect(groupIds).toEqual([member, removed]);
      expect(memberships.sort((a, b) => a.groupId.localeCompare(b.groupId))).toEqual([
        (await ledger.listMemberships("okta", member))[0],
        (await ledger.listMemberships("okta", removed))[0],
      ]);
    });
  });

  describe("applied state and sync status", () => {
    it("marks a membership synced when Kiro applied the version the worker saw, clearing its failure", async () => {
      // Prepare
      const [group, user] = [unique("g"), unique("u")];
      const version = at("2025-01-01T00:00:00.000Z");
      clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordDesiredMembership("okta", group, user, true, version);
      await ledger.recordMembershipsFailed("okta", group, [user], {
        reason: "boom",
        errorCode: "SCIM.HTTP_500",
      });
      const t1 = clock.advance(1_000);

      // Act
      await ledger.recordMembershipsApplied("okta", group, [
        { userId: user, applied: true, seenVersion: version },
      ]);

      // Assess
      expect(await ledger.listMemberships("okta", group)).toEqual([
        {
          source: "okta",
          groupId: group,
          userId: user,
          desired: true,
          desiredVersion: version,
          applied: true,
          appliedAt: t1,
          status: "synced",
          attempts: 0,
          syncedAt: t1,
          lastAttemptAt: t1,
          updatedAt: t1,
        },
      ]);
    });

    it("keeps a membership pending when its desired state moved on while the worker was applying", async () => {
      // Prepare
      const [group, user] = [unique("g"), unique("u")];
      const seen = at("2025-01-01T00:00:00.000Z");
      const newer = at("2025-01-01T00:00:01.000Z");
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordDesiredMembership("okta", group, user, true, seen);
      const t1 = clock.advance(1_000);
      await ledger.recordDesiredMembership("okta", group, user, false, newer);
      const t2 = clock.advance(1_000);

      // Act
      await ledger.recordMembershipsApplied("okta", group, [
        { userId: user, applied: true, seenVersion: seen },
      ]);

      // Assess
      expect(await ledger.listMemberships("okta", group)).toEqual([
        {
          source: "okta",
          groupId: group,
          userId: user,
          desired: false,
          desiredVersion: newer,
          applied: true,
          appliedAt: t2,
          status: "pending",
          attempts: 0,
          pendingSince: t0,
          updatedAt: t1,
        },
      ]);
    });

    it("records membership failures with reason, code and a growing attempt count", async () => {
      // Prepare
      const [group, first, second] = [unique("g"), unique("u"), unique("u")];
      const version = at("2025-01-01T00:00:00.000Z");
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordDesiredMembership("okta", group, first, true, version);
      await ledger.recordDesiredMembership("okta", group, second, true, version);
      const failure = { reason: "Kiro refused the member", errorCode: "SCIM.HTTP_400" };
      await ledger.recordMembershipsFailed("okta", group, [first], failure);
      const t1 = clock.advance(1_000);

      // Act
      await ledger.recordMembershipsFailed("okta", group, [first, second], failure);

      // Assess
      const byUser = new Map((await ledger.listMemberships("okta", group)).map((m) => [m.userId, m]));
      expect(byUser.get(first)).toMatchObject({
        status: "failed",
        ...failure,
        attempts: 2,
        pendingSince: t0,
        lastAttemptAt: t1,
        updatedAt: t1,
      });
      expect(byUser.get(second)).toMatchObject({ status: "failed", attempts: 1 });
    });
  });
});
