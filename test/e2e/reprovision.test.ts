import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import { membershipEvent, oktaDelivery } from "../../local/okta-org/okta-event-payloads";
import {
  addOktaGroup,
  addOktaUser,
  fetchStatus,
  kiroMembersByExternalId,
  postAdmin,
  postOkta,
  startTestRuntime,
  stopTestRuntime,
  syncNewGroup,
} from "../support/runtime-fixture";

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({ SYNC_GROUPS: "Reprovisioned-*", RUN_CHUNK_SIZE: "40" });
});
afterAll(() => stopTestRuntime(runtime));

const reprovisionStatus = async () =>
  (await fetchStatus<{ kiroTarget: { reprovision: { runId: string; reason: string } } }>(runtime)).kiroTarget
    .reprovision;

/** Every Kiro group's members by externalId, keyed by group name. */
const kiroMemberships = () =>
  Object.fromEntries(
    runtime
      .emulator!.directory.snapshot()
      .groups.map((group) => [
        group.displayName,
        kiroMembersByExternalId(runtime, String(group.displayName)),
      ]),
  );

const admin = async (path: string) => (await postAdmin(runtime, path)).status;

describe("re-provisioning after the Kiro profile is deleted and recreated", () => {
  it("detects the new endpoint and puts every user, group and membership back with near-minimal requests", async () => {
    // Prepare
    const people = Array.from({ length: 150 }, () => addOktaUser(runtime));
    const groups = [
      addOktaGroup(runtime, "Reprovisioned"),
      addOktaGroup(runtime, "Reprovisioned"),
      addOktaGroup(runtime, "Reprovisioned"),
    ];
    const plan = [people.slice(0, 120), people.slice(40, 150), people];
    const events = plan.flatMap((members, index) =>
      members.map((person) => {
        runtime.oktaOrg!.addMember(groups[index]!.id, person.id);
        return membershipEvent("add", { id: person.id, login: person.profile.login }, groups[index]!);
      }),
    );
    await postOkta(runtime, oktaDelivery(events));
    await runtime.bus.idle();
    const emulator = runtime.emulator!;
    const before = groups.map((group) => kiroMembersByExternalId(runtime, group.name));

    // Act
    const fresh = emulator.resetProfile();
    emulator.clearRequests();
    await runtime.secrets.put({ KiroScim: { url: fresh.scimUrl, token: fresh.token } });
    const status = await admin("/admin/reconcile");

    // Assess
    const memberships = plan.reduce((sum, members) => sum + members.length, 0);
    const minimum =
      people.length + groups.length + plan.reduce((sum, members) => sum + Math.ceil(members.length / 100), 0);
    expect(status).toBe(202);
    expect(before.map((members) => members.length)).toEqual(plan.map((members) => members.length));
    expect(groups.map((group) => kiroMembersByExternalId(runtime, group.name))).toEqual(before);
    expect(emulator.directory.userCount).toBe(people.length);
    expect(memberships).toBe(380);
    expect(emulator.requests().length).toBeLessThanOrEqual(Math.floor(minimum * 1.1));
  }, 120_000);

  it("shows the re-provisioning and its progress in /status", async () => {
    // Act
    const response = await fetch(`${runtime.url}/status`, {
      headers: { authorization: `Bearer ${runtime.config.statusToken}` },
    });
    const report = (await response.json()) as {
      kiroTarget: {
        url: string;
        reprovision: { reason: string; total: number; done: number; etaSeconds: number };
      };
    };

    // Assess
    expect(report.kiroTarget.url).toBe(runtime.emulator!.profile.scimUrl);
    expect(report.kiroTarget.reprovision).toMatchObject({
      reason: expect.stringContaining("endpoint changed"),
      total: 150,
      done: 150,
      etaSeconds: 0,
    });
  });

  it("re-provisions on an operator's request and converges again", async () => {
    // Prepare
    const emulator = runtime.emulator!;
    for (const group of emulator.directory.snapshot().groups)
      emulator.directory.deleteGroup(String(group.id));

    // Act
    const status = await admin("/admin/reprovision");

    // Assess
    expect(status).toBe(202);
    expect(emulator.directory.groupCount).toBe(3);
  });

  it("treats a new token behind the same URL as a rotation when the mapped ids still answer", async () => {
    // Prepare
    const emulator = runtime.emulator!;
    const before = await reprovisionStatus();
    const rotated = emulator.addToken();
    emulator.revokeToken(emulator.profile.token);
    await runtime.secrets.put({ KiroScim: { url: emulator.profile.scimUrl, token: rotated } });
    const person = addOktaUser(runtime);
    emulator.clearRequests();

    // Act
    const group = await syncNewGroup(runtime, "Reprovisioned", [person]);

    // Assess
    const requests = emulator.requests();
    expect((await reprovisionStatus()).runId).toBe(before.runId);
    expect(
      requests.filter((entry) => entry.method === "GET" && /^\/Users\/[^/?]+$/.test(entry.path)),
    ).toHaveLength(20);
    expect(requests.filter((entry) => entry.method === "POST" && entry.path === "/Users")).toHaveLength(1);
    expect(kiroMembersByExternalId(runtime, group.name)).toEqual([person.id]);
  });

  it("re-provisions at the next group change when a new token comes with a profile emptied behind the same URL", async () => {
    // Prepare
    const emulator = runtime.emulator!;
    const url = emulator.profile.scimUrl;
    const before = kiroMemberships();
    const fresh = emulator.resetProfile({ keepEndpoint: true });
    await runtime.secrets.put({ KiroScim: { url: fresh.scimUrl, token: fresh.token } });
    const person = addOktaUser(runtime);

    // Act
    const group = await syncNewGroup(runtime, "Reprovisioned", [person]);

    // Assess
    expect(fresh.scimUrl).toBe(url);
    expect((await reprovisionStatus()).reason).toContain("token changed");
    expect(kiroMemberships()).toEqual({ ...before, [group.name]: [person.id] });
  }, 120_000);
});
