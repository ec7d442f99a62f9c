import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { OktaOrgServer } from "../../local/okta-org/okta-org-server";
import { KiroScimEmulator } from "../../local/scim-emulator/kiro-scim-emulator";
import { crashAndRecover } from "../../local/tooling/crash-drill";

/**
 * `kill -9` while groups are syncing, start again on the same table: Kiro must reach Okta's truth
 * within 90 s, nothing lost or duplicated (the drill is local/tooling/crash-drill.ts).
 */
let org: OktaOrgServer;
let emulator: KiroScimEmulator;

beforeAll(async () => {
  org = await OktaOrgServer.start();
  emulator = await KiroScimEmulator.start();
});
afterAll(async () => {
  await org.stop();
  await emulator.stop();
});

const drill = () => ({ org, emulator, dynamoEndpoint: inject("dynamoEndpoint") });

describe("kill -9 while syncing", () => {
  it("converges to Okta within 90 s of the restart, nothing lost or duplicated", async () => {
    // Act
    const outcome = await crashAndRecover(drill(), "Crash");

    // Assess
    expect(
      outcome.converged,
      `after ${outcome.seconds} s: ${JSON.stringify(outcome.diff)} ${outcome.status}`,
    ).toBe(true);
    expect(outcome.seconds).toBeLessThan(90);
  }, 240_000);

  it("converges the same while Kiro answers 10 % 429, 5 % 500 and drops 2 % of connections", async () => {
    // Prepare
    emulator.faults.add({ kind: "throttle", rate: 0.1, retryAfterSeconds: 1 });
    emulator.faults.add({ kind: "server-error", rate: 0.05 });
    emulator.faults.add({ kind: "drop", rate: 0.02 });

    // Act
    const outcome = await crashAndRecover(drill(), "Faulty");
    emulator.faults.clear();

    // Assess
    expect(
      outcome.converged,
      `after ${outcome.seconds} s: ${JSON.stringify(outcome.diff)} ${outcome.status}`,
    ).toBe(true);
    expect(outcome.seconds).toBeLessThan(90);
  }, 240_000);
});
