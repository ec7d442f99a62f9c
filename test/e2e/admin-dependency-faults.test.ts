import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import {
  addOktaUser,
  fetchStatus,
  pollUntil,
  postAdmin,
  startTestRuntime,
  stopTestRuntime,
  syncNewGroup,
} from "../support/runtime-fixture";

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({ SYNC_GROUPS: "Operated-*" });
  await syncNewGroup(
    runtime,
    "Operated",
    Array.from({ length: 6 }, () => addOktaUser(runtime)),
  );
});
afterAll(() => stopTestRuntime(runtime));
afterEach(() => {
  runtime.emulator!.faults.clear();
  runtime.oktaOrg!.recover();
});

const admin = (path: string) => postAdmin(runtime, path);

/** The SCIM client tries a read three times itself; these faults outlast that. */
const dropKiroReads = (count?: number) =>
  runtime.emulator!.faults.add({
    kind: "drop",
    method: "GET",
    path: "^/Users/",
    ...(count === undefined ? { rate: 1 } : { count }),
  });

const runs = () =>
  fetchStatus<{ runs: { runId: string; finishedAt?: string; error?: string }[] }>(runtime).then(
    (report) => report.runs,
  );

describe("operator calls while a dependency fails", () => {
  it("starts the reconcile and answers 202 when Kiro drops the connection on the first reads", async () => {
    // Prepare
    dropKiroReads(3);

    // Act
    const answer = await admin("/admin/reconcile");

    // Assess
    expect(answer.status).toBe(202);
    const runId = answer.body.runId as string;
    const finished = await pollUntil(runs, (all) => all.some((run) => run.runId === runId && run.finishedAt));
    expect(finished.find((run) => run.runId === runId)?.error).toBeUndefined();
  });

  it("answers 503 with Retry-After and the stable code while Kiro stays down", async () => {
    // Prepare
    dropKiroReads();

    // Act
    const answer = await admin("/admin/reconcile");

    // Assess
    expect(answer.status).toBe(503);
    expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(answer.body).toMatchObject({ code: "SCIM.CONNECTION", retryable: true });
    expect(JSON.stringify(answer.body)).not.toContain(runtime.config.kiroScim!.token);
  });

  it("answers 503 inside API Gateway's 29 s when Kiro takes the connection and never answers", async () => {
    // Prepare
    runtime.emulator!.faults.add({
      kind: "latency",
      latencyMs: 120_000,
      rate: 1,
      method: "GET",
      path: "^/Users/",
    });
    const startedAt = Date.now();

    // Act
    const answer = await admin("/admin/reconcile");

    // Assess
    expect(Date.now() - startedAt).toBeLessThan(25_000);
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ code: "DEPENDENCY.TIMEOUT", retryable: true });
  }, 60_000);

  it("answers a dry run 503 with Retry-After while Okta stays down", async () => {
    // Prepare
    runtime.oktaOrg!.failNext("unavailable", 10_000, { path: /\/api\/v1\/groups/ });

    // Act
    const answer = await admin("/admin/reconcile?dryRun=true");

    // Assess
    expect(answer.status).toBe(503);
    expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(answer.body).toMatchObject({ code: expect.stringMatching(/^IDP\./), retryable: true });
  });
});
