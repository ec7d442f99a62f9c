import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import {
  addOktaUser,
  fetchStatus,
  kiroMembersByExternalId,
  pollUntil,
  postAdmin,
  startTestRuntime,
  stopTestRuntime,
  syncNewGroup,
} from "../support/runtime-fixture";

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({ SYNC_GROUPS: "Progress-*", RUN_CHUNK_SIZE: "10" });
});
afterAll(() => stopTestRuntime(runtime));

interface Counts {
  total: number;
  done: number;
  failed: number;
  skipped: number;
  waiting: number;
}
interface RunStatus {
  runId: string;
  kind: string;
  phase: string;
  state: string;
  finishedAt?: string;
  items: Counts & { planned: boolean };
  failedItems?: { kind: string; id: string; name?: string; reason?: string }[];
}
interface Entry {
  kind: string;
  id: string;
  ageSeconds: number;
}
interface Status {
  oldestPending: Entry | null;
  failed: { count: number; oldest: Entry | null };
  runs: RunStatus[];
  kiroTarget: { reprovision: Counts & { state: string } };
  counts: Record<string, { groups: Record<string, number> }>;
}

const status = () => fetchStatus<Status>(runtime);
const runOf = async (runId: string) => (await status()).runs.find((run) => run.runId === runId);
const settledCount = (counts: Counts) => counts.done + counts.failed + counts.skipped;
const ledgerGroups = async () =>
  Object.values((await status()).counts.okta!.groups).reduce((sum, count) => sum + count, 0);

/** `POST /admin/…` answered at once, without waiting for the work it starts. */
async function startAdmin(path: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${runtime.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${runtime.config.adminToken}` },
  });
  expect(response.status).toBe(202);
  return (await response.json()) as Record<string, unknown>;
}

describe("run progress that adds up", () => {
  it("finishes a re-provisioning with a user Kiro refuses as finished with 1 failed, naming the user, its counts adding up", async () => {
    // Prepare
    const nameless = addOktaUser(runtime, { lastName: null });
    const people = [addOktaUser(runtime), addOktaUser(runtime), addOktaUser(runtime), nameless];
    await syncNewGroup(runtime, "Progress", people);

    // Act
    const answer = await postAdmin(runtime, "/admin/reprovision");
    const report = await status();

    // Assess
    const run = report.runs.find((each) => each.runId === answer.body.runId)!;
    expect(run.finishedAt).toBeDefined();
    expect(run.state).toMatch(/^finished with 1 failed: user /);
    expect(run.state).toContain(nameless.profile.login);
    expect(run.state).toContain("familyName is empty");
    expect(run.state).toContain("GET /log?result=failure");
    expect(run.failedItems).toEqual([
      expect.objectContaining({ kind: "USER", id: nameless.id, name: nameless.profile.login }),
    ]);
    expect(settledCount(run.items)).toBe(run.items.total);
    expect(run.items).toMatchObject({ failed: 1, waiting: 0, planned: true });
    expect(report.kiroTarget.reprovision).toMatchObject({
      total: 4,
      done: 3,
      failed: 1,
      skipped: 0,
      waiting: 0,
    });
  }, 60_000);

  it("says a reconcile is not finished while a group sync it queued still runs, and finished once it settled", async () => {
    // Prepare
    const group = await syncNewGroup(runtime, "Progress", [addOktaUser(runtime)]);
    const joiner = addOktaUser(runtime);
    runtime.oktaOrg!.addMember(group.id, joiner.id);
    runtime.emulator!.addFault({
      kind: "latency",
      rate: 1,
      latencyMs: 3_000,
      method: "PATCH",
      path: "^/Groups/",
    });

    // Act
    const { runId } = (await startAdmin("/admin/reconcile")) as { runId: string };
    const audited = await pollUntil(
      () => runOf(runId),
      (run) => run?.finishedAt !== undefined || run?.phase === "settle",
    );
    const kiroHadTheJoiner = kiroMembersByExternalId(runtime, group.name).includes(joiner.id);
    await runtime.bus.idle();
    runtime.emulator!.faults.clear();
    const settled = await runOf(runId);

    // Assess
    expect(kiroHadTheJoiner).toBe(false);
    expect(audited?.finishedAt).toBeUndefined();
    expect(audited?.state).toMatch(/^waiting for [1-9]\d* of the \d+ group syncs it queued$/);
    expect(kiroMembersByExternalId(runtime, group.name)).toContain(joiner.id);
    expect(settled).toMatchObject({ state: "finished", finishedAt: expect.any(String) });
    expect(settled!.items).toMatchObject({ total: await ledgerGroups(), failed: 0, skipped: 0, waiting: 0 });
    expect(settled!.items.done).toBe(settled!.items.total);
  }, 60_000);

  it("counts each queued group once when a chunk is delivered twice, never more done than queued", async () => {
    // Prepare
    await syncNewGroup(runtime, "Progress", [addOktaUser(runtime), addOktaUser(runtime)]);

    // Act
    const { runId } = (await startAdmin("/admin/reconcile")) as { runId: string };
    await runtime.bus.publish([
      { type: "RunChunk", detail: { runId, step: { phase: "discover", source: "okta" } } },
    ]);
    await runtime.bus.idle();
    const run = await runOf(runId);

    // Assess
    expect(run?.state).toBe("finished");
    expect(run!.items.total).toBe(await ledgerGroups());
    expect(settledCount(run!.items)).toBe(run!.items.total);
    expect(run!.items.done).toBeLessThanOrEqual(run!.items.total);
  }, 60_000);
});

describe("the oldest pending change", () => {
  it("counts only pending changes: a group and a user Kiro refused, and their memberships, are counted apart as failed", async () => {
    // Prepare
    const refusal = {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
      detail: "displayName is not allowed",
      status: "400",
    };
    runtime.emulator!.addFault({
      kind: "body",
      rate: 1,
      status: 400,
      body: JSON.stringify(refusal),
      method: "POST",
      path: "^/Groups$",
    });
    const refusedGroup = await syncNewGroup(runtime, "Progress", [addOktaUser(runtime)]);
    runtime.emulator!.faults.clear();
    const nameless = addOktaUser(runtime, { lastName: null });
    await syncNewGroup(runtime, "Progress", [nameless]);

    // Act
    const report = await status();

    // Assess
    const failingIds = [refusedGroup.id, nameless.id];
    expect(failingIds.some((id) => report.oldestPending?.id.includes(id))).toBe(false);
    expect(report.failed.count).toBeGreaterThanOrEqual(4);
    expect(report.failed.oldest).toMatchObject({ ageSeconds: expect.any(Number) });
  }, 60_000);
});
