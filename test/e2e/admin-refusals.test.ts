import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import { postAdmin, startTestRuntime, stopTestRuntime } from "../support/runtime-fixture";

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => stopTestRuntime(runtime));

describe("a reconcile an operator asks for at the wrong time", () => {
  it("is refused with 409 and the pause's reason while the sync is paused", async () => {
    // Prepare
    const ledger = runtime.dependencies.ledger;
    const now = new Date();
    await ledger.pauseSync({
      reason: "Kiro SCIM 401: the token is revoked",
      errorCode: "SCIM.AUTH",
      since: now.toISOString(),
      probeAt: new Date(now.getTime() + 60_000).toISOString(),
    });

    // Act
    const answer = await postAdmin(runtime, "/admin/reconcile");
    await ledger.clearSyncPause();
    const afterPause = await postAdmin(runtime, "/admin/reconcile");

    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ code: "SYNC.PAUSED" });
    expect(answer.body.message).toContain("the token is revoked");
    expect(answer.body.message).toContain("Fix the cause (see /status), then reconcile");
    expect(afterPause.status).toBe(202);
  });

  it("is refused with 409 naming the run still in progress, and so is a re-provisioning", async () => {
    // Prepare
    const ledger = runtime.dependencies.ledger;
    await ledger.startRun({
      runId: "run-in-progress",
      kind: "reconcile",
      reason: "started by the test",
      startedAt: new Date().toISOString(),
      managedUsers: 10,
      step: { phase: "groups", source: "okta" },
    });

    // Act
    const answer = await postAdmin(runtime, "/admin/reconcile");
    const dryRun = await postAdmin(runtime, "/admin/reconcile?dryRun=true");
    const reprovision = await postAdmin(runtime, "/admin/reprovision");

    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ code: "RUN.IN_PROGRESS", runId: "run-in-progress" });
    expect(answer.body.message).toContain("running (groups): 0 group syncs queued so far, 0 settled");
    expect(dryRun.status).toBe(200);
    expect(reprovision.status).toBe(409);
    expect(reprovision.body).toMatchObject({ code: "RUN.IN_PROGRESS", runId: "run-in-progress" });
    expect(reprovision.body.message).toContain("running (groups): 0 group syncs queued so far, 0 settled");
  });
});
