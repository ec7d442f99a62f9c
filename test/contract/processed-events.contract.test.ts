import { beforeAll, describe, expect, it } from "vitest";
import type { EventChanges, GroupRecord, MembershipRecord } from "../../core/ports/ledger-records";
import { at, type ContractLedger, clock, ledgersUnderTest, profile, unique } from "./ledger-implementations";

describe.each(ledgersUnderTest)("ProcessedEvents contract: $name", ({ fresh }) => {
  let ledger: ContractLedger;

  beforeAll(async () => {
    ledger = await fresh();
  });

  const threeDays = 3 * 24 * 3600 * 1000;

  /** An event adding `userId` to `groupId` that also asks for the user's profile, as a hook delivery does. */
  const add = (groupId: string, userId: string, version: string): EventChanges => ({
    eventId: unique("evt"),
    membership: { groupId, userId, desired: true, version },
    profileRequest: { userId, version },
  });

  const remove = (groupId: string, userId: string, version: string): EventChanges => ({
    eventId: unique("evt"),
    membership: { groupId, userId, desired: false, version },
  });

  const rename = (groupId: string, name: string, version: string): EventChanges => ({
    eventId: unique("evt"),
    groupName: { groupId, name, version },
  });

  /** A group a batch (or a one-at-a-time write) created at `when` and has not synced. */
  const pendingGroup = (groupId: string, when: string, changes: Partial<GroupRecord>): GroupRecord => ({
    source: "okta",
    idpId: groupId,
    status: "pending",
    attempts: 0,
    pendingSince: when,
    updatedAt: when,
    deleted: false,
    createdByUs: false,
    nestedGroupCount: 0,
    dirtyVersion: 1,
    syncedVersion: 0,
    ...changes,
  });

  const pendingMembership = (
    groupId: string,
    userId: string,
    desired: boolean,
    version: string,
    when: string,
  ): MembershipRecord => ({
    source: "okta",
    groupId,
    userId,
    desired,
    desiredVersion: version,
    applied: false,
    status: "pending",
    attempts: 0,
    pendingSince: when,
    updatedAt: when,
  });

  const desiredOf = async (groupId: string) =>
    Object.fromEntries((await ledger.listMemberships("okta", groupId)).map((m) => [m.userId, m.desired]));

  describe("event marks", () => {
    it("marks an event the first time and refuses its redelivery, each source apart", async () => {
      // Prepare
      const eventId = unique("evt");

      // Act
      const first = await ledger.markEventProcessed("okta", eventId);
      const redelivery = await ledger.markEventProcessed("okta", eventId);
      const otherSource = await ledger.markEventProcessed("entra", eventId);

      // Assess
      expect([first, redelivery, otherSource]).toEqual([true, false, true]);
    });

    it("answers whether an event was processed, each source apart", async () => {
      // Prepare
      const eventId = unique("evt");
      const before = await ledger.hasProcessedEvent("okta", eventId);

      // Act
      await ledger.markEventProcessed("okta", eventId);

      // Assess
      expect(before).toBe(false);
      expect(await ledger.hasProcessedEvent("okta", eventId)).toBe(true);
      expect(await ledger.hasProcessedEvent("entra", eventId)).toBe(false);
    });

    it("forgets a mark once its time to live has passed, so the event is accepted again", async () => {
      // Prepare
      const eventId = unique("evt");
      clock.set("2026-02-01T10:00:00.000Z");
      await ledger.markEventProcessed("okta", eventId, 60);
      clock.advance(59_000);
      const withinWindow = await ledger.hasProcessedEvent("okta", eventId);
      clock.advance(2_000);

      // Act
      const afterWindow = await ledger.hasProcessedEvent("okta", eventId);
      const markedAgain = await ledger.markEventProcessed("okta", eventId, 60);

      // Assess
      expect([withinWindow, afterWindow, markedAgain]).toEqual([true, false, true]);
      expect(await ledger.hasProcessedEvent("okta", eventId)).toBe(true);
    });

    it("keeps a mark for the ledger's default window of three days", async () => {
      // Prepare
      const eventId = unique("evt");
      clock.set("2026-02-01T10:00:00.000Z");
      await ledger.markEventProcessed("okta", eventId);

      // Act
      clock.advance(threeDays - 1_000);
      const lastSecond = await ledger.hasProcessedEvent("okta", eventId);
      clock.advance(2_000);
      const past = await ledger.hasProcessedEvent("okta", eventId);

      // Assess
      expect([lastSecond, past]).toEqual([true, false]);
    });

    it("answers which of many event ids were processed, leaving out unmarked, expired and other sources' ones", async () => {
      // Prepare
      clock.set("2026-02-01T10:00:00.000Z");
      const ids = Array.from({ length: 130 }, () => unique("evt"));
      const marked = ids.filter((_, index) => index % 3 === 0);
      for (const id of marked) await ledger.markEventProcessed("okta", id);
      const [expired, ofEntra] = [unique("evt"), unique("evt")];
      await ledger.markEventProcessed("okta", expired, 60);
      await ledger.markEventProcessed("entra", ofEntra);
      clock.advance(61_000);

      // Act
      const processed = await ledger.hasProcessedEvents("okta", [...ids, expired, ofEntra, ids[0]!]);

      // Assess
      expect([...processed].sort()).toEqual([...marked].sort());
    });

    it("answers no processed events when asked about none", async () => {
      // Act
      const processed = await ledger.hasProcessedEvents("okta", []);

      // Assess
      expect(processed).toEqual(new Set());
    });
  });

  describe("recording a batch of event changes", () => {
    it("records memberships, a name and profile requests as the one-at-a-time writes do, and marks every event", async () => {
      // Prepare
      const [group, first, second] = [unique("g"), unique("u"), unique("u")];
      const v1 = at("2025-03-01T00:00:01.000Z");
      const v2 = at("2025-03-01T00:00:02.000Z");
      const v3 = at("2025-03-01T00:00:03.000Z");
      const batch = [add(group, first, v1), add(group, second, v2), rename(group, "Team Blue", v3)];
      const t0 = clock.set("2026-02-01T10:00:00.000Z");

      // Act
      await ledger.recordEventChanges("okta", batch);

      // Assess
      expect(await ledger.getGroup("okta", group)).toEqual(
        pendingGroup(group, t0, { name: "Team Blue", nameVersion: v3, dirtyVersion: 3 }),
      );
      expect(await ledger.listMemberships("okta", group)).toEqual(
        [pendingMembership(group, first, true, v1, t0), pendingMembership(group, second, true, v2, t0)].sort(
          (a, b) => (a.userId < b.userId ? -1 : 1),
        ),
      );
      expect(await ledger.getUser("okta", first)).toEqual({
        source: "okta",
        idpId: first,
        profileRequestedVersion: v1,
        lifecycle: "active",
        status: "pending",
        attempts: 0,
        pendingSince: t0,
        updatedAt: t0,
      });
      expect(await ledger.listGroupIdsOfUser("okta", second)).toEqual([group]);
      expect(
        await ledger.hasProcessedEvents(
          "okta",
          batch.map((event) => event.eventId),
        ),
      ).toEqual(new Set(batch.map((event) => event.eventId)));
    });

    it("lets the newest change to an item win whatever order the batch lists them in", async () => {
      // Prepare
      const [group, user, otherGroup, otherUser] = [unique("g"), unique("u"), unique("g"), unique("u")];
      const older = at("2025-03-04T11:00:05.000Z");
      const newer = at("2025-03-04T11:00:06.000Z");

      // Act
      await ledger.recordEventChanges("okta", [
        add(group, user, older),
        remove(group, user, newer),
        rename(group, "Old name", older),
        rename(group, "New name", newer),
      ]);
      await ledger.recordEventChanges("okta", [
        remove(otherGroup, otherUser, newer),
        add(otherGroup, otherUser, older),
        rename(otherGroup, "New name", newer),
        rename(otherGroup, "Old name", older),
      ]);

      // Assess
      expect([await desiredOf(group), await desiredOf(otherGroup)]).toEqual([
        { [user]: false },
        { [otherUser]: false },
      ]);
      expect([
        (await ledger.getGroup("okta", group))?.name,
        (await ledger.getGroup("okta", otherGroup))?.name,
      ]).toEqual(["New name", "New name"]);
    });

    it("records the fresh changes of a batch around a stale one, the group dirty once per recorded change", async () => {
      // Prepare
      const [group, staleUser, freshUser] = [unique("g"), unique("u"), unique("u")];
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordDesiredMembership("okta", group, staleUser, true, at("2025-05-01T00:00:00.000Z"));
      const stale = remove(group, staleUser, at("2025-04-01T00:00:00.000Z"));
      const freshVersion = at("2025-04-01T00:00:00.000Z");
      const current = add(group, freshUser, freshVersion);
      const t1 = clock.advance(60_000);

      // Act
      await ledger.recordEventChanges("okta", [stale, current]);

      // Assess
      expect(await desiredOf(group)).toEqual({ [staleUser]: true, [freshUser]: true });
      expect(await ledger.getGroup("okta", group)).toEqual(
        pendingGroup(group, t0, { updatedAt: t1, dirtyVersion: 2 }),
      );
      expect((await ledger.listMemberships("okta", group)).find((m) => m.userId === freshUser)).toEqual(
        pendingMembership(group, freshUser, true, freshVersion, t1),
      );
      expect(await ledger.hasProcessedEvents("okta", [stale.eventId, current.eventId])).toEqual(
        new Set([stale.eventId, current.eventId]),
      );
    });

    it("leaves a group untouched when every change of the batch to it is refused, yet marks the events", async () => {
      // Prepare
      const [group, user] = [unique("g"), unique("u")];
      clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordGroupName("okta", group, "Team", at("2025-05-01T00:00:00.000Z"));
      await ledger.recordDesiredMembership("okta", group, user, true, at("2025-05-01T00:00:00.000Z"));
      await ledger.recordGroupSynced("okta", group, 2);
      const synced = await ledger.getGroup("okta", group);
      const batch = [
        remove(group, user, at("2025-04-01T00:00:00.000Z")),
        rename(group, "Old", at("2025-04-01T00:00:00.000Z")),
      ];
      clock.advance(60_000);

      // Act
      await ledger.recordEventChanges("okta", batch);

      // Assess
      expect(synced?.status).toBe("synced");
      expect(await ledger.getGroup("okta", group)).toEqual(synced);
      expect(await desiredOf(group)).toEqual({ [user]: true });
      expect(
        await ledger.hasProcessedEvents(
          "okta",
          batch.map((event) => event.eventId),
        ),
      ).toEqual(new Set(batch.map((event) => event.eventId)));
    });

    it("records the memberships of a group whose name change in the batch is older than the one recorded", async () => {
      // Prepare
      const [group, user] = [unique("g"), unique("u")];
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      const nameVersion = at("2025-05-01T00:00:00.000Z");
      await ledger.recordGroupName("okta", group, "Current name", nameVersion);
      const memberVersion = at("2025-04-01T00:00:00.000Z");

      // Act
      await ledger.recordEventChanges("okta", [
        rename(group, "Stale name", at("2025-04-01T00:00:00.000Z")),
        add(group, user, memberVersion),
      ]);

      // Assess
      expect(await ledger.getGroup("okta", group)).toEqual(
        pendingGroup(group, t0, { name: "Current name", nameVersion, dirtyVersion: 2 }),
      );
      expect(await ledger.listMemberships("okta", group)).toEqual([
        pendingMembership(group, user, true, memberVersion, t0),
      ]);
    });

    it("asks for a profile only for users the ledger has none for and no newer request, as requestUserProfile does", async () => {
      // Prepare
      const group = unique("g");
      const [withProfile, requestedLater, unknown] = [unique("u"), unique("u"), unique("u")];
      clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordUserProfile(
        "okta",
        withProfile,
        profile(withProfile),
        at("2025-01-01T00:00:00.000Z"),
      );
      const laterRequest = at("2025-09-01T00:00:00.000Z");
      await ledger.requestUserProfile("okta", requestedLater, laterRequest, { onlyIfKnown: false });
      const before = await ledger.getUsers("okta", [withProfile, requestedLater]);
      const version = at("2025-06-01T00:00:00.000Z");
      const t1 = clock.advance(60_000);

      // Act
      await ledger.recordEventChanges("okta", [
        add(group, withProfile, version),
        add(group, requestedLater, version),
        add(group, unknown, version),
      ]);

      // Assess
      expect(await ledger.getUser("okta", withProfile)).toEqual(before.get(withProfile));
      expect(await ledger.getUser("okta", requestedLater)).toEqual(before.get(requestedLater));
      expect(await ledger.getUser("okta", unknown)).toEqual({
        source: "okta",
        idpId: unknown,
        profileRequestedVersion: version,
        lifecycle: "active",
        status: "pending",
        attempts: 0,
        pendingSince: t1,
        updatedAt: t1,
      });
    });

    it("marks an event that carries no change, and starts the window of one marked before again", async () => {
      // Prepare
      const [bare, markedBefore] = [unique("evt"), unique("evt")];
      clock.set("2026-02-01T10:00:00.000Z");
      await ledger.markEventProcessed("okta", markedBefore, 60);
      clock.advance(30_000);

      // Act
      await ledger.recordEventChanges("okta", [{ eventId: bare }, { eventId: markedBefore }], 60);
      clock.advance(45_000);

      // Assess
      expect(await ledger.hasProcessedEvents("okta", [bare, markedBefore])).toEqual(
        new Set([bare, markedBefore]),
      );
    });
  });
});
