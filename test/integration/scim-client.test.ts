import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ScimHttpClientOptions } from "../../core/adapters/scim/scim-http-client";
import { InvalidProfileError, ScimError } from "../../core/domain/errors";
import type { KiroUserProfile } from "../../core/domain/kiro-user";
import { createOrAdoptGroup, createOrAdoptUser } from "../../core/use-cases/adopt-or-create";
import { KiroScimEmulator } from "../../local/scim-emulator/kiro-scim-emulator";
import { validUser } from "../support/raw-scim";
import { emulatorClient, kiroProfile } from "../support/scim-client-fixture";

let emulator: KiroScimEmulator;

beforeAll(async () => {
  emulator = await KiroScimEmulator.start();
});
afterAll(() => emulator.stop());
beforeEach(() => {
  emulator.resetProfile();
  emulator.faults.clear();
  emulator.clearRequests();
});

const client = (options: Partial<ScimHttpClientOptions> = {}) => emulatorClient(emulator, options);

const profile = (overrides: Partial<KiroUserProfile> = {}) => kiroProfile("Person", overrides);

function seedUsers(count: number): string[] {
  return Array.from({ length: count }, () => String(emulator.directory.createUser(validUser()).id));
}

describe("users", () => {
  it("creates, finds by userName and externalId, patches, replaces and deletes", async () => {
    // Prepare
    const scim = client();
    const jane = profile({ userName: 'o"brien@acme.test', externalId: "00uJane" });

    // Act
    const created = await scim.createUser(jane);
    const byUserName = await scim.findUserByUserName('o"brien@acme.test');
    const byExternalId = await scim.findUserByExternalId("00uJane");
    const patched = await scim.patchUser(created.id, [{ op: "replace", path: "active", value: false }]);
    const replaced = await scim.replaceUser(created.id, { ...jane, displayName: "Jane Replaced" });
    await scim.deleteUser(created.id);
    const afterDelete = await scim.getUser(created.id);

    // Assess
    expect(byUserName?.id).toBe(created.id);
    expect(byExternalId?.id).toBe(created.id);
    expect(patched.active).toBe(false);
    expect(replaced).toMatchObject({ id: created.id, displayName: "Jane Replaced", active: true });
    expect(afterDelete).toBeUndefined();
  });

  it("treats deleting a user that is already gone as success", async () => {
    // Act
    const outcome = await client().deleteUser("never-existed");

    // Assess
    expect(outcome).toBeUndefined();
    expect(emulator.requests().map((entry) => entry.status)).toEqual([404]);
  });

  it("follows nextCursor through every page of users", async () => {
    // Prepare
    const ids = seedUsers(230);
    const scim = client();

    // Act
    const seen: string[] = [];
    let cursor: string | undefined = "";
    let pages = 0;
    while (cursor !== undefined) {
      const page = await scim.listUsers(cursor);
      seen.push(...page.items.map((user) => user.id));
      cursor = page.nextCursor;
      pages += 1;
    }

    // Assess
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(ids.sort());
  });
});

describe("groups and membership", () => {
  it("adds 250 members in exactly 3 PATCH requests of at most 100", async () => {
    // Prepare
    const userIds = seedUsers(250);
    const scim = client();
    const group = await scim.createGroup({ displayName: "Engineering", externalId: "00gEng" });
    emulator.clearRequests();

    // Act
    await scim.addMembers(group.id, userIds);

    // Assess
    const patches = emulator.requests().filter((entry) => entry.method === "PATCH");
    expect(patches.map((entry) => entry.memberChanges)).toEqual([100, 100, 50]);
    expect(emulator.directory.membersOf(group.id).sort()).toEqual([...userIds].sort());
  });

  it("removes members in chunks of at most 100", async () => {
    // Prepare
    const userIds = seedUsers(150);
    const scim = client();
    const group = await scim.createGroup({ displayName: "Sales", externalId: "00gSales" });
    await scim.addMembers(group.id, userIds);
    emulator.clearRequests();

    // Act
    await scim.removeMembers(group.id, userIds.slice(0, 120));

    // Assess
    expect(emulator.requests().map((entry) => entry.memberChanges)).toEqual([100, 20]);
    expect(emulator.directory.membersOf(group.id)).toHaveLength(30);
  });

  it("checks membership with the members filter and lists a user's groups across pages", async () => {
    // Prepare
    const [member, stranger] = seedUsers(2) as [string, string];
    const scim = client();
    const groups = [];
    for (let index = 0; index < 120; index++) {
      groups.push(await scim.createGroup({ displayName: `Team ${index}`, externalId: `00gTeam${index}` }));
    }
    for (const group of groups) await scim.addMembers(group.id, [member]);

    // Act
    const memberCheck = await scim.isMember(groups[0]!.id, member);
    const strangerCheck = await scim.isMember(groups[0]!.id, stranger);
    const groupsOfMember = await scim.listGroupsOfUser(member);

    // Assess
    expect([memberCheck, strangerCheck]).toEqual([true, false]);
    expect(groupsOfMember.map((group) => group.id).sort()).toEqual(groups.map((group) => group.id).sort());
  });

  it("renames a group with a PATCH and keeps its id", async () => {
    // Prepare
    const scim = client();
    const group = await scim.createGroup({ displayName: "Old", externalId: "00gOld" });

    // Act
    await scim.updateGroup(group.id, { displayName: "New" });

    // Assess
    expect(await scim.getGroup(group.id)).toEqual({ id: group.id, displayName: "New", externalId: "00gOld" });
    expect(emulator.requests().map((entry) => entry.method)).toEqual(["POST", "PATCH", "GET"]);
  });
});

describe("adopt on 409", () => {
  it("adopts a user that already exists with our externalId", async () => {
    // Prepare
    const jane = profile();
    const existing = await client().createUser(jane);

    // Act
    const ensured = await createOrAdoptUser(client(), jane);

    // Assess
    expect(ensured).toMatchObject({ outcome: "adopted", resource: { id: existing.id } });
  });

  it("claims a user with the same userName and no externalId by setting ours", async () => {
    // Prepare
    const jane = profile();
    const existing = emulator.directory.createUser(
      validUser({ userName: jane.userName, externalId: undefined, emails: undefined }),
    );

    // Act
    const ensured = await createOrAdoptUser(client(), jane);

    // Assess
    expect(ensured.outcome).toBe("adopted");
    expect(ensured.resource.id).toBe(existing.id);
    expect(emulator.directory.getUser(String(existing.id)).externalId).toBe(jane.externalId);
  });

  it("leaves a user managed elsewhere alone and fails with a conflict", async () => {
    // Prepare
    const jane = profile();
    emulator.directory.createUser(validUser({ userName: jane.userName, externalId: "someone-else" }));

    // Act
    const failure = await createOrAdoptUser(client(), jane).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(ScimError);
    expect((failure as ScimError).kind).toBe("conflict");
    expect((failure as ScimError).message).toContain("managed elsewhere");
  });

  it("adopts a group by externalId, then claims one by an unowned displayName", async () => {
    // Prepare
    const scim = client();
    const ours = await scim.createGroup({ displayName: "Eng", externalId: "00gEng" });
    const unowned = emulator.directory.createGroup({ displayName: "Sales" });

    // Act
    const byExternalId = await createOrAdoptGroup(scim, { displayName: "Eng", externalId: "00gEng" });
    const byName = await createOrAdoptGroup(scim, { displayName: "Sales", externalId: "00gSales" });

    // Assess
    expect(byExternalId).toMatchObject({ outcome: "adopted", resource: { id: ours.id } });
    expect(byName).toMatchObject({
      outcome: "adopted",
      resource: { id: unowned.id, externalId: "00gSales" },
    });
    expect(emulator.directory.getGroup(String(unowned.id)).externalId).toBe("00gSales");
  });

  it("fails a profile Kiro would refuse before sending anything", async () => {
    // Act
    const failure = await createOrAdoptUser(client(), profile({ familyName: " " })).catch(
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toBeInstanceOf(InvalidProfileError);
    expect((failure as InvalidProfileError).reasons).toEqual(["familyName is empty"]);
    expect(emulator.requests()).toHaveLength(0);
  });
});

describe("error handling", () => {
  it("waits at least Retry-After before repeating a throttled request", async () => {
    // Prepare
    emulator.addFault({ kind: "throttle", count: 1, retryAfterSeconds: 1 });

    // Act
    const created = await client().createUser(profile());

    // Assess
    const [throttled, retried] = emulator.requests();
    expect(created.id).toBeTypeOf("string");
    expect([throttled?.status, retried?.status]).toEqual([429, 201]);
    expect(retried!.fingerprint).toBe(throttled!.fingerprint);
    expect(retried!.at - throttled!.at).toBeGreaterThanOrEqual(1000);
  });

  it("holds every request through the client until a Retry-After has passed, not just the throttled one", async () => {
    // Prepare
    const scim = client();
    emulator.addFault({ kind: "throttle", count: 1, retryAfterSeconds: 1, method: "POST" });

    // Act
    await Promise.all([
      scim.createUser(profile()),
      new Promise((resolve) => setTimeout(resolve, 50)).then(() => scim.listUsers("")),
    ]);

    // Assess
    const [throttled, ...after] = emulator.requests();
    expect(throttled?.status).toBe(429);
    for (const entry of after) expect(entry.at - throttled!.at).toBeGreaterThanOrEqual(1000);
    expect(after.map((entry) => entry.method).sort()).toEqual(["GET", "POST"]);
  });

  it("hands a Retry-After longer than the in-process budget back to the caller", async () => {
    // Prepare
    emulator.addFault({ kind: "throttle", count: 1, retryAfterSeconds: 30 });

    // Act
    const failure = await client({ maxInProcessWaitMs: 1000 })
      .createUser(profile())
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({
      kind: "throttled",
      retryable: true,
      retryAfterMs: 30_000,
      code: "SCIM.THROTTLED",
    });
    expect(emulator.requests()).toHaveLength(1);
  });

  it("retries 500s and dropped connections, then succeeds", async () => {
    // Prepare
    emulator.addFault({ kind: "server-error", count: 1 });
    emulator.addFault({ kind: "drop", count: 1 });

    // Act
    const created = await client().createUser(profile());

    // Assess
    expect(created.id).toBeTypeOf("string");
    expect(emulator.requests().map((entry) => entry.status)).toEqual([500, 0, 201]);
  });

  it("tells of every answer and every call that got none, retries included, for Kiro's health", async () => {
    // Prepare
    emulator.addFault({ kind: "server-error", count: 1 });
    emulator.addFault({ kind: "drop", count: 1 });
    const answers: number[] = [];

    // Act
    await client({ onAnswer: (status) => answers.push(status) }).createUser(profile());

    // Assess
    expect(answers).toEqual([500, 0, 201]);
  });

  it("classifies a dropped connection as retryable once attempts run out", async () => {
    // Prepare
    emulator.addFault({ kind: "drop", count: 1 });

    // Act
    const failure = await client({ maxInProcessAttempts: 1 })
      .getUser("x")
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ kind: "connection", retryable: true });
  });

  it("classifies a request slower than its timeout as a retryable timeout", async () => {
    // Prepare
    emulator.addFault({ kind: "latency", count: 1, latencyMs: 500 });

    // Act
    const failure = await client({ requestTimeoutMs: 100, maxInProcessAttempts: 1 })
      .getUser("x")
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ kind: "timeout", retryable: true, code: "SCIM.TIMEOUT" });
  });

  it("stops at the first 401 instead of retrying", async () => {
    // Prepare
    const scim = client({ token: "revoked-token" });

    // Act
    const failure = await scim.createUser(profile()).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ kind: "auth", retryable: false, status: 401, code: "SCIM.AUTH" });
    expect(emulator.requests()).toHaveLength(1);
  });

  it("fails an invalid request with the server's detail and without retrying", async () => {
    // Prepare
    const scim = client();
    const group = await scim.createGroup({ displayName: "Eng", externalId: "00gEng" });
    emulator.clearRequests();

    // Act
    const failure = await scim.addMembers(group.id, ["no-such-user"]).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ kind: "invalid", retryable: false, status: 400 });
    expect((failure as ScimError).detail).toContain("no-such-user");
    expect(emulator.requests()).toHaveLength(1);
  });
});
