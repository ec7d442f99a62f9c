import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SyncHealthGauge } from "../../core/use-cases/sync-health";
import { createHealthMetricsHandler } from "../../functions/health-metrics";
import { localContext } from "../../local/lambda-invoke";
import type { LocalRuntime } from "../../local/local-runtime";
import { addOktaUser, startTestRuntime, stopTestRuntime, syncNewGroup } from "../support/runtime-fixture";

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({ RETRY_BASE_DELAY_MS: "10", RETRY_MAX_DELAY_MS: "50" });
});
afterAll(() => stopTestRuntime(runtime));

async function measure(): Promise<Record<string, number>> {
  const handler = createHealthMetricsHandler(() => runtime.dependencies) as unknown as (
    event: unknown,
    context: ReturnType<typeof localContext>,
  ) => Promise<SyncHealthGauge[]>;
  const gauges = await handler({}, localContext("health-metrics"));
  return Object.fromEntries(gauges.map((gauge) => [gauge.name, gauge.value]));
}

describe("health metrics for the dashboard and its alarms", () => {
  it("shows a quarantined group with its stuck change, and clears once it is redriven", async () => {
    // Prepare
    const emulator = runtime.emulator!;
    emulator.addFault({ kind: "server-error", rate: 1, method: "POST", path: "^/Groups$" });
    const group = await syncNewGroup(runtime, "Watched", [addOktaUser(runtime)]);

    // Act
    const whileQuarantined = await measure();
    emulator.faults.clear();
    await fetch(`${runtime.url}/admin/redrive`, {
      method: "POST",
      headers: { authorization: `Bearer ${runtime.config.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ items: [{ source: "okta", groupId: group.id }] }),
    });
    await runtime.bus.idle();
    const afterRedrive = await measure();

    // Assess
    expect(whileQuarantined).toMatchObject({ QuarantinedGroups: 1, SyncPaused: 0, HeldRemovals: 0 });
    expect(whileQuarantined.PendingChanges).toBeGreaterThan(0);
    expect(afterRedrive).toMatchObject({
      QuarantinedGroups: 0,
      PendingChanges: 0,
      FailedItems: 0,
      OldestPendingSeconds: 0,
    });
  }, 60_000);
});
