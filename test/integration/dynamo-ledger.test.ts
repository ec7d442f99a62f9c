import { beforeAll, describe, expect, it } from "vitest";
import type { DynamoLedger } from "../../core/adapters/dynamo/dynamo-ledger";
import { changeVersion } from "../../core/domain/identity-source";
import type { KiroUserProfile } from "../../core/domain/kiro-user";
import { freshLedger } from "../support/ledger-fixture";

let ledger: DynamoLedger;
let clock = new Date("2026-01-01T00:00:00.000Z");

beforeAll(async () => {
  ({ ledger } = await freshLedger({ now: () => clock }));
});

let serial = 0;
const unique = (prefix: string) => `${prefix}${++serial}`;
const at = (iso: string, eventId = unique("evt")) => changeVersion(iso, eventId);

function profile(idpId: string): KiroUserProfile {
  return {
    externalId: idpId,
    userName: `${idpId}@acme.test`,
    displayName: idpId,
    givenName: "Given",
    familyName: "Family",
    active: true,
  };
}

describe("newer-wins ordering", () => {
  it("ignores a membership change older than the one recorded", async () => {
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
  });

  it("lets a remove published after an add win even when it is delivered first", async () => {
    // Prepare
    const [group, user] = [unique("g"), unique("u")];
    await ledger.recordDesiredMembership("okta", group, user, false, at("2025-03-04T11:00:06.120Z"));

    // Act
    const lateAdd = await ledger.recordDesiredMembership(
      "okta",
      group,
      user,
      true,
      at("2025-03-04T11:00:05.000Z"),
    );

    // Assess
    expect(lateAdd).toBe(false);
    expect((await ledger.listMemberships("okta", group))[0]).toMatchObject({
      desired: false,
      applied: false,
    });
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
  });

  it("orders profile and lifecycle changes independently", async () => {
    // Prepare
    const user = unique("u");
    await ledger.recordUserProfile("okta", user, profile(user), at("2025-01-02T00:00:00.000Z"));
    await ledger.recordUserLifecycle("okta", user, "inactive", at("2025-01-03T00:00:00.000Z"));

    // Act
    const staleProfile = await ledger.recordUserProfile(
      "okta",
      user,
      { ...profile(user), displayName: "Old" },
      at("2025-01-01T00:00:00.000Z"),
    );
    const staleActive = await ledger.recordUserLifecycle(
      "okta",
      user,
      "active",
      at("2025-01-02T12:00:00.000Z"),
    );
    const record = await ledger.getUser("okta", user);

    // Assess
    expect([staleProfile, staleActive]).toEqual([false, false]);
    expect(record).toMatchObject({
      lifecycle: "inactive",
      profile: { displayName: user },
      status: "pending",
    });
  });

  it("marks the group dirty once per recorded change and not for ignored ones", async () => {
    // Prepare
    const group = unique("g");

    // Act
    await ledger.recordDesiredMembership("okta", group, unique("u"), true, at("2025-01-01T00:00:00.000Z"));
    await ledger.recordDesiredMembership("okta", group, unique("u"), true, at("2025-01-01T00:00:00.000Z"));
    await ledger.recordGroupName("okta", group, "Engineering", at("2025-01-01T00:00:00.000Z"));
    await ledger.recordGroupName("okta", group, "Old name", at("2024-01-01T00:00:00.000Z"));

    // Assess
    expect(await ledger.getGroup("okta", group)).toMatchObject({
      dirtyVersion: 3,
      syncedVersion: 0,
      name: "Engineering",
    });
  });
});

describe("event deduplication", () => {
  it("accepts an event id once and refuses its redelivery", async () => {
    // Prepare
    const eventId = unique("uuid-");

    // Act
    const first = await ledger.markEventProcessed("okta", eventId);
    const second = await ledger.markEventProcessed("okta", eventId);
    const otherSource = await ledger.markEventProcessed("entra", eventId);

    // Assess
    expect([first, second, otherSource]).toEqual([true, false, true]);
  });

  it("accepts the id again once its TTL has passed, even before DynamoDB removes the item", async () => {
    // Prepare
    const eventId = unique("uuid-");
    await ledger.markEventProcessed("okta", eventId, 60);
    clock = new Date(clock.getTime() + 61_000);

    // Act
    const afterExpiry = await ledger.markEventProcessed("okta", eventId, 60);

    // Assess
    expect(afterExpiry).toBe(true);
  });
});

describe("group lease", () => {
  it("grants the lease to exactly one of many concurrent acquirers", async () => {
    // Prepare
    const group = unique("g");
    await ledger.recordGroupName("okta", group, "Contended", at("2025-01-01T00:00:00.000Z"));

    // Act
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        ledger.acquireGroupLease("okta", group, `worker-${index}`, 30_000),
      ),
    );

    // Assess
    expect(results.filter((result) => result.acquired)).toHaveLength(1);
    expect(results.filter((result) => !result.acquired && result.reason === "held")).toHaveLength(11);
  });

  it("lets another worker take an expired lease, and only the holder release it", async () => {
    // Prepare
    const group = unique("g");
    await ledger.recordGroupName("okta", group, "Leased", at("2025-01-01T00:00:00.000Z"));
    await ledger.acquireGroupLease("okta", group, "dead-worker", 1_000);

    // Act
    const whileHeld = await ledger.acquireGroupLease("okta", group, "second", 1_000);
    clock = new Date(clock.getTime() + 1_001);
    const afterExpiry = await ledger.acquireGroupLease("okta", group, "second", 1_000);
    await ledger.releaseGroupLease("okta", group, "dead-worker");
    const stillHeld = await ledger.acquireGroupLease("okta", group, "third", 1_000);
    await ledger.releaseGroupLease("okta", group, "second");
    const afterRelease = await ledger.acquireGroupLease("okta", group, "third", 1_000);

    // Assess
    expect([whileHeld.acquired, afterExpiry.acquired, stillHeld.acquired, afterRelease.acquired]).toEqual([
      false,
      true,
      false,
      true,
    ]);
  });

  it("says missing for a group the ledger does not know", async () => {
    // Act
    const result = await ledger.acquireGroupLease("okta", unique("nowhere"), "worker", 1_000);

    // Assess
    expect(result).toEqual({ acquired: false, reason: "missing" });
  });
});

describe("applied state and sync status", () => {
  it("marks a membership synced when Kiro applied the version the worker saw", async () => {
    // Prepare
    const [group, user] = [unique("g"), unique("u")];
    const version = at("2025-01-01T00:00:00.000Z");
    await ledger.recordDesiredMembership("okta", group, user, true, version);

    // Act
    await ledger.recordMembershipsApplied("okta", group, [
      { userId: user, applied: true, seenVersion: version },
    ]);

    // Assess
    const [membership] = await ledger.listMemberships("okta", group);
    expect(membership).toMatchObject({ desired: true, applied: true, status: "synced", attempts: 0 });
    expect(membership?.pendingSince).toBeUndefined();
  });

  it("keeps a membership pending when a newer change landed while the worker was applying", async () => {
    // Prepare
    const [group, user] = [unique("g"), unique("u")];
    const seen = at("2025-01-01T00:00:00.000Z");
    await ledger.recordDesiredMembership("okta", group, user, true, seen);
    await ledger.recordDesiredMembership("okta", group, user, false, at("2025-01-01T00:00:01.000Z"));

    // Act
    await ledger.recordMembershipsApplied("okta", group, [
      { userId: user, applied: true, seenVersion: seen },
    ]);

    // Assess
    expect((await ledger.listMemberships("okta", group))[0]).toMatchObject({
      desired: false,
      applied: true,
      status: "pending",
    });
  });

  it("keeps a group dirty when a change arrived after the version the worker synced", async () => {
    // Prepare
    const group = unique("g");
    await ledger.recordGroupName("okta", group, "Team", at("2025-01-01T00:00:00.000Z"));
    const lease = await ledger.acquireGroupLease("okta", group, "worker", 30_000);
    await ledger.recordDesiredMembership("okta", group, unique("u"), true, at("2025-01-01T00:00:01.000Z"));

    // Act
    await ledger.recordGroupSynced("okta", group, lease.acquired ? lease.dirtyVersion : -1);

    // Assess
    expect(await ledger.getGroup("okta", group)).toMatchObject({
      dirtyVersion: 2,
      syncedVersion: 1,
      status: "pending",
    });
  });

  it("records failures with reason, code and a growing attempt count", async () => {
    // Prepare
    const user = unique("u");
    await ledger.recordUserProfile("okta", user, profile(user), at("2025-01-01T00:00:00.000Z"));
    const failure = { reason: "familyName is empty", errorCode: "USER.INVALID_PROFILE" };

    // Act
    await ledger.recordUserFailed("okta", user, failure);
    await ledger.recordUserFailed("okta", user, failure);

    // Assess
    expect(await ledger.getUser("okta", user)).toMatchObject({ status: "failed", attempts: 2, ...failure });
  });

  it("reads many users in one call, past the 100-key batch limit", async () => {
    // Prepare
    const ids = Array.from({ length: 130 }, () => unique("bulk"));
    await Promise.all(
      ids.map((id) => ledger.recordUserProfile("entra", id, profile(id), at("2025-01-01T00:00:00.000Z"))),
    );

    // Act
    const users = await ledger.getUsers("entra", [...ids, "missing-user"]);

    // Assess
    expect(users.size).toBe(130);
    expect(users.get(ids[129]!)?.profile?.userName).toBe(`${ids[129]}@acme.test`);
  });

  it("finds the groups a user belongs to through the collection index", async () => {
    // Prepare
    const user = unique("u");
    const groups = [unique("g"), unique("g")];
    for (const group of groups)
      await ledger.recordDesiredMembership("okta", group, user, true, at("2025-01-01T00:00:00.000Z"));

    // Act
    const found = await ledger.listGroupIdsOfUser("okta", user);

    // Assess
    expect(found.sort()).toEqual([...groups].sort());
  });
});

describe("status queries", () => {
  it("lists pending items oldest change first with Query only, never a Scan", async () => {
    // Prepare
    const { ledger: isolated, client: isolatedClient } = await freshLedger({ now: () => clock });
    const names: string[] = [];
    isolatedClient.middlewareStack.add(
      (next, context) => async (args) => {
        names.push(String(context.commandName));
        return next(args);
      },
      { step: "initialize", name: "recordIsolatedCommandNames" },
    );
    const landed = ["2026-02-01T10:00:03.000Z", "2026-02-01T10:00:01.000Z", "2026-02-01T10:00:02.000Z"];
    for (const [index, time] of landed.entries()) {
      clock = new Date(time);
      await isolated.recordUserProfile("okta", `user-${index}`, profile(`user-${index}`), at(time));
    }
    clock = new Date("2026-02-01T10:05:00.000Z");
    await isolated.recordUserProfile(
      "okta",
      "user-1",
      { ...profile("user-1"), title: "later edit" },
      at(clock.toISOString()),
    );
    names.length = 0;

    // Act
    const pending = await isolated.listByStatus("okta", "USER", "pending", 10);
    const count = await isolated.countByStatus("okta", "USER", "pending");

    // Assess
    expect(pending.map((entry) => [entry.id, entry.pendingSince])).toEqual([
      ["user-1", "2026-02-01T10:00:01.000Z"],
      ["user-2", "2026-02-01T10:00:02.000Z"],
      ["user-0", "2026-02-01T10:00:03.000Z"],
    ]);
    expect(count).toBe(3);
    expect(names).toEqual(["QueryCommand", "QueryCommand"]);
  });

  it("moves synced items out of pending and drops synced memberships from the index", async () => {
    // Prepare
    const { ledger: isolated } = await freshLedger();
    const version = at("2026-01-01T00:00:00.000Z");
    await isolated.recordUserProfile("okta", "u1", profile("u1"), version);
    await isolated.recordDesiredMembership("okta", "g1", "u1", true, version);

    // Act
    await isolated.recordUserSynced("okta", "u1", "scim-u1", {
      profileVersion: version,
      lifecycleVersion: undefined,
    });
    await isolated.recordMembershipsApplied("okta", "g1", [
      { userId: "u1", applied: true, seenVersion: version },
    ]);

    // Assess
    expect(await isolated.countByStatus("okta", "USER", "pending")).toBe(0);
    expect((await isolated.listByStatus("okta", "USER", "synced", 5)).map((entry) => entry.id)).toEqual([
      "u1",
    ]);
    expect(await isolated.countByStatus("okta", "MEMBER", "pending")).toBe(0);
    expect(await isolated.countByStatus("okta", "MEMBER", "failed")).toBe(0);
  });
});

describe("user lifecycle and profile requests", () => {
  it("applies lifecycle changes only to users the ledger knows", async () => {
    // Prepare
    const [known, stranger] = [unique("u"), unique("u")];
    await ledger.recordUserProfile("okta", known, profile(known), at("2025-01-01T00:00:00.000Z"));

    // Act
    const knownResult = await ledger.recordUserLifecycle(
      "okta",
      known,
      "inactive",
      at("2025-01-02T00:00:00.000Z"),
    );
    const strangerResult = await ledger.recordUserLifecycle(
      "okta",
      stranger,
      "inactive",
      at("2025-01-02T00:00:00.000Z"),
    );

    // Assess
    expect([knownResult, strangerResult]).toEqual([true, false]);
    expect(await ledger.getUser("okta", stranger)).toBeUndefined();
  });

  it("requests a profile read only for users without a profile when asked to", async () => {
    // Prepare
    const [withProfile, without] = [unique("u"), unique("u")];
    await ledger.recordUserProfile("okta", withProfile, profile(withProfile), at("2025-01-01T00:00:00.000Z"));
    const later = at("2025-01-05T00:00:00.000Z");

    // Act
    const skipped = await ledger.requestUserProfile("okta", withProfile, later, {
      onlyIfKnown: false,
      onlyIfNoProfile: true,
    });
    const requested = await ledger.requestUserProfile("okta", without, later, {
      onlyIfKnown: false,
      onlyIfNoProfile: true,
    });

    // Assess
    expect([skipped, requested]).toEqual([false, true]);
    expect(await ledger.getUser("okta", without)).toMatchObject({
      profileRequestedVersion: later,
      lifecycle: "active",
    });
  });

  it("keeps a user pending when its profile changed after the worker read it", async () => {
    // Prepare
    const user = unique("u");
    const seen = at("2025-01-01T00:00:00.000Z");
    await ledger.recordUserProfile("okta", user, profile(user), seen);
    await ledger.recordUserProfile(
      "okta",
      user,
      { ...profile(user), title: "New" },
      at("2025-01-01T00:00:05.000Z"),
    );

    // Act
    await ledger.recordUserSynced("okta", user, "scim-1", {
      profileVersion: seen,
      lifecycleVersion: undefined,
    });

    // Assess
    expect(await ledger.getUser("okta", user)).toMatchObject({ scimId: "scim-1", status: "pending" });
  });
});

describe("group bookkeeping", () => {
  it("marks known groups dirty and ignores unknown ones", async () => {
    // Prepare
    const group = unique("g");
    await ledger.recordGroupName("okta", group, "Known", at("2025-01-01T00:00:00.000Z"));

    // Act
    await ledger.markGroupsDirty("okta", [group, unique("unknown")]);

    // Assess
    expect((await ledger.getGroup("okta", group))?.dirtyVersion).toBe(2);
  });

  it("records a deletion for a known group only", async () => {
    // Prepare
    const group = unique("g");
    await ledger.recordGroupName("okta", group, "Doomed", at("2025-01-01T00:00:00.000Z"));

    // Act
    const known = await ledger.recordGroupDeleted("okta", group, at("2025-01-02T00:00:00.000Z"));
    const unknown = await ledger.recordGroupDeleted("okta", unique("g"), at("2025-01-02T00:00:00.000Z"));

    // Assess
    expect([known, unknown]).toEqual([true, false]);
    expect(await ledger.getGroup("okta", group)).toMatchObject({ deleted: true, dirtyVersion: 2 });
  });

  it("records the Kiro id, ownership and applied name", async () => {
    // Prepare
    const group = unique("g");
    await ledger.recordGroupName("okta", group, "Team", at("2025-01-01T00:00:00.000Z"));

    // Act
    await ledger.recordGroupApplied("okta", group, { scimId: "kiro-g1", createdByUs: true, name: "Team" });

    // Assess
    expect(await ledger.getGroup("okta", group)).toMatchObject({
      scimId: "kiro-g1",
      createdByUs: true,
      appliedName: "Team",
    });
  });
});

describe("Kiro target", () => {
  it("lets only one of two writers that read the same record claim the target", async () => {
    // Prepare
    const { ledger: own } = await freshLedger({ now: () => clock });
    const first = { fingerprint: "f1", url: "https://scim.test/a", since: "2026-01-01T00:00:00.000Z" };
    await own.claimKiroTarget(first, undefined);
    const read = await own.getKiroTarget();

    // Act
    const winners = await Promise.all([
      own.claimKiroTarget({ ...read!, credential: "c2" }, read),
      own.claimKiroTarget({ ...read!, credential: "c3" }, read),
    ]);
    const again = await own.claimKiroTarget(first, undefined);

    // Assess
    expect(winners.filter(Boolean)).toHaveLength(1);
    expect(again).toBe(false);
    expect(await own.getKiroTarget()).toMatchObject({
      revision: 2,
      credential: winners[0] ? "c2" : "c3",
    });
  });
});
