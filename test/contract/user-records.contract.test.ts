import { beforeAll, describe, expect, it } from "vitest";
import { lookupNameMaxBytes } from "../../core/ports/ledger-records";
import { at, type ContractLedger, clock, ledgersUnderTest, profile, unique } from "./ledger-implementations";

describe.each(ledgersUnderTest)("UserRecords contract: $name", ({ fresh }) => {
  let ledger: ContractLedger;

  beforeAll(async () => {
    ledger = await fresh();
  });

  describe("newer-wins profile and lifecycle", () => {
    it("records a new user's profile as a pending, active user", async () => {
      // Prepare
      const user = unique("u");
      const version = at("2025-01-01T00:00:00.000Z");
      const t0 = clock.set("2026-02-01T10:00:00.000Z");

      // Act
      const recorded = await ledger.recordUserProfile("okta", user, profile(user), version);

      // Assess
      expect(recorded).toBe(true);
      expect(await ledger.getUser("okta", user)).toEqual({
        source: "okta",
        idpId: user,
        profile: profile(user),
        profileVersion: version,
        lifecycle: "active",
        status: "pending",
        attempts: 0,
        pendingSince: t0,
        updatedAt: t0,
      });
    });

    it("ignores a profile change older than, or the same as, the one recorded", async () => {
      // Prepare
      const user = unique("u");
      const recordedVersion = at("2025-01-02T00:00:00.000Z");
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordUserProfile("okta", user, profile(user), recordedVersion);
      clock.advance(60_000);

      // Act
      const older = await ledger.recordUserProfile(
        "okta",
        user,
        profile(user, { displayName: "Older" }),
        at("2025-01-01T00:00:00.000Z"),
      );
      const replay = await ledger.recordUserProfile(
        "okta",
        user,
        profile(user, { displayName: "Replay" }),
        recordedVersion,
      );

      // Assess
      expect([older, replay]).toEqual([false, false]);
      expect(await ledger.getUser("okta", user)).toEqual({
        source: "okta",
        idpId: user,
        profile: profile(user),
        profileVersion: recordedVersion,
        lifecycle: "active",
        status: "pending",
        attempts: 0,
        pendingSince: t0,
        updatedAt: t0,
      });
    });

    it("keeps the time of the first unsynced change as pendingSince when a newer profile lands", async () => {
      // Prepare
      const user = unique("u");
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordUserProfile("okta", user, profile(user), at("2025-01-01T00:00:00.000Z"));
      const t1 = clock.advance(5_000);
      const newer = at("2025-01-02T00:00:00.000Z");

      // Act
      const recorded = await ledger.recordUserProfile("okta", user, profile(user, { title: "Lead" }), newer);

      // Assess
      expect(recorded).toBe(true);
      expect(await ledger.getUser("okta", user)).toMatchObject({
        profile: profile(user, { title: "Lead" }),
        profileVersion: newer,
        pendingSince: t0,
        updatedAt: t1,
      });
    });

    it("applies lifecycle changes to known users only, each newer than the last lifecycle change", async () => {
      // Prepare
      const [known, stranger] = [unique("u"), unique("u")];
      const profileVersion = at("2025-01-01T00:00:00.000Z");
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordUserProfile("okta", known, profile(known), profileVersion);
      const t1 = clock.advance(1_000);
      const lifecycleVersion = at("2025-01-03T00:00:00.000Z");

      // Act
      const deactivated = await ledger.recordUserLifecycle("okta", known, "inactive", lifecycleVersion);
      const olderThanLifecycle = await ledger.recordUserLifecycle(
        "okta",
        known,
        "active",
        at("2025-01-02T00:00:00.000Z"),
      );
      const forStranger = await ledger.recordUserLifecycle(
        "okta",
        stranger,
        "deleted",
        at("2025-01-03T00:00:00.000Z"),
      );

      // Assess
      expect([deactivated, olderThanLifecycle, forStranger]).toEqual([true, false, false]);
      expect(await ledger.getUser("okta", stranger)).toBeUndefined();
      expect(await ledger.getUser("okta", known)).toEqual({
        source: "okta",
        idpId: known,
        profile: profile(known),
        profileVersion,
        lifecycle: "inactive",
        lifecycleVersion,
        status: "pending",
        attempts: 0,
        pendingSince: t0,
        updatedAt: t1,
      });
    });

    it("orders profile changes on their own version, not the lifecycle's", async () => {
      // Prepare
      const user = unique("u");
      await ledger.recordUserProfile("okta", user, profile(user), at("2025-01-02T00:00:00.000Z"));
      await ledger.recordUserLifecycle("okta", user, "inactive", at("2025-01-05T00:00:00.000Z"));

      // Act
      const newerProfile = await ledger.recordUserProfile(
        "okta",
        user,
        profile(user, { displayName: "Renamed" }),
        at("2025-01-03T00:00:00.000Z"),
      );

      // Assess
      expect(newerProfile).toBe(true);
      expect(await ledger.getUser("okta", user)).toMatchObject({
        lifecycle: "inactive",
        profile: { displayName: "Renamed" },
      });
    });
  });

  describe("profile read requests", () => {
    it("requests a profile read newer-wins, creating the user unless only known users may be asked", async () => {
      // Prepare
      const [stranger, requested] = [unique("u"), unique("u")];
      const version = at("2025-01-05T00:00:00.000Z");
      const t0 = clock.set("2026-02-01T10:00:00.000Z");

      // Act
      const forStranger = await ledger.requestUserProfile("okta", stranger, version, { onlyIfKnown: true });
      const first = await ledger.requestUserProfile("okta", requested, version, { onlyIfKnown: false });
      const older = await ledger.requestUserProfile("okta", requested, at("2025-01-04T00:00:00.000Z"), {
        onlyIfKnown: false,
      });

      // Assess
      expect([forStranger, first, older]).toEqual([false, true, false]);
      expect(await ledger.getUser("okta", stranger)).toBeUndefined();
      expect(await ledger.getUser("okta", requested)).toEqual({
        source: "okta",
        idpId: requested,
        profileRequestedVersion: version,
        lifecycle: "active",
        status: "pending",
        attempts: 0,
        pendingSince: t0,
        updatedAt: t0,
      });
    });

    it("skips users that have a profile when asked for users without one only", async () => {
      // Prepare
      const withProfile = unique("u");
      await ledger.recordUserProfile(
        "okta",
        withProfile,
        profile(withProfile),
        at("2025-01-01T00:00:00.000Z"),
      );
      const later = at("2025-01-05T00:00:00.000Z");

      // Act
      const skipped = await ledger.requestUserProfile("okta", withProfile, later, {
        onlyIfKnown: false,
        onlyIfNoProfile: true,
      });
      const asked = await ledger.requestUserProfile("okta", withProfile, later, { onlyIfKnown: true });

      // Assess
      expect([skipped, asked]).toEqual([false, true]);
      expect((await ledger.getUser("okta", withProfile))?.profileRequestedVersion).toBe(later);
    });
  });

  describe("reads", () => {
    it("reads several users at once, once per id, leaving out unknown ones and other sources", async () => {
      // Prepare
      const [first, second] = [unique("u"), unique("u")];
      const version = at("2025-01-01T00:00:00.000Z");
      await ledger.recordUserProfile("okta", first, profile(first), version);
      await ledger.recordUserProfile("okta", second, profile(second), version);
      await ledger.recordUserProfile("entra", unique("u"), profile("entra-user"), version);

      // Act
      const users = await ledger.getUsers("okta", [second, first, first, unique("missing")]);

      // Assess
      expect([...users.keys()].sort()).toEqual([first, second].sort());
      expect(users.get(first)).toEqual(await ledger.getUser("okta", first));
      expect(users.get(second)?.profile).toEqual(profile(second));
    });

    it("answers copies that a caller cannot use to change the ledger", async () => {
      // Prepare
      const user = unique("u");
      await ledger.recordUserProfile("okta", user, profile(user), at("2025-01-01T00:00:00.000Z"));
      const read = await ledger.getUser("okta", user);

      // Act
      read!.profile!.displayName = "Changed by a caller";
      read!.status = "synced";

      // Assess
      expect(await ledger.getUser("okta", user)).toMatchObject({
        status: "pending",
        profile: { displayName: user },
      });
    });
  });

  describe("sync status", () => {
    it("marks a user synced when the worker saw the versions still recorded, clearing its failure and claim", async () => {
      // Prepare
      const user = unique("u");
      const profileVersion = at("2025-01-01T00:00:00.000Z");
      const lifecycleVersion = at("2025-01-02T00:00:00.000Z");
      clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordUserProfile("okta", user, profile(user), profileVersion);
      await ledger.recordUserLifecycle("okta", user, "inactive", lifecycleVersion);
      await ledger.recordUserFailed("okta", user, { reason: "Kiro timed out", errorCode: "SCIM.TIMEOUT" });
      await ledger.claimUserCreation("okta", user, "worker-a", 60_000);
      const t1 = clock.advance(2_000);

      // Act
      await ledger.recordUserSynced("okta", user, "scim-1", { profileVersion, lifecycleVersion });

      // Assess
      expect(await ledger.getUser("okta", user)).toEqual({
        source: "okta",
        idpId: user,
        profile: profile(user),
        profileVersion,
        lifecycle: "inactive",
        lifecycleVersion,
        scimId: "scim-1",
        status: "synced",
        attempts: 0,
        syncedAt: t1,
        lastAttemptAt: t1,
        updatedAt: t1,
      });
      expect(await ledger.claimUserCreation("okta", user, "worker-b", 60_000)).toBe(true);
    });

    it("keeps a user pending, with its Kiro id, when its profile changed after the worker read it", async () => {
      // Prepare
      const user = unique("u");
      const seen = at("2025-01-01T00:00:00.000Z");
      const newer = at("2025-01-01T00:00:05.000Z");
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordUserProfile("okta", user, profile(user), seen);
      await ledger.claimUserCreation("okta", user, "worker-a", 60_000);
      const t1 = clock.advance(1_000);
      await ledger.recordUserProfile("okta", user, profile(user, { title: "New" }), newer);
      clock.advance(1_000);

      // Act
      await ledger.recordUserSynced("okta", user, "scim-1", {
        profileVersion: seen,
        lifecycleVersion: undefined,
      });

      // Assess
      expect(await ledger.getUser("okta", user)).toEqual({
        source: "okta",
        idpId: user,
        profile: profile(user, { title: "New" }),
        profileVersion: newer,
        lifecycle: "active",
        scimId: "scim-1",
        status: "pending",
        attempts: 0,
        pendingSince: t0,
        updatedAt: t1,
      });
      expect(await ledger.claimUserCreation("okta", user, "worker-b", 60_000)).toBe(true);
    });

    it("keeps a user pending when a lifecycle change landed that the worker did not see", async () => {
      // Prepare
      const user = unique("u");
      const profileVersion = at("2025-01-01T00:00:00.000Z");
      await ledger.recordUserProfile("okta", user, profile(user), profileVersion);
      await ledger.recordUserLifecycle("okta", user, "inactive", at("2025-01-02T00:00:00.000Z"));

      // Act
      await ledger.recordUserSynced("okta", user, "scim-1", { profileVersion, lifecycleVersion: undefined });

      // Assess
      expect(await ledger.getUser("okta", user)).toMatchObject({ status: "pending", scimId: "scim-1" });
    });

    it("forgets the Kiro id of a user removed from Kiro on purpose", async () => {
      // Prepare
      const user = unique("u");
      const profileVersion = at("2025-01-01T00:00:00.000Z");
      await ledger.recordUserProfile("okta", user, profile(user), profileVersion);
      const seen = { profileVersion, lifecycleVersion: undefined };
      await ledger.recordUserSynced("okta", user, "scim-1", seen);

      // Act
      await ledger.recordUserSynced("okta", user, undefined, seen);

      // Assess
      const record = await ledger.getUser("okta", user);
      expect(record?.status).toBe("synced");
      expect(record?.scimId).toBeUndefined();
    });

    it("records failures with reason, code and a growing attempt count, keeping when the change landed", async () => {
      // Prepare
      const user = unique("u");
      const version = at("2025-01-01T00:00:00.000Z");
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordUserProfile("okta", user, profile(user), version);
      clock.advance(1_000);
      await ledger.recordUserFailed("okta", user, { reason: "first", errorCode: "SCIM.TIMEOUT" });
      const t2 = clock.advance(1_000);

      // Act
      await ledger.recordUserFailed("okta", user, {
        reason: "x".repeat(1500),
        errorCode: "USER.INVALID_PROFILE",
      });

      // Assess
      expect(await ledger.getUser("okta", user)).toEqual({
        source: "okta",
        idpId: user,
        profile: profile(user),
        profileVersion: version,
        lifecycle: "active",
        status: "failed",
        reason: "x".repeat(1000),
        errorCode: "USER.INVALID_PROFILE",
        attempts: 2,
        pendingSince: t0,
        lastAttemptAt: t2,
        updatedAt: t2,
      });
    });
  });

  describe("creation claims", () => {
    it("gives a user's creation to one worker until its claim expires, renewed by the holder", async () => {
      // Prepare
      const user = unique("u");
      clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordUserProfile("okta", user, profile(user), at("2025-01-01T00:00:00.000Z"));
      const outcomes: boolean[] = [];

      // Act
      outcomes.push(await ledger.claimUserCreation("okta", user, "worker-a", 1_000));
      outcomes.push(await ledger.claimUserCreation("okta", user, "worker-b", 1_000));
      clock.advance(600);
      outcomes.push(await ledger.claimUserCreation("okta", user, "worker-a", 1_000));
      clock.advance(400);
      outcomes.push(await ledger.claimUserCreation("okta", user, "worker-b", 1_000));
      clock.advance(600);
      outcomes.push(await ledger.claimUserCreation("okta", user, "worker-b", 1_000));
      clock.advance(1);
      outcomes.push(await ledger.claimUserCreation("okta", user, "worker-b", 1_000));
      outcomes.push(await ledger.claimUserCreation("okta", user, "worker-a", 1_000));

      // Assess
      expect(outcomes).toEqual([
        true, // first claim
        false, // held by worker-a
        true, // worker-a renews until +1600 ms
        false, // the renewal still holds at +1000 ms
        false, // exactly at expiry: still held
        true, // past expiry: worker-b takes it
        false, // now worker-b holds it
      ]);
    });

    it("refuses to claim the creation of a user the ledger does not know", async () => {
      // Act
      const claimed = await ledger.claimUserCreation("okta", unique("nowhere"), "worker-a", 1_000);

      // Assess
      expect(claimed).toBe(false);
    });

    it("gives a creation claim back for its holder only", async () => {
      // Prepare
      const user = unique("u");
      await ledger.recordUserProfile("okta", user, profile(user), at("2025-01-01T00:00:00.000Z"));
      await ledger.claimUserCreation("okta", user, "worker-a", 60_000);

      // Act
      await ledger.releaseUserCreation("okta", user, "worker-b");
      const whileHeld = await ledger.claimUserCreation("okta", user, "worker-c", 60_000);
      await ledger.releaseUserCreation("okta", user, "worker-a");
      const afterRelease = await ledger.claimUserCreation("okta", user, "worker-c", 60_000);

      // Assess
      expect([whileHeld, afterRelease]).toEqual([false, true]);
    });
  });

  describe("invalidation", () => {
    it("forgets known users' Kiro ids and marks them pending, counting only known users", async () => {
      // Prepare
      const user = unique("u");
      const profileVersion = at("2025-01-01T00:00:00.000Z");
      const t0 = clock.set("2026-02-01T10:00:00.000Z");
      await ledger.recordUserProfile("okta", user, profile(user), profileVersion);
      await ledger.recordUserSynced("okta", user, "scim-1", { profileVersion, lifecycleVersion: undefined });
      await ledger.claimUserCreation("okta", user, "worker-a", 60_000);
      const t1 = clock.advance(1_000);

      // Act
      const invalidated = await ledger.invalidateUsers("okta", [user, unique("unknown")]);

      // Assess
      expect(invalidated).toBe(1);
      expect(await ledger.getUser("okta", user)).toEqual({
        source: "okta",
        idpId: user,
        profile: profile(user),
        profileVersion,
        lifecycle: "active",
        status: "pending",
        attempts: 0,
        pendingSince: t1,
        syncedAt: t0,
        lastAttemptAt: t0,
        updatedAt: t1,
      });
      expect(await ledger.claimUserCreation("okta", user, "worker-b", 60_000)).toBe(true);
    });

    it("marks the users it forgets with the re-provisioning run that counts them", async () => {
      // Prepare
      const [user, other] = [unique("u"), unique("u")];
      await ledger.recordUserProfile("okta", user, profile(user), at("2025-01-01T00:00:00.000Z"));
      await ledger.recordUserProfile("okta", other, profile(other), at("2025-01-01T00:00:00.000Z"));

      // Act
      await ledger.invalidateUsers("okta", [user], "run-reprovision");

      // Assess
      expect((await ledger.getUser("okta", user))?.queuedByRun).toBe("run-reprovision");
      expect((await ledger.getUser("okta", other))?.queuedByRun).toBeUndefined();
    });
  });
  describe("finding by login or email", () => {
    it("finds a user by login and by email in any letter case, in either source, one record each", async () => {
      // Prepare
      const [oktaUser, entraUser] = [unique("u"), unique("u")];
      const login = `${unique("alice")}@Acme.test`;
      const email = `${unique("alice.smith")}@acme.test`;
      await ledger.recordUserProfile(
        "okta",
        oktaUser,
        profile(oktaUser, { userName: login, email }),
        at("2025-01-01T00:00:00.000Z"),
      );
      await ledger.recordUserProfile(
        "entra",
        entraUser,
        profile(entraUser, { userName: login }),
        at("2025-01-01T00:00:00.000Z"),
      );

      // Act
      const byLogin = await ledger.findUsers(login.toUpperCase());
      const byEmail = await ledger.findUsers(email);

      // Assess
      expect(byLogin.map((user) => `${user.source}:${user.idpId}`)).toEqual([
        `entra:${entraUser}`,
        `okta:${oktaUser}`,
      ]);
      expect(byLogin[1]).toEqual(await ledger.getUser("okta", oktaUser));
      expect(byEmail.map((user) => user.idpId)).toEqual([oktaUser]);
    });

    it("finds a renamed user under its new login only", async () => {
      // Prepare
      const user = unique("u");
      const [before, after] = [`${unique("before")}@acme.test`, `${unique("after")}@acme.test`];
      await ledger.recordUserProfile(
        "okta",
        user,
        profile(user, { userName: before }),
        at("2025-01-01T00:00:00.000Z"),
      );

      // Act
      await ledger.recordUserProfile(
        "okta",
        user,
        profile(user, { userName: after }),
        at("2025-01-02T00:00:00.000Z"),
      );

      // Assess
      expect(await ledger.findUsers(before)).toEqual([]);
      expect((await ledger.findUsers(after)).map((found) => found.idpId)).toEqual([user]);
    });

    it("does not find a user under a login from a profile change it refused as older", async () => {
      // Prepare
      const user = unique("u");
      const [current, stale] = [`${unique("current")}@acme.test`, `${unique("stale")}@acme.test`];
      await ledger.recordUserProfile(
        "okta",
        user,
        profile(user, { userName: current }),
        at("2025-01-02T00:00:00.000Z"),
      );

      // Act
      const recorded = await ledger.recordUserProfile(
        "okta",
        user,
        profile(user, { userName: stale }),
        at("2025-01-01T00:00:00.000Z"),
      );

      // Assess
      expect(recorded).toBe(false);
      expect(await ledger.findUsers(stale)).toEqual([]);
      expect((await ledger.findUsers(current)).map((found) => found.idpId)).toEqual([user]);
    });

    it("finds nobody for an unknown or empty name, or one past the lookup limit", async () => {
      // Prepare
      const user = unique("u");
      const long = `${"x".repeat(lookupNameMaxBytes)}@acme.test`;
      await ledger.recordUserProfile(
        "okta",
        user,
        profile(user, { userName: long }),
        at("2025-01-01T00:00:00.000Z"),
      );

      // Act
      const found = await Promise.all([
        ledger.findUsers(unique("nobody")),
        ledger.findUsers(""),
        ledger.findUsers(long),
      ]);

      // Assess
      expect(found).toEqual([[], [], []]);
      expect(await ledger.getUser("okta", user)).toMatchObject({ profile: { userName: long } });
    });
  });
});
