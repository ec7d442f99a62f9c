import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import {
  addOktaUser,
  consoleEdit,
  fetchStatus,
  kiroMembersByExternalId,
  kiroUser,
  postAdmin,
  startTestRuntime,
  stopTestRuntime,
  syncNewGroup,
} from "../support/runtime-fixture";

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({ SYNC_GROUPS: "Audited-*", REMOVAL_HOLD_SHARE: "1" });
});
afterAll(() => stopTestRuntime(runtime));

async function reconcile(query = "") {
  const { status, body } = await postAdmin(runtime, `/admin/reconcile${query}`);
  return { status, body: body as { runId: string; deep: boolean } };
}

const edit = (method: "POST" | "PATCH", path: string, body: unknown) =>
  consoleEdit(runtime, method, path, body);

const patchOp = (Operations: unknown[]) => ({
  schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
  Operations,
});
const kiroIdOf = (externalId: string) => String(kiroUser(runtime, externalId)!.id);
const kiroGroupId = (name: string) =>
  String(runtime.emulator!.directory.snapshot().groups.find((group) => group.displayName === name)!.id);
const scimWrites = () => runtime.emulator!.requests().filter((entry) => entry.method !== "GET");

describe("deep audit", () => {
  it("restores a removed member, removes a stranger and repairs a user's name and active flag edited in Kiro", async () => {
    // Prepare
    const people = Array.from({ length: 4 }, () => addOktaUser(runtime));
    const group = await syncNewGroup(runtime, "Audited", people);
    const [removed, renamed, disabled] = people;
    const stranger = await edit("POST", "users", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: "console.stranger@example.com",
      displayName: "Console Stranger",
      name: { givenName: "Console", familyName: "Stranger" },
      active: true,
    });
    await edit(
      "PATCH",
      `groups/${kiroGroupId(group.name)}`,
      patchOp([
        { op: "remove", path: "members", value: [{ value: kiroIdOf(removed!.id) }] },
        { op: "add", path: "members", value: [{ value: stranger!.id }] },
      ]),
    );
    await edit(
      "PATCH",
      `users/${kiroIdOf(renamed!.id)}`,
      patchOp([{ op: "replace", path: "displayName", value: "Hand Edited" }]),
    );
    await edit(
      "PATCH",
      `users/${kiroIdOf(disabled!.id)}`,
      patchOp([{ op: "replace", path: "active", value: false }]),
    );

    // Act
    const { status, body } = await reconcile("?deep=true");

    // Assess
    expect(status).toBe(202);
    expect(body.deep).toBe(true);
    expect(kiroMembersByExternalId(runtime, group.name)).toEqual(people.map((person) => person.id).sort());
    expect(runtime.emulator!.directory.membersOf(kiroGroupId(group.name))).not.toContain(stranger!.id);
    expect(kiroUser(runtime, renamed!.id)).toMatchObject({
      displayName: `${renamed!.profile.firstName} ${renamed!.profile.lastName}`,
    });
    expect(kiroUser(runtime, disabled!.id)).toMatchObject({ active: true });
    const strangerNow = runtime.emulator!.directory.snapshot().users.find((user) => user.id === stranger!.id);
    expect(strangerNow).toMatchObject({ displayName: "Console Stranger", active: true });
    const runs = await fetchStatus<{ runs: { runId: string; drift?: Record<string, number> }[] }>(runtime);
    expect(runs.runs.find((run) => run.runId === body.runId)?.drift).toMatchObject({
      users: 2,
      missingMemberships: 1,
      strangersRemoved: 1,
    });
  });

  it("adds back a membership Kiro lost and takes out one it gained, which a plain reconcile does not see", async () => {
    // Prepare
    const people = Array.from({ length: 2 }, () => addOktaUser(runtime));
    const group = await syncNewGroup(runtime, "Audited", people);
    const outsider = addOktaUser(runtime);
    const other = await syncNewGroup(runtime, "Audited", [outsider]);
    await edit(
      "PATCH",
      `groups/${kiroGroupId(group.name)}`,
      patchOp([
        { op: "remove", path: "members", value: [{ value: kiroIdOf(people[0]!.id) }] },
        { op: "add", path: "members", value: [{ value: kiroIdOf(outsider.id) }] },
      ]),
    );
    await reconcile();
    const afterPlain = kiroMembersByExternalId(runtime, group.name);

    // Act
    await reconcile("?deep=true");

    // Assess
    expect(afterPlain).not.toEqual(people.map((person) => person.id).sort());
    expect(kiroMembersByExternalId(runtime, group.name)).toEqual(people.map((person) => person.id).sort());
    expect(kiroMembersByExternalId(runtime, other.name)).toEqual([outsider.id]);
  });

  it("leaves a group made by hand in the Kiro console and its members untouched", async () => {
    // Prepare
    const member = addOktaUser(runtime);
    await syncNewGroup(runtime, "Audited", [member]);
    const stranger = await edit("POST", "users", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: "console.teammate@example.com",
      displayName: "Console Teammate",
      name: { givenName: "Console", familyName: "Teammate" },
      active: true,
    });
    const handMade = await edit("POST", "groups", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
      displayName: "Console Team",
    });
    await edit(
      "PATCH",
      `groups/${handMade!.id}`,
      patchOp([
        { op: "add", path: "members", value: [{ value: kiroIdOf(member.id) }, { value: stranger!.id }] },
      ]),
    );
    runtime.emulator!.clearRequests();

    // Act
    await reconcile("?deep=true");

    // Assess
    const group = runtime.emulator!.directory.snapshot().groups.find((each) => each.id === handMade!.id);
    expect(group).toMatchObject({ displayName: "Console Team" });
    expect(runtime.emulator!.directory.membersOf(handMade!.id).sort()).toEqual(
      [kiroIdOf(member.id), stranger!.id].sort(),
    );
    expect(
      scimWrites().filter((entry) => entry.path.includes(handMade!.id) || entry.path.includes(stranger!.id)),
    ).toEqual([]);
    const status = await fetchStatus<{ unmanaged: { groups: number } | null }>(runtime);
    expect(status.unmanaged).toMatchObject({ groups: 1 });
  });

  it("writes nothing when Kiro holds the desired state", async () => {
    // Prepare
    await reconcile("?deep=true");
    runtime.emulator!.clearRequests();

    // Act
    await reconcile("?deep=true");

    // Assess
    expect(scimWrites()).toEqual([]);
    const reads = runtime.emulator!.requests().filter((entry) => entry.path.includes("members.value"));
    const canaryReads = Math.ceil(runtime.emulator!.directory.snapshot().users.length / 100);
    expect(reads.length).toBe(runtime.emulator!.directory.snapshot().users.length + canaryReads);
  });
});
