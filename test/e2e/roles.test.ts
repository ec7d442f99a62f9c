import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { secretFingerprint } from "../../core/domain/constant-time";
import type { LocalRuntime } from "../../local/local-runtime";
import { captureOutput } from "../support/log-capture";
import { fetchStatus, postAdmin, startTestRuntime, stopTestRuntime } from "../support/runtime-fixture";

/* The refusals are warnings: the logger reads its level when its module loads. */
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = "WARN";
});

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => stopTestRuntime(runtime));
afterEach(() => {
  vi.restoreAllMocks();
});

interface OperatorEntry {
  kind: "OPERATOR";
  at: string;
  actor: { role: string; token: string };
  request: string;
  parameters?: Record<string, unknown>;
  result: string;
  status: number;
  runId?: string;
  message?: string;
}

const read = (path: string, token: string | undefined) =>
  fetch(`${runtime.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

/** The operators' requests in the provisioning log since `since`, oldest first. */
async function operatorEntries(since: string): Promise<OperatorEntry[]> {
  const response = await read(`/log?since=${since}&limit=1000`, runtime.config.statusToken);
  const { entries } = (await response.json()) as { entries: { kind: string }[] };
  return (entries.filter((entry) => entry.kind === "OPERATOR") as OperatorEntry[]).reverse();
}

const newestRun = async () => (await fetchStatus<{ runs: { runId: string }[] }>(runtime)).runs[0]?.runId;

describe("the status token reads, the admin token acts", () => {
  it("refuses the status token on every admin route with 403 saying the admin token is needed, and starts nothing", async () => {
    // Prepare
    const before = await newestRun();

    // Act
    const answers = await Promise.all(
      [
        "/admin/reconcile",
        "/admin/reprovision",
        "/admin/redrive",
        "/admin/doctor",
        "/admin/approve/run-1",
      ].map((path) => postAdmin(runtime, path, runtime.config.statusToken)),
    );

    // Assess
    for (const answer of answers) {
      expect(answer.status).toBe(403);
      expect(answer.body.message).toContain("needs the admin token");
    }
    expect(await newestRun()).toBe(before);
  });

  it("answers 401 to no token and to a token that is neither", async () => {
    // Act
    const none = await postAdmin(runtime, "/admin/reconcile", "");
    const wrong = await postAdmin(runtime, "/admin/reconcile", "x".repeat(40));

    // Assess
    expect(none.status).toBe(401);
    expect(wrong.status).toBe(401);
  });

  it("reads /status and /log with the status token, and not with the admin token (Status never holds it)", async () => {
    // Act
    const [status, log, statusWithAdmin, logWithAdmin] = await Promise.all([
      read("/status", runtime.config.statusToken),
      read("/log", runtime.config.statusToken),
      read("/status", runtime.config.adminToken),
      read("/log", runtime.config.adminToken),
    ]);

    // Assess
    expect([status.status, log.status]).toEqual([200, 200]);
    expect([statusWithAdmin.status, logWithAdmin.status]).toEqual([401, 401]);
  });
});

describe("admin actions in the provisioning log", () => {
  it("writes one entry per admin request with the role, a token fingerprint, the route, its parameters and the outcome", async () => {
    // Prepare
    const since = new Date().toISOString();

    // Act
    const dryRun = await postAdmin(runtime, "/admin/reconcile?dryRun=true");
    const reconcile = await postAdmin(runtime, "/admin/reconcile");
    const unknownRun = await postAdmin(runtime, "/admin/approve/no-such-run");
    const entries = await operatorEntries(since);

    // Assess
    const fingerprint = secretFingerprint(runtime.config.adminToken!);
    expect(entries).toEqual([
      expect.objectContaining({
        actor: { role: "admin", token: fingerprint },
        request: "POST /admin/reconcile",
        parameters: { dryRun: "true" },
        result: "success",
        status: dryRun.status,
      }),
      expect.objectContaining({
        actor: { role: "admin", token: fingerprint },
        request: "POST /admin/reconcile",
        result: "success",
        status: 202,
        runId: reconcile.body.runId,
      }),
      expect.objectContaining({
        actor: { role: "admin", token: fingerprint },
        request: "POST /admin/approve/no-such-run",
        result: "failure",
        status: unknownRun.status,
        message: unknownRun.body.message,
      }),
    ]);
    expect(JSON.stringify(entries)).not.toContain(runtime.config.adminToken);
  });

  it("keeps refused attempts out of the log and warns of each, with no token in the warning", async () => {
    // Prepare
    const since = new Date().toISOString();
    const output = captureOutput();

    // Act
    const forbidden = await postAdmin(runtime, "/admin/reconcile", runtime.config.statusToken);
    const unauthenticated = await postAdmin(runtime, "/admin/reconcile", "not-a-token-of-this-service");
    vi.restoreAllMocks();
    const entries = await operatorEntries(since);

    // Assess
    const warnings = output.jsonLines().filter((line) => line.message === "admin request refused");
    expect([forbidden.status, unauthenticated.status]).toEqual([403, 401]);
    expect(entries).toEqual([]);
    expect(warnings).toEqual([
      expect.objectContaining({
        level: "WARN",
        route: "POST /admin/reconcile",
        status: 403,
        role: "status",
        token: secretFingerprint(runtime.config.statusToken!),
      }),
      expect.objectContaining({ level: "WARN", route: "POST /admin/reconcile", status: 401 }),
    ]);
    const logged = output.lines.join("\n");
    expect(logged).not.toContain(runtime.config.statusToken);
    expect(logged).not.toContain("not-a-token-of-this-service");
  });
});
