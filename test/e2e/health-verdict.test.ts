import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import {
  addOktaUser,
  fetchStatus,
  postAdmin,
  startTestRuntime,
  stopTestRuntime,
  syncNewGroup,
} from "../support/runtime-fixture";

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({ RETRY_BASE_DELAY_MS: "10", RETRY_MAX_DELAY_MS: "50" });
});
afterAll(() => stopTestRuntime(runtime));

type Health = { verdict: string; reasons: string[] };
const statusHealth = async () => (await fetchStatus<{ health: Health }>(runtime)).health;
const health = async () => {
  const response = await fetch(`${runtime.url}/health`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe("one health verdict", () => {
  it("answers ok without a token when all is well, and gives nothing but the verdict", async () => {
    // Prepare
    await syncNewGroup(runtime, "Healthy", [addOktaUser(runtime)]);
    await statusHealth();

    // Act
    const answer = await health();

    // Assess
    expect(answer).toEqual({ status: 200, body: { verdict: "ok" } });
  });

  it("says degraded, naming the group, while a group is quarantined, and ok again once it is redriven", async () => {
    // Prepare
    const emulator = runtime.emulator!;
    emulator.addFault({ kind: "server-error", rate: 1, method: "POST", path: "^/Groups$" });
    const group = await syncNewGroup(runtime, "Stuck", [addOktaUser(runtime)]);
    emulator.faults.clear();
    /* Kiro answers again: without a successful call since the 500s, it would still read as failing. */
    await syncNewGroup(runtime, "Healthy", [addOktaUser(runtime)]);

    // Act
    const whileQuarantined = await statusHealth();
    const checkWhileQuarantined = await health();
    await postAdmin(runtime, "/admin/redrive");
    const afterRedrive = await statusHealth();

    // Assess
    expect(whileQuarantined.verdict).toBe("degraded");
    expect(whileQuarantined.reasons).toContainEqual(
      expect.stringContaining(`${group.name} (okta ${group.id})`),
    );
    expect(checkWhileQuarantined).toEqual({ status: 200, body: { verdict: "degraded" } });
    expect(afterRedrive).toEqual({ verdict: "ok", reasons: [] });
  }, 60_000);

  it("says failing while the sync is paused, and /health answers 503", async () => {
    // Prepare
    const ledger = runtime.dependencies.ledger;
    const now = new Date();
    await ledger.pauseSync({
      reason: "Kiro SCIM 401: token revoked",
      errorCode: "SCIM.AUTH",
      since: now.toISOString(),
      probeAt: new Date(now.getTime() + 3_600_000).toISOString(),
    });

    // Act
    const paused = await statusHealth();
    const check = await health();
    await ledger.clearSyncPause();
    const resumed = await statusHealth();

    // Assess
    expect(paused).toEqual({
      verdict: "failing",
      reasons: [expect.stringContaining("sync paused since")],
    });
    expect(check).toEqual({ status: 503, body: { verdict: "failing" } });
    expect(resumed.verdict).toBe("ok");
  });
});
