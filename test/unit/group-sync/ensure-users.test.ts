import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OktaDirectory } from "../../../core/adapters/okta/okta-directory";
import { toScimUserResource } from "../../../core/domain/kiro-user";
import {
  ensureUsers,
  pushChangedUsers,
  type UserPushDependencies,
} from "../../../core/use-cases/group-sync/ensure-users";
import { OktaOrgServer } from "../../../local/okta-org/okta-org-server";
import { type InMemoryLedger, inMemoryLedger } from "../../support/doubles/in-memory-ledger";
import { manualClock, seedSyncedUser, seedUser, seedVersion, source, useKiroEmulator } from "./support";

const kiro = useKiroEmulator();
let org: OktaOrgServer;

beforeAll(async () => {
  org = await OktaOrgServer.start();
});
afterAll(() => org.stop());

function deps(ledger: InMemoryLedger, now?: () => Date): UserPushDependencies {
  return {
    ledger,
    scim: kiro.scim(),
    directory: new OktaDirectory({ orgUrl: org.orgUrl, token: org.apiToken }),
    removalPolicy: "deactivate",
    ...(now ? { now } : {}),
  };
}

const noCounts = () => ({ usersPushed: 0, usersFailed: 0 });

const kiroIdOf = (externalId: string) =>
  kiro
    .emulator()
    .directory.snapshot()
    .users.find((user) => user.externalId === externalId)?.id;

describe("ensureUsers", () => {
  it("creates a user Kiro lacks from the profile it reads from the IdP, and records its Kiro id", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    org.addUser({
      id: "00uensure01",
      status: "ACTIVE",
      profile: { login: "ada@acme.test", email: "ada@acme.test", firstName: "Ada", lastName: "Lovelace" },
    });
    await ledger.requestUserProfile(source, "00uensure01", seedVersion(), {
      onlyIfKnown: false,
      onlyIfNoProfile: true,
    });
    const users = await ledger.getUsers(source, ["00uensure01"]);
    const counts = noCounts();

    // Act
    const ensured = await ensureUsers(users.values(), deps(ledger), counts, "worker-create");

    // Assess
    const scimId = ensured.kiroUserIds.get("00uensure01");
    expect(kiro.emulator().directory.snapshot().users).toEqual([
      expect.objectContaining({
        id: scimId,
        externalId: "00uensure01",
        userName: "ada@acme.test",
        displayName: "Ada Lovelace",
      }),
    ]);
    expect(await ledger.getUser(source, "00uensure01")).toMatchObject({ status: "synced", scimId });
    expect(counts).toEqual({ usersPushed: 1, usersFailed: 0 });
  });

  it("adopts the Kiro user that already holds the userName instead of creating a second one", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const profile = await seedUser(ledger, "00uensure02");
    const existing = kiro.emulator().directory.createUser({
      ...toScimUserResource(profile),
      externalId: undefined,
      displayName: "Set up by hand",
    });
    const users = await ledger.getUsers(source, ["00uensure02"]);

    // Act
    const ensured = await ensureUsers(users.values(), deps(ledger), noCounts(), "worker-adopt");

    // Assess
    expect(ensured.kiroUserIds.get("00uensure02")).toBe(existing.id);
    expect(kiro.emulator().directory.snapshot().users).toEqual([
      expect.objectContaining({
        id: existing.id,
        externalId: "00uensure02",
        displayName: profile.displayName,
      }),
    ]);
    expect(kiro.emulator().requests()[0]).toMatchObject({ method: "POST", path: "/Users", status: 409 });
    expect(await ledger.getUser(source, "00uensure02")).toMatchObject({
      status: "synced",
      scimId: existing.id,
    });
  });

  it("marks a user Kiro refuses as failed with Kiro's reason, while the others get their Kiro ids", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const userIds = ["00uensure03", "00uensure04", "00uensure05"];
    for (const userId of userIds) await seedUser(ledger, userId);
    const refusal = { detail: "name.familyName is not acceptable.", status: "400" };
    kiro
      .emulator()
      .addFault({ kind: "body", count: 1, method: "POST", status: 400, body: JSON.stringify(refusal) });
    const users = await ledger.getUsers(source, userIds);
    const counts = noCounts();

    // Act
    const ensured = await ensureUsers(users.values(), deps(ledger), counts, "worker-refused");

    // Assess
    const refused = [...ensured.userFailures.keys()];
    expect(refused).toHaveLength(1);
    const failure = { reason: refusal.detail, errorCode: "SCIM.INVALID" };
    expect(ensured.userFailures.get(refused[0]!)).toEqual(failure);
    expect(await ledger.getUser(source, refused[0]!)).toMatchObject({ status: "failed", ...failure });
    for (const userId of userIds.filter((id) => id !== refused[0])) {
      expect(ensured.kiroUserIds.get(userId)).toBe(kiroIdOf(userId));
      expect(ensured.kiroUserIds.get(userId)).toBeDefined();
    }
    expect(counts).toEqual({ usersPushed: 2, usersFailed: 1 });
  });

  it("does not send a refused user again inside its back-off, but blocks its memberships with the refusal", async () => {
    // Prepare
    const clock = manualClock();
    const ledger = inMemoryLedger({ now: clock.now });
    await seedUser(ledger, "00uensure06");
    await ledger.recordUserFailed(source, "00uensure06", {
      reason: "Kiro refused the email",
      errorCode: "SCIM.INVALID",
    });
    const refusedAt = await ledger.getUsers(source, ["00uensure06"]);
    clock.advance(60_000);

    // Act
    const waiting = await ensureUsers(refusedAt.values(), deps(ledger, clock.now), noCounts(), "w1");
    clock.advance(5 * 60_000);
    const retried = await ensureUsers(refusedAt.values(), deps(ledger, clock.now), noCounts(), "w2");

    // Assess
    expect(waiting.userFailures.get("00uensure06")).toEqual({
      reason: expect.stringMatching(/^Kiro refused the email \(sent again after 2026-03-01T12:05:00.000Z/),
      errorCode: "SCIM.INVALID",
    });
    expect(waiting.kiroUserIds.size).toBe(0);
    expect(retried.kiroUserIds.get("00uensure06")).toBe(kiroIdOf("00uensure06"));
    expect(
      kiro
        .emulator()
        .requests()
        .filter((request) => request.method === "POST"),
    ).toHaveLength(1);
  });
});

describe("pushChangedUsers", () => {
  it("pushes a changed user Kiro already has, and leaves creating a new one to a group pass", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const changedId = await seedSyncedUser(ledger, kiro.emulator(), "00uensure07");
    await seedSyncedUser(ledger, kiro.emulator(), "00uensure08");
    await seedUser(ledger, "00uensure09");
    const renamed = (await ledger.getUser(source, "00uensure07"))!.profile!;
    await ledger.recordUserProfile(
      source,
      "00uensure07",
      { ...renamed, displayName: "Renamed In Okta" },
      seedVersion(),
    );

    // Act
    const pushed = await pushChangedUsers(
      source,
      ["00uensure07", "00uensure08", "00uensure09"],
      deps(ledger),
    );

    // Assess
    expect(pushed).toEqual({ pushed: 1, failed: 0 });
    expect(
      kiro
        .emulator()
        .requests()
        .map((request) => `${request.method} ${request.path}`),
    ).toEqual([`PUT /Users/${changedId}`]);
    expect(kiro.emulator().directory.getUser(changedId)).toMatchObject({ displayName: "Renamed In Okta" });
    expect(await ledger.getUser(source, "00uensure07")).toMatchObject({ status: "synced" });
    expect(kiroIdOf("00uensure09")).toBeUndefined();
  });
});
