import { describe, expect, it } from "vitest";
import type { AttemptRecord, LedgerKind, StatusEntry } from "../../core/ports/ledger-records";
import { at, clock, ledgersUnderTest, profile } from "./ledger-implementations";

/** Each test starts from an empty ledger: the queries read across every item of a source. */
describe.each(ledgersUnderTest)("StatusQueries contract: $name", ({ fresh }) => {
  const entry = (kind: LedgerKind, id: string, changes: Partial<StatusEntry>): StatusEntry => ({
    kind,
    source: "okta",
    id,
    status: "pending",
    attempts: 0,
    ...changes,
  });

  describe("by status", () => {
    it("lists pending items oldest first, by when their first unsynced change landed", async () => {
      // Prepare
      const ledger = await fresh();
      const landed = ["2026-02-01T10:00:03.000Z", "2026-02-01T10:00:01.000Z", "2026-02-01T10:00:02.000Z"];
      for (const [index, time] of landed.entries()) {
        clock.set(time);
        await ledger.recordUserProfile("okta", `user-${index}`, profile(`user-${index}`), at(time));
      }
      const t5 = clock.set("2026-02-01T10:05:00.000Z");
      await ledger.recordUserProfile("okta", "user-1", profile("user-1", { title: "later edit" }), at(t5));

      // Act
      const pending = await ledger.listByStatus("okta", "USER", "pending", 10);

      // Assess
      expect(pending).toEqual([
        entry("USER", "user-1", { pendingSince: "2026-02-01T10:00:01.000Z", updatedAt: t5 }),
        entry("USER", "user-2", {
          pendingSince: "2026-02-01T10:00:02.000Z",
          updatedAt: "2026-02-01T10:00:02.000Z",
        }),
        entry("USER", "user-0", {
          pendingSince: "2026-02-01T10:00:03.000Z",
          updatedAt: "2026-02-01T10:00:03.000Z",
        }),
      ]);
    });

    it("lists no more than the limit, the oldest ones", async () => {
      // Prepare
      const ledger = await fresh();
      for (const [groupId, time] of [
        ["g-b", "2026-02-01T10:00:02.000Z"],
        ["g-c", "2026-02-01T10:00:03.000Z"],
        ["g-a", "2026-02-01T10:00:01.000Z"],
      ] as const) {
        clock.set(time);
        await ledger.recordGroupName("okta", groupId, `Team ${groupId}`, at(time));
      }

      // Act
      const oldestTwo = await ledger.listByStatus("okta", "GROUP", "pending", 2);

      // Assess
      expect(oldestTwo).toEqual([
        entry("GROUP", "g-a", {
          pendingSince: "2026-02-01T10:00:01.000Z",
          updatedAt: "2026-02-01T10:00:01.000Z",
        }),
        entry("GROUP", "g-b", {
          pendingSince: "2026-02-01T10:00:02.000Z",
          updatedAt: "2026-02-01T10:00:02.000Z",
        }),
      ]);
    });

    it("lists synced users and groups by when they were synced", async () => {
      // Prepare
      const ledger = await fresh();
      const version = at("2025-01-01T00:00:00.000Z");
      clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordUserProfile("okta", "u-a", profile("u-a"), version);
      await ledger.recordUserProfile("okta", "u-b", profile("u-b"), version);
      await ledger.recordGroupName("okta", "g-a", "Team A", version);
      const t1 = clock.set("2026-02-01T11:00:00.000Z");
      await ledger.recordUserSynced("okta", "u-b", "scim-b", {
        profileVersion: version,
        lifecycleVersion: undefined,
      });
      await ledger.recordGroupSynced("okta", "g-a", 1);
      const t2 = clock.advance(60_000);
      await ledger.recordUserSynced("okta", "u-a", "scim-a", {
        profileVersion: version,
        lifecycleVersion: undefined,
      });

      // Act
      const syncedUsers = await ledger.listByStatus("okta", "USER", "synced", 10);
      const syncedGroups = await ledger.listByStatus("okta", "GROUP", "synced", 10);

      // Assess
      const synced = (kind: LedgerKind, id: string, when: string) =>
        entry(kind, id, { status: "synced", syncedAt: when, lastAttemptAt: when, updatedAt: when });
      expect(syncedUsers).toEqual([synced("USER", "u-b", t1), synced("USER", "u-a", t2)]);
      expect(syncedGroups).toEqual([synced("GROUP", "g-a", t1)]);
      expect(await ledger.listByStatus("okta", "USER", "pending", 10)).toEqual([]);
    });

    it("lists failed and quarantined items under their status, by when their change landed", async () => {
      // Prepare
      const ledger = await fresh();
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordGroupName("okta", "g-failed", "Team F", at("2025-01-01T00:00:00.000Z"));
      await ledger.recordGroupName("okta", "g-quarantined", "Team Q", at("2025-01-01T00:00:00.000Z"));
      await ledger.recordDesiredMembership("okta", "g-failed", "u-1", true, at("2025-01-02T00:00:00.000Z"));
      const t1 = clock.advance(60_000);
      const last: AttemptRecord = {
        attempt: 5,
        at: t1,
        errorCode: "SCIM.HTTP_503",
        reason: "Kiro answered 503",
      };
      await ledger.recordGroupFailed("okta", "g-failed", {
        reason: "Kiro answered 500",
        errorCode: "SCIM.HTTP_500",
      });
      await ledger.quarantineGroup("okta", "g-quarantined", last);
      await ledger.recordMembershipsFailed("okta", "g-failed", ["u-1"], {
        reason: "Kiro refused the member",
        errorCode: "SCIM.HTTP_400",
      });

      // Act
      const failedGroups = await ledger.listByStatus("okta", "GROUP", "failed", 10);
      const quarantined = await ledger.listByStatus("okta", "GROUP", "quarantined", 10);
      const failedMembers = await ledger.listByStatus("okta", "MEMBER", "failed", 10);

      // Assess
      const failedAt = { pendingSince: t0, lastAttemptAt: t1, updatedAt: t1 };
      expect(failedGroups).toEqual([
        entry("GROUP", "g-failed", {
          status: "failed",
          reason: "Kiro answered 500",
          errorCode: "SCIM.HTTP_500",
          attempts: 1,
          ...failedAt,
        }),
      ]);
      expect(quarantined).toEqual([
        entry("GROUP", "g-quarantined", {
          status: "quarantined",
          reason: "Kiro answered 503",
          errorCode: "SCIM.HTTP_503",
          attempts: 5,
          attemptHistory: [last],
          ...failedAt,
        }),
      ]);
      expect(failedMembers).toEqual([
        entry("MEMBER", "g-failed/u-1", {
          status: "failed",
          reason: "Kiro refused the member",
          errorCode: "SCIM.HTTP_400",
          attempts: 1,
          ...failedAt,
        }),
      ]);
      expect(await ledger.listByStatus("okta", "GROUP", "pending", 10)).toEqual([]);
    });

    it("counts an item under its current status only, as it moves from pending to failed to synced", async () => {
      // Prepare
      const ledger = await fresh();
      const version = at("2025-01-01T00:00:00.000Z");
      const counts = async () =>
        Promise.all(
          (["pending", "failed", "synced"] as const).map((status) =>
            ledger.countByStatus("okta", "USER", status),
          ),
        );

      // Act
      await ledger.recordUserProfile("okta", "u-1", profile("u-1"), version);
      const pending = await counts();
      await ledger.recordUserFailed("okta", "u-1", {
        reason: "Kiro answered 500",
        errorCode: "SCIM.HTTP_500",
      });
      const failed = await counts();
      await ledger.recordUserSynced("okta", "u-1", "scim-1", {
        profileVersion: version,
        lifecycleVersion: undefined,
      });
      const synced = await counts();

      // Assess
      expect([pending, failed, synced]).toEqual([
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ]);
    });

    it("drops a membership from the index once applied, keeping one a newer change landed on while applying", async () => {
      // Prepare
      const ledger = await fresh();
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      const seen = at("2025-01-01T00:00:00.000Z");
      await ledger.recordDesiredMembership("okta", "g-1", "u-applied", true, seen);
      await ledger.recordDesiredMembership("okta", "g-1", "u-changed", true, seen);
      const t1 = clock.advance(1_000);
      await ledger.recordDesiredMembership("okta", "g-1", "u-changed", false, at("2025-01-02T00:00:00.000Z"));

      // Act
      await ledger.recordMembershipsApplied("okta", "g-1", [
        { userId: "u-applied", applied: true, seenVersion: seen },
        { userId: "u-changed", applied: true, seenVersion: seen },
      ]);

      // Assess
      expect(await ledger.listByStatus("okta", "MEMBER", "pending", 10)).toEqual([
        entry("MEMBER", "g-1/u-changed", { pendingSince: t0, updatedAt: t1 }),
      ]);
      expect(await ledger.listByStatus("okta", "MEMBER", "synced", 10)).toEqual([]);
    });

    it("refuses to count synced memberships, which the index does not hold", async () => {
      // Prepare
      const ledger = await fresh();

      // Act
      const counting = ledger.countByStatus("okta", "MEMBER", "synced");

      // Assess
      await expect(counting).rejects.toThrow("synced memberships are not indexed by status");
    });

    it("keeps sources and kinds apart", async () => {
      // Prepare
      const ledger = await fresh();
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      const version = at("2025-01-01T00:00:00.000Z");
      await ledger.recordUserProfile("okta", "u-1", profile("u-1"), version);
      await ledger.recordUserProfile("entra", "u-2", profile("u-2"), version);
      await ledger.recordGroupName("okta", "g-1", "Team", version);
      const t1 = clock.advance(1_000);
      await ledger.recordUserProfile("entra", "u-1", profile("u-1"), version);

      // Act
      const counts = await Promise.all([
        ledger.countByStatus("okta", "USER", "pending"),
        ledger.countByStatus("entra", "USER", "pending"),
        ledger.countByStatus("okta", "GROUP", "pending"),
        ledger.countByStatus("entra", "GROUP", "pending"),
      ]);
      const entraUsers = await ledger.listByStatus("entra", "USER", "pending", 10);

      // Assess
      expect(counts).toEqual([1, 2, 1, 0]);
      expect(entraUsers).toEqual([
        entry("USER", "u-2", { source: "entra", pendingSince: t0, updatedAt: t0 }),
        entry("USER", "u-1", { source: "entra", pendingSince: t1, updatedAt: t1 }),
      ]);
    });
  });

  describe("paging ids", () => {
    it("pages a source's user ids in id order, resuming after the last one answered", async () => {
      // Prepare
      const ledger = await fresh();
      const version = at("2025-01-01T00:00:00.000Z");
      for (const userId of ["u-3", "u-1", "u-5", "u-2", "u-4"])
        await ledger.recordUserProfile("okta", userId, profile(userId), version);
      await ledger.recordUserProfile("entra", "u-0", profile("u-0"), version);

      // Act
      const first = await ledger.pageIds("okta", "USER", { limit: 2 });
      const second = await ledger.pageIds("okta", "USER", { after: first.last, limit: 2 });
      const third = await ledger.pageIds("okta", "USER", { after: second.last, limit: 2 });

      // Assess
      expect([first, second, third]).toEqual([
        { ids: ["u-1", "u-2"], last: "u-2" },
        { ids: ["u-3", "u-4"], last: "u-4" },
        { ids: ["u-5"], last: undefined },
      ]);
    });

    it("pages group ids apart from user ids", async () => {
      // Prepare
      const ledger = await fresh();
      const version = at("2025-01-01T00:00:00.000Z");
      await ledger.recordGroupName("okta", "g-2", "Team 2", version);
      await ledger.recordDesiredMembership("okta", "g-1", "u-1", true, version);
      await ledger.recordUserProfile("okta", "u-1", profile("u-1"), version);

      // Act
      const groups = await ledger.pageIds("okta", "GROUP", { limit: 10 });

      // Assess
      expect(groups).toEqual({ ids: ["g-1", "g-2"], last: undefined });
    });

    it("answers a full page's last id even when none follows, and then an empty page", async () => {
      // Prepare
      const ledger = await fresh();
      const version = at("2025-01-01T00:00:00.000Z");
      for (const userId of ["u-1", "u-2"])
        await ledger.recordUserProfile("okta", userId, profile(userId), version);

      // Act
      const full = await ledger.pageIds("okta", "USER", { limit: 2 });
      const after = await ledger.pageIds("okta", "USER", { after: full.last, limit: 2 });

      // Assess
      expect([full, after]).toEqual([
        { ids: ["u-1", "u-2"], last: "u-2" },
        { ids: [], last: undefined },
      ]);
    });

    it("resumes after an id the ledger does not hold", async () => {
      // Prepare
      const ledger = await fresh();
      const version = at("2025-01-01T00:00:00.000Z");
      for (const userId of ["u-1", "u-2", "u-3"])
        await ledger.recordUserProfile("okta", userId, profile(userId), version);

      // Act
      const page = await ledger.pageIds("okta", "USER", { after: "u-15", limit: 10 });

      // Assess
      expect(page).toEqual({ ids: ["u-2", "u-3"], last: undefined });
    });

    it("pages only the users and groups a change was recorded for, not items bookkeeping alone wrote", async () => {
      // Prepare
      const ledger = await fresh();
      await ledger.recordUserProfile("okta", "u-known", profile("u-known"), at("2025-01-01T00:00:00.000Z"));
      await ledger.recordGroupName("okta", "g-known", "Team", at("2025-01-01T00:00:00.000Z"));

      // Act
      await ledger.recordUserFailed("okta", "u-bare", {
        reason: "Kiro answered 500",
        errorCode: "SCIM.HTTP_500",
      });
      await ledger.recordGroupApplied("okta", "g-bare", { scimId: "kiro-g-bare", createdByUs: true });

      // Assess
      expect(await ledger.pageIds("okta", "USER", { limit: 10 })).toEqual({
        ids: ["u-known"],
        last: undefined,
      });
      expect(await ledger.pageIds("okta", "GROUP", { limit: 10 })).toEqual({
        ids: ["g-known"],
        last: undefined,
      });
    });
  });
});
