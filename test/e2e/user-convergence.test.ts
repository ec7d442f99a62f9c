import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GraphUserState } from "../../local/graph/graph-tenant-server";
import type { LocalRuntime } from "../../local/local-runtime";
import { membershipEvent, oktaDelivery } from "../../local/okta-org/okta-event-payloads";
import {
  addOktaUser,
  consoleEdit,
  fetchStatus,
  kiroUser,
  postAdmin,
  postOkta,
  startTestRuntime,
  stopTestRuntime,
  syncNewGroup,
} from "../support/runtime-fixture";

let runtime: LocalRuntime;
let serial = 0;

beforeAll(async () => {
  runtime = await startTestRuntime({ SYNC_GROUPS: "Kiro-*,Converge-*", REMOVAL_HOLD_SHARE: "1" });
});
afterAll(() => stopTestRuntime(runtime));

const tenant = () => runtime.graphTenant!;
const kiroMembersOf = (groupName: string) =>
  runtime.emulator!.directory.snapshot().groups.find((group) => group.displayName === groupName)?.members ??
  [];
const scimWrites = () => runtime.emulator!.requests().filter((entry) => entry.method !== "GET");

const reconcile = async () => (await postAdmin(runtime, "/admin/reconcile")).status;

/** Kiro's attributes of a user, flattened from its SCIM form. */
function kiroAttributes(externalId: string) {
  const user = kiroUser(runtime, externalId) as
    | {
        displayName: string;
        active: boolean;
        name: { givenName: string; familyName: string };
        emails?: { value: string }[];
      }
    | undefined;
  return user
    ? {
        displayName: user.displayName,
        familyName: user.name.familyName,
        email: user.emails?.[0]?.value,
        active: user.active,
      }
    : undefined;
}

/** New Entra users in a new in-scope Entra group, synced to Kiro by the delta round. */
async function syncedEntraGroup(size: number): Promise<GraphUserState[]> {
  serial += 1;
  const groupId = `c0a1f9d2-3333-4000-8000-${String(serial).padStart(12, "0")}`;
  tenant().addGroup({ id: groupId, displayName: `Converge-Entra-${serial}` });
  const users = Array.from({ length: size }, (_, index) => {
    const id = `c0a1f9d2-4444-4000-9000-${String(serial * 100 + index).padStart(12, "0")}`;
    const user: GraphUserState = {
      id,
      userPrincipalName: `converge${serial}-${index}@contoso.example`,
      displayName: `Converge Person${index}`,
      givenName: "Converge",
      surname: `Person${index}`,
      mail: `converge${serial}-${index}@contoso.example`,
      accountEnabled: true,
    };
    tenant().addUser(user);
    tenant().addMember(groupId, id);
    return user;
  });
  await runtime.runEntraMaintenance();
  await runtime.bus.idle();
  return users;
}

describe("Entra users converge without notifications", () => {
  it("repairs a renamed user, a disabled account and a deleted user on reconcile", async () => {
    // Prepare
    const [renamed, disabled, deleted] = await syncedEntraGroup(3);
    expect(kiroAttributes(deleted!.id)?.active).toBe(true);
    tenant().updateUser(renamed!.id, {
      surname: "Okafor",
      displayName: "Converge Okafor",
      mail: "c.okafor@contoso.example",
    });
    tenant().updateUser(disabled!.id, { accountEnabled: false });
    tenant().deleteUser(deleted!.id);

    // Act
    const status = await reconcile();

    // Assess
    expect(status).toBe(202);
    expect(kiroAttributes(renamed!.id)).toEqual({
      displayName: "Converge Okafor",
      familyName: "Okafor",
      email: "c.okafor@contoso.example",
      active: true,
    });
    expect(kiroAttributes(disabled!.id)?.active).toBe(false);
    expect(kiroAttributes(deleted!.id)?.active).toBe(false);
  });

  it("writes nothing to Kiro on a reconcile after convergence", async () => {
    // Prepare
    await reconcile();
    runtime.emulator!.clearRequests();

    // Act
    await reconcile();

    // Assess
    expect(scimWrites()).toEqual([]);
  });

  it("carries a silent profile edit and a deletion to Kiro with the delta round", async () => {
    // Prepare
    const [edited, deleted] = await syncedEntraGroup(2);
    await runtime.runEntraMaintenance();
    tenant().updateUser(edited!.id, { displayName: "Converge Renamed", surname: "Renamed" });
    tenant().deleteUser(deleted!.id);

    // Act
    const report = (await runtime.runEntraMaintenance()) as { usersChanged: number };
    await runtime.bus.idle();

    // Assess
    expect(report.usersChanged).toBe(2);
    expect(kiroAttributes(edited!.id)).toMatchObject({
      displayName: "Converge Renamed",
      familyName: "Renamed",
    });
    expect(kiroAttributes(deleted!.id)?.active).toBe(false);
  });

  it("reads managed users in batches of at most 15 on reconcile", async () => {
    // Prepare
    await syncedEntraGroup(20);
    const before = tenant().requests.length;

    // Act
    await reconcile();

    // Assess
    const reads = tenant()
      .requests.slice(before)
      .filter((request) => request.path.startsWith("/v1.0/users?"));
    const perUser = tenant()
      .requests.slice(before)
      .filter((request) => /^\/v1\.0\/users\/[^/?]+/.test(request.path));
    const managed = new Set(
      runtime.emulator!.directory.snapshot().users.map((user) => String(user.externalId)),
    );
    const entraManaged = [...managed].filter((id) => tenant().users.has(id)).length;
    expect(reads.length).toBe(Math.ceil(entraManaged / 15));
    expect(perUser).toEqual([]);
  });
});

describe("Okta users converge without events", () => {
  it("repairs a deactivated, a suspended, a renamed and a deleted Okta user on reconcile", async () => {
    // Prepare
    const [deactivated, suspended, renamed, deleted] = Array.from({ length: 4 }, () => addOktaUser(runtime));
    await syncNewGroup(runtime, "Converge-Okta", [deactivated!, suspended!, renamed!, deleted!]);
    const org = runtime.oktaOrg!;
    org.users.get(deactivated!.id)!.status = "DEPROVISIONED";
    org.users.get(suspended!.id)!.status = "SUSPENDED";
    org.users.get(renamed!.id)!.profile.lastName = "Okonkwo";
    org.deleteUser(deleted!.id);

    // Act
    await reconcile();

    // Assess
    expect(kiroAttributes(deactivated!.id)?.active).toBe(false);
    expect(kiroAttributes(suspended!.id)?.active).toBe(false);
    expect(kiroAttributes(renamed!.id)).toMatchObject({ familyName: "Okonkwo", active: true });
    expect(kiroAttributes(deleted!.id)?.active).toBe(false);
  });

  it("writes nothing to Kiro on the reconcile after", async () => {
    // Prepare
    await reconcile();
    runtime.emulator!.clearRequests();

    // Act
    await reconcile();

    // Assess
    expect(scimWrites()).toEqual([]);
  });
});

describe("Okta user re-reads", () => {
  it("reads managed users in batches of at most 20 on reconcile", async () => {
    // Prepare
    const people = Array.from({ length: 25 }, () => addOktaUser(runtime));
    await syncNewGroup(runtime, "Converge-Batch", people);
    const before = runtime.oktaOrg!.requests.length;

    // Act
    await reconcile();

    // Assess
    const batches = runtime
      .oktaOrg!.requests.slice(before)
      .filter((request) => request.method === "GET" && request.path.startsWith("/api/v1/users?"))
      .map((request) => new URL(request.path, "https://okta.example").searchParams.get("filter") ?? "")
      .map((filter) => [...filter.matchAll(/id eq "([^"]+)"/g)].map((match) => match[1]!));
    const read = new Set(batches.flat());
    expect(batches.length).toBe(Math.ceil(read.size / 20));
    expect(batches.every((batch) => batch.length <= 20)).toBe(true);
    expect(people.filter((person) => !read.has(person.id))).toEqual([]);
  });
});

describe("a user Kiro refuses", () => {
  it("is sent once and then waits out its own back-off instead of being sent on every pass of its group", async () => {
    // Prepare
    const taken = addOktaUser(runtime);
    await consoleEdit(runtime, "POST", "users", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: taken.profile.login,
      externalId: "managed-elsewhere",
      displayName: "Managed Elsewhere",
      name: { givenName: "Managed", familyName: "Elsewhere" },
      active: true,
    });
    const group = await syncNewGroup(runtime, "Converge-Refused", [taken]);
    const lookups = () =>
      runtime
        .emulator!.requests()
        .filter(
          (entry) =>
            entry.path.includes("userName") && entry.path.includes(encodeURIComponent(taken.profile.login)),
        ).length;
    const afterFirstPass = lookups();

    // Act
    for (let change = 0; change < 5; change++) {
      const joiner = addOktaUser(runtime);
      runtime.oktaOrg!.addMember(group.id, joiner.id);
      await postOkta(runtime, oktaDelivery([membershipEvent("add", { id: joiner.id }, group)]));
      await runtime.bus.idle();
    }

    // Assess
    const failures = (
      await fetchStatus<{ failures: { id: string; attempts: number; reason: string }[] }>(runtime)
    ).failures;
    expect(afterFirstPass).toBeGreaterThan(0);
    expect(lookups()).toBe(afterFirstPass);
    expect(failures.find((failure) => failure.id === taken.id)).toMatchObject({ attempts: 1 });
    expect(kiroMembersOf(group.name)).toHaveLength(5);
  });
});
