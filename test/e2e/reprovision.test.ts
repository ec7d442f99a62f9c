import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import { membershipEvent, oktaDelivery } from "../../local/okta-org/okta-event-payloads";
import {
  addOktaGroup,
  addOktaUser,
  kiroMembersByExternalId,
  postOkta,
  startTestRuntime,
  stopTestRuntime,
} from "../support/runtime-fixture";

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({ SYNC_GROUPS: "Reprovisioned-*", RUN_CHUNK_SIZE: "40" });
});
afterAll(() => stopTestRuntime(runtime));

async function admin(path: string) {
  const response = await fetch(`${runtime.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${runtime.config.statusToken}` },
  });
  await runtime.bus.idle();
  return response.status;
}

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
    runtime.config.kiroScim = { url: fresh.scimUrl, token: fresh.token };
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
    expect(report.kiroTarget.url).toBe(runtime.config.kiroScim!.url);
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
});
