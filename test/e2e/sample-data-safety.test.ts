import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import { KiroScimEmulator } from "../../local/scim-emulator/kiro-scim-emulator";
import { postAdmin, startTestRuntime, stopTestRuntime } from "../support/runtime-fixture";

/**
 * A Kiro profile the runtime takes for a real one: a separate emulator it did not start, reached
 * through KIRO_SCIM_URL / KIRO_SCIM_TOKEN as a customer's profile would be.
 */
let realKiro: KiroScimEmulator;
let runtime: LocalRuntime;

beforeAll(async () => {
  vi.spyOn(console, "log").mockImplementation(() => undefined);
  realKiro = await KiroScimEmulator.start();
  runtime = await startTestRuntime({
    KIRO_SCIM_URL: realKiro.profile.scimUrl,
    KIRO_SCIM_TOKEN: realKiro.profile.token,
  });
  await runtime.bus.idle();
});
afterAll(async () => {
  await stopTestRuntime(runtime);
  await realKiro.stop();
  vi.restoreAllMocks();
});

describe("sample directories and a real Kiro profile", () => {
  it("starts no sample Okta org or Entra tenant, and sends a real Kiro nothing, not even on a reconcile", async () => {
    // Act
    const reconcile = await postAdmin(runtime, "/admin/reconcile");
    await runtime.bus.idle();

    // Assess
    expect(runtime.oktaOrg).toBeUndefined();
    expect(runtime.graphTenant).toBeUndefined();
    expect(reconcile.status).toBe(202);
    const kiro = realKiro.directory.snapshot();
    expect(kiro.users).toEqual([]);
    expect(kiro.groups).toEqual([]);
    expect(realKiro.requests().filter((entry) => entry.method !== "GET")).toEqual([]);
  });
});
