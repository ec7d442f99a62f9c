import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import type { OktaUserState } from "../../local/okta-org/okta-org-server";
import {
  addOktaGroup,
  addOktaUser,
  fetchStatus,
  kiroMembersByExternalId,
  startTestRuntime,
  stopTestRuntime,
  syncNewGroup,
} from "../support/runtime-fixture";

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({ SYNC_GROUPS: "Reconciled-*", REMOVAL_HOLD_SHARE: "1" });
});
afterAll(() => stopTestRuntime(runtime));

async function reconcile(token = runtime.config.adminToken) {
  const response = await fetch(`${runtime.url}/admin/reconcile`, {
    method: "POST",
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  await runtime.bus.idle();
  return response.status;
}

const syncedGroup = (people: OktaUserState[]) => syncNewGroup(runtime, "Reconciled", people);

const status = () =>
  fetchStatus<{
    unmanaged: { users: number; groups: number; examples: string[] };
    runs: { kind: string; phase: string; chunks: number; finishedAt?: string }[];
  }>(runtime);

const oktaMembers = (groupId: string) => [...(runtime.oktaOrg!.members.get(groupId) ?? [])].sort();
const scimWrites = () => runtime.emulator!.requests().filter((entry) => entry.method !== "GET");

describe("reconcile", () => {
  it("refuses an operator call without the token", async () => {
    // Act
    const status = await reconcile("wrong");

    // Assess
    expect(status).toBe(401);
  });

  it("converges Kiro to Okta after changes whose hooks were never delivered", async () => {
    // Prepare
    const people = Array.from({ length: 6 }, () => addOktaUser(runtime));
    const group = await syncedGroup(people);
    const joiners = [addOktaUser(runtime), addOktaUser(runtime)];
    for (const joiner of joiners) runtime.oktaOrg!.addMember(group.id, joiner.id);
    runtime.oktaOrg!.removeMember(group.id, people[0]!.id);
    runtime.oktaOrg!.removeMember(group.id, people[1]!.id);

    // Act
    const status = await reconcile();

    // Assess
    expect(status).toBe(202);
    expect(kiroMembersByExternalId(runtime, group.name)).toEqual(oktaMembers(group.id));
  });

  it("picks up an in-scope group that no event ever mentioned", async () => {
    // Prepare
    const group = addOktaGroup(runtime, "Reconciled");
    const people = [addOktaUser(runtime), addOktaUser(runtime)];
    for (const person of people) runtime.oktaOrg!.addMember(group.id, person.id);

    // Act
    await reconcile();

    // Assess
    expect(kiroMembersByExternalId(runtime, group.name)).toEqual(oktaMembers(group.id));
  });

  it("makes no SCIM write when nothing changed", async () => {
    // Prepare
    await reconcile();
    runtime.emulator!.clearRequests();
    const oktaReadsBefore = runtime.oktaOrg!.requests.filter((request) =>
      /\/groups\/[^/]+\/users/.test(request.path),
    ).length;

    // Act
    const status = await reconcile();

    // Assess
    const oktaReads = runtime.oktaOrg!.requests.filter((request) =>
      /\/groups\/[^/]+\/users/.test(request.path),
    ).length;
    expect(status).toBe(202);
    expect(oktaReads - oktaReadsBefore).toBeGreaterThanOrEqual(2);
    expect(scimWrites()).toEqual([]);
  });

  it("applies adds but no removal while Okta fails part-way through a read, then converges", async () => {
    // Prepare
    const early = Array.from({ length: 5 }, () => addOktaUser(runtime));
    const people = Array.from({ length: 250 }, () => addOktaUser(runtime));
    const group = await syncedGroup(people);
    for (const person of early) runtime.oktaOrg!.addMember(group.id, person.id);
    const leavers = people.slice(-20);
    for (const leaver of leavers) runtime.oktaOrg!.removeMember(group.id, leaver.id);
    runtime.oktaOrg!.failNext("unavailable", 10_000, {
      path: new RegExp(`/groups/${group.id}/users\\?after=`),
    });

    // Act
    await reconcile();
    const during = kiroMembersByExternalId(runtime, group.name);
    const report = await fetchStatus<{
      failures: { kind: string; id: string; errorCode: string }[];
      quarantined: { kind: string; id: string; errorCode: string }[];
    }>(runtime);
    runtime.oktaOrg!.recover();
    await reconcile();

    // Assess
    for (const person of early) expect(during).toContain(person.id);
    for (const leaver of leavers) expect(during).toContain(leaver.id);
    expect([...report.failures, ...report.quarantined]).toContainEqual(
      expect.objectContaining({ kind: "GROUP", id: group.id, errorCode: "IDP.INCOMPLETE" }),
    );
    expect(kiroMembersByExternalId(runtime, group.name)).toEqual(oktaMembers(group.id));
  }, 120_000);

  it("prints the plan on a dry run and changes nothing", async () => {
    // Prepare
    const people = [addOktaUser(runtime), addOktaUser(runtime), addOktaUser(runtime)];
    const group = await syncedGroup(people);
    const joiner = addOktaUser(runtime);
    runtime.oktaOrg!.addMember(group.id, joiner.id);
    runtime.oktaOrg!.removeMember(group.id, people[0]!.id);
    const before = kiroMembersByExternalId(runtime, group.name);
    runtime.emulator!.clearRequests();

    // Act
    const response = await fetch(`${runtime.url}/admin/reconcile?dryRun=true`, {
      method: "POST",
      headers: { authorization: `Bearer ${runtime.config.adminToken}` },
    });
    const plan = (await response.json()) as {
      dryRun: boolean;
      users: { create: string[] };
      memberships: {
        add: { groupId: string; userId: string }[];
        remove: { groupId: string; userId: string }[];
      };
    };
    await runtime.bus.idle();

    // Assess
    expect(response.status).toBe(200);
    expect(plan.dryRun).toBe(true);
    expect(plan.users.create).toContain(`okta:${joiner.id}`);
    expect(plan.memberships.add).toContainEqual({ groupId: group.id, userId: joiner.id });
    expect(plan.memberships.remove).toContainEqual({ groupId: group.id, userId: people[0]!.id });
    expect(kiroMembersByExternalId(runtime, group.name)).toEqual(before);
    expect(runtime.emulator!.requests()).toEqual([]);
  });

  it("never modifies or deletes a Kiro user or group it did not create", async () => {
    // Prepare
    const directory = runtime.emulator!.directory;
    const user = directory.createUser({
      userName: "contractor@elsewhere.example",
      displayName: "Hand Made",
      name: { givenName: "Hand", familyName: "Made" },
    });
    const group = directory.createGroup({ displayName: "Reconciled-by-hand" });
    const before = JSON.stringify([directory.getUser(String(user.id)), directory.getGroup(String(group.id))]);

    // Act
    await reconcile();

    // Assess
    expect(JSON.stringify([directory.getUser(String(user.id)), directory.getGroup(String(group.id))])).toBe(
      before,
    );
  });

  it("reports Kiro objects it did not create as unmanaged in /status", async () => {
    // Prepare
    await reconcile();
    const before = (await status()).unmanaged;
    runtime.emulator!.directory.createUser({
      userName: "auditor@elsewhere.example",
      displayName: "Audit Me",
      name: { givenName: "Audit", familyName: "Me" },
    });
    runtime.emulator!.directory.createGroup({ displayName: "Hand-made-audit" });

    // Act
    await reconcile();

    // Assess
    const after = (await status()).unmanaged;
    expect(after.users).toBe((before?.users ?? 0) + 1);
    expect(after.groups).toBe((before?.groups ?? 0) + 1);
    expect(after.examples.join(" ")).toMatch(/auditor@elsewhere\.example|Hand-made-audit/);
  });

  it("removes the members of a group that left the sync scope and deletes it only if it created it", async () => {
    // Prepare
    const directory = runtime.emulator!.directory;
    const created = await syncedGroup([addOktaUser(runtime), addOktaUser(runtime)]);
    const adoptedName = `Reconciled-adopted-${Date.now()}`;
    const handMade = directory.createGroup({ displayName: adoptedName });
    const adopted = { id: `00gadopt${Date.now()}`, name: adoptedName };
    runtime.oktaOrg!.addGroup(adopted);
    const adoptedPeople = [addOktaUser(runtime), addOktaUser(runtime)];
    for (const person of adoptedPeople) runtime.oktaOrg!.addMember(adopted.id, person.id);
    await reconcile();
    const adoptedBefore = directory.membersOf(String(handMade.id)).length;
    runtime.oktaOrg!.addGroup({ id: created.id, name: `Elsewhere-${created.name}` });
    runtime.oktaOrg!.addGroup({ id: adopted.id, name: `Elsewhere-${adoptedName}` });

    // Act
    await reconcile();

    // Assess
    expect(adoptedBefore).toBe(2);
    expect(directory.snapshot().groups.some((group) => group.externalId === created.id)).toBe(false);
    expect(directory.snapshot().groups.some((group) => group.id === handMade.id)).toBe(true);
    expect(directory.membersOf(String(handMade.id))).toEqual([]);
    expect(runtime.oktaOrg!.members.get(created.id)?.size).toBe(2);
  });

  it("works through a large directory in chunks, each its own event, and shows the run in /status", async () => {
    // Prepare
    const groups = [];
    for (let index = 0; index < 12; index++) groups.push(await syncedGroup([addOktaUser(runtime)]));
    for (const group of groups) runtime.oktaOrg!.addMember(group.id, addOktaUser(runtime).id);
    const chunkSizeBefore = runtime.config.runChunkSize;
    runtime.config.runChunkSize = 10;
    const chunks: unknown[] = [];
    const publish = runtime.bus.publish.bind(runtime.bus);
    runtime.bus.publish = async (events) => {
      chunks.push(...events.filter((event) => event.type === "RunChunk"));
      return publish(events);
    };

    // Act
    try {
      await reconcile();
    } finally {
      runtime.config.runChunkSize = chunkSizeBefore;
      runtime.bus.publish = publish;
    }

    // Assess
    const [run] = (await status()).runs;
    for (const group of groups)
      expect(kiroMembersByExternalId(runtime, group.name)).toEqual(oktaMembers(group.id));
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    expect(run).toMatchObject({ kind: "reconcile", phase: "finished", chunks: chunks.length });
    expect(run!.finishedAt).toBeDefined();
  }, 60_000);
});
