import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sampleEntraGroups } from "../../local/graph/sample-tenant";
import { membershipEvent, oktaDelivery, oktaLogEvent } from "../../local/okta-org/okta-event-payloads";
import { sampleGroups } from "../../local/okta-org/sample-org";
import { type Evidence, toEventBridgeEvent } from "../support/aws-endpoints";
import { DeployedService } from "../support/deployed-service";
import { pollUntil } from "../support/runtime-fixture";
import {
  allows,
  type DeployedFunction,
  evaluateStage,
  grants,
  type StackModel,
} from "../support/stack-model";

/**
 * What `sst deploy` ships, run: every function SST would bundle from the stacks, each bundle in a
 * fresh Node 24 process with the environment and role the stack gives it, wired as in AWS (API
 * Gateway routes, bus rules, async retries and destinations), against DynamoDB Local, local
 * EventBridge / Scheduler / Secrets Manager endpoints, the Okta org, the Graph tenant and the Kiro
 * emulator. Each AWS call is attributed to its function, and at the end each role is held to
 * exactly the calls its function made.
 */
let model: StackModel;
let service: DeployedService;
let initMs: Record<string, number>;
let stopRouting: () => void;

beforeAll(async () => {
  model = await evaluateStage("bundles", {
    OKTA_ORG_URL: "https://example.okta.com",
    ENTRA_ENABLED: "true",
    RETRY_BASE_DELAY_MS: "50",
    RETRY_MAX_DELAY_MS: "500",
    RUN_CHUNK_SIZE: "40",
    SWEEP_GRACE_SECONDS: "0",
    PAUSE_PROBE_SECONDS: "1",
  });
  service = await DeployedService.start(model, inject("dynamoEndpoint"));
  initMs = await service.coldStart();
  stopRouting = service.routeBusEvents();
}, 240_000);

afterAll(async () => {
  stopRouting?.();
  await service?.stop();
});

interface Status {
  counts: Record<string, { groups: Record<string, number> }>;
  degraded: boolean;
  sources: Record<string, { state: string; code?: string }>;
  paused: { errorCode: string } | null;
  heldRuns: { runId: string; removals: number }[];
  quarantined: { id: string; lastError?: string }[];
  runs?: { runId: string; kind: string; phase: string; error?: string }[];
}

const bearer = () => ({ authorization: `Bearer ${service.secrets.statusToken}` });
const adminBearer = () => ({ authorization: `Bearer ${service.secrets.adminToken}` });
const status = async () => (await service.request("GET", "/status", { headers: bearer() })).json() as Status;
const oktaPost = (body: unknown) =>
  service.request("POST", "/okta/events", { body, headers: { authorization: service.secrets.hookSecret } });

/** Kiro's members of a group, by the users' externalIds (the IdP ids). */
function kiroMembers(groupName: string): string[] {
  const state = service.emulator.directory.snapshot();
  const group = state.groups.find((candidate) => candidate.displayName === groupName);
  const externalIdOf = new Map(state.users.map((user) => [String(user.id), String(user.externalId)]));
  return (group?.members ?? []).map((id) => externalIdOf.get(id) ?? id).sort();
}

describe("the bundles SST builds, run as deployed", () => {
  it("loads every function the stacks name in a fresh Node 24 process", () => {
    // Prepare
    const names = model.functions.map((fn) => fn.id).sort();
    // Act
    const loaded = Object.keys(initMs).sort();
    // Assess
    expect(names.length).toBe(13);
    expect(loaded).toEqual(names);
    for (const ms of Object.values(initMs)) expect(ms).toBeGreaterThan(0);
  });

  it("answers 503 'not configured' and stores nothing until the secrets are filled in", async () => {
    // Prepare
    const delivery = oktaDelivery([
      membershipEvent("add", { id: "00uunfilled000000001" }, sampleGroups[0] as { id: string; name: string }),
    ]);
    // Act
    const hook = await oktaPost(delivery);
    const statusAnswer = await service.request("GET", "/status", { headers: bearer() });
    const adminAnswer = await service.request("POST", "/admin/doctor", { headers: adminBearer() });
    const reconcile = await service.runJob("reconcile");
    // Assess
    expect(hook.status).toBe(503);
    expect(JSON.parse(hook.text)).toEqual({ message: "not configured" });
    expect(statusAnswer.status).toBe(503);
    expect(adminAnswer.status).toBe(503);
    expect(adminAnswer.json()).toMatchObject({ message: expect.stringContaining("the AdminToken secret") });
    expect("result" in reconcile ? reconcile.result : reconcile.error).toMatchObject({
      skipped: expect.stringContaining("has no value yet"),
    });
    expect(service.aws.events()).toEqual([]);
    service.fillSecrets();
  });

  it("answers Okta's verification challenge", async () => {
    // Prepare
    const challenge = "challenge-from-okta";
    // Act
    const answer = await service.request("GET", "/okta/events", {
      headers: { "x-okta-verification-challenge": challenge },
    });
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ verification: challenge });
  });

  it("takes an Okta hook delivery through the bus and the sync worker into Kiro; /status, /log and /users show it", async () => {
    // Prepare
    const [engineering] = sampleGroups;
    const members = [...(service.okta?.members.get(engineering.id) ?? [])];
    const delivery = oktaDelivery(members.map((id) => membershipEvent("add", { id }, engineering)));
    const login = service.okta!.users.get(members[0]!)!.profile.login;
    // Act
    const answer = await oktaPost(delivery);
    await service.idle();
    const report = await status();
    const log = (await (
      await service.request("GET", `/log?object=${engineering.name}&source=okta`, { headers: bearer() })
    ).json()) as { entries: { action: string; objectId: string }[] };
    const explained = await service.request("GET", `/users/${encodeURIComponent(login)}?live=true`, {
      headers: bearer(),
    });
    // Assess
    expect(answer.status).toBe(204);
    expect(service.aws.events().some((event) => event.DetailType === "GroupChanged")).toBe(true);
    expect(kiroMembers(engineering.name)).toEqual(members.sort());
    expect(report.counts.okta?.groups.synced).toBeGreaterThanOrEqual(1);
    expect(
      log.entries
        .filter((entry) => entry.action === "add-member")
        .map((entry) => entry.objectId.split("/")[1])
        .sort(),
    ).toEqual(members.sort());
    expect(explained.status, explained.text).toBe(200);
    expect(explained.json()).toMatchObject({
      id: members[0],
      status: "synced",
      live: { idp: { found: true }, kiro: { found: true, groups: [engineering.name] }, attributes: [] },
    });
  });

  it("deactivates in Kiro a user Okta deactivated, from a lifecycle event", async () => {
    // Prepare
    const [engineering] = sampleGroups;
    const leaver = [...(service.okta?.members.get(engineering.id) ?? [])].at(-1)!;
    const user = service.okta!.users.get(leaver)!;
    user.status = "DEPROVISIONED";
    // Act
    const answer = await oktaPost(
      oktaDelivery([oktaLogEvent("user.lifecycle.deactivate", [{ id: leaver, type: "User" }])]),
    );
    await service.idle();
    // Assess
    expect(answer.status).toBe(204);
    const kiroUser = service.emulator.directory.snapshot().users.find((each) => each.externalId === leaver);
    expect(kiroUser?.active).toBe(false);
  });

  it("refuses a hook delivery without the secret with 401", async () => {
    // Prepare
    const before = service.aws.events().length;
    // Act
    const answer = await service.request("POST", "/okta/events", { body: oktaDelivery([]) });
    // Assess
    expect(answer.status).toBe(401);
    expect(service.aws.events().length).toBe(before);
  });

  it("creates the Graph subscriptions from the scheduled job and syncs a notified Entra group", async () => {
    // Prepare
    const graph = service.graph!;
    const developers = sampleEntraGroups.developers;
    // Act
    const job = await service.runJob("entra-subscriptions");
    await graph.notifyGroupChange(developers.id, undefined);
    await service.idle();
    const explained = await service.request(
      "GET",
      `/groups/${encodeURIComponent(developers.displayName)}?source=entra&live=true`,
      { headers: bearer() },
    );
    // Assess
    expect("error" in job ? job.error : undefined).toBeUndefined();
    expect(graph.subscriptions.size).toBe(2);
    expect(kiroMembers(developers.displayName)).toEqual(graph.transitiveUserIds(developers.id).sort());
    expect(explained.status, explained.text).toBe(200);
    expect(explained.json()).toMatchObject({
      id: developers.id,
      live: { idp: { found: true }, differences: [] },
    });
    expect((await status()).sources.entra).toMatchObject({ state: "ok" });
  });

  it("names a failing Entra in /status from the scheduled job, and clears it once Graph answers", async () => {
    // Prepare
    const graph = service.graph!;
    graph.permissions.delete("Group.Read.All");
    const parkedBefore = service.deadLetters.length;
    // Act
    const failing = await service.runJob("entra-subscriptions");
    const whileFailing = await status();
    graph.permissions.add("Group.Read.All");
    await service.runJob("entra-subscriptions");
    const recovered = await status();
    // Assess
    expect("error" in failing).toBe(true);
    expect(service.deadLetters.length - parkedBefore).toBe(1);
    expect(whileFailing).toMatchObject({
      degraded: true,
      sources: { entra: { state: "degraded", code: "IDP.AUTH" } },
    });
    expect(recovered).toMatchObject({ degraded: false, sources: { entra: { state: "ok" } } });
  });

  it("renews a subscription when Graph asks for reauthorization", async () => {
    // Prepare
    const graph = service.graph!;
    const [subscription] = [...graph.subscriptions.values()];
    const before = subscription?.expirationDateTime;
    // Act
    const answer = await graph.notifyLifecycle(String(subscription?.id), "reauthorizationRequired");
    await service.idle();
    // Assess
    expect(answer).toBe(202);
    expect(graph.subscriptions.get(String(subscription?.id))?.expirationDateTime).not.toBe(before);
  });

  it("re-reads an Entra user Graph notified about, and resyncs after Graph says notifications were missed", async () => {
    // Prepare
    const graph = service.graph!;
    const developers = sampleEntraGroups.developers;
    const [userId] = graph.transitiveUserIds(developers.id);
    const [subscription] = [...graph.subscriptions.values()];
    // Act
    const user = await graph.notifyUserChange(String(userId));
    const missed = await graph.notifyLifecycle(String(subscription?.id), "missed");
    await service.idle();
    // Assess
    expect(user).toBe(202);
    expect(missed).toBe(202);
    expect(kiroMembers(developers.displayName)).toEqual(graph.transitiveUserIds(developers.id).sort());
  });

  it("retries a write Kiro throttles through an EventBridge Scheduler schedule", async () => {
    // Prepare
    const [, platform] = sampleGroups;
    const members = [...(service.okta?.members.get(platform.id) ?? [])];
    service.emulator.addFault({ kind: "throttle", count: 3, method: "PATCH" });
    // Act
    await oktaPost(oktaDelivery(members.map((id) => membershipEvent("add", { id }, platform))));
    await service.idle();
    const scheduled = service.aws.schedules().length;
    const sweep = await service.runJob("sweep");
    await service.settle(() => kiroMembers(platform.name).length === members.length);
    // Assess
    expect(scheduled).toBeGreaterThanOrEqual(1);
    expect("result" in sweep ? sweep.result : sweep.error).toMatchObject({ groups: expect.any(Number) });
    expect(kiroMembers(platform.name)).toEqual(members.sort());
  });

  it("runs the operator routes with the admin token only: a chunked reconcile to its end and a doctor that passes, each in the log with who asked", async () => {
    // Prepare
    const headers = adminBearer();
    // Act
    const reconcile = await service.request("POST", "/admin/reconcile", { headers });
    await service.idle();
    const doctor = await service.request("POST", "/admin/doctor", { headers });
    const unauthenticated = await service.request("POST", "/admin/doctor");
    const withStatusToken = await service.request("POST", "/admin/doctor", { headers: bearer() });
    const log = (await service.request("GET", "/log", { headers: bearer() })).json() as {
      entries: {
        kind: string;
        request?: string;
        actor?: { role: string };
        runId?: string;
        status?: number;
      }[];
    };
    // Assess
    expect(reconcile.status).toBe(202);
    expect(doctor.status).toBe(200);
    expect(doctor.json(), doctor.text).toMatchObject({ ok: true });
    expect(unauthenticated.status).toBe(401);
    expect(withStatusToken.status).toBe(403);
    const operatorEntries = log.entries.filter((entry) => entry.kind === "OPERATOR");
    expect(operatorEntries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          request: "POST /admin/reconcile",
          actor: expect.objectContaining({ role: "admin" }),
          status: 202,
          runId: (reconcile.json() as { runId: string }).runId,
        }),
        expect.objectContaining({ request: "POST /admin/doctor", status: 200 }),
      ]),
    );
    expect(operatorEntries.some((entry) => entry.status === 403 || entry.status === 401)).toBe(false);
  }, 60_000);

  it("repairs on a deep reconcile what Kiro lost by hand and what Okta changed, renamed or deleted without an event", async () => {
    // Prepare
    const [engineering] = sampleGroups;
    const [renamed, lost, silenced, deleted] = [...(service.okta?.members.get(engineering.id) ?? [])].slice(
      -4,
    );
    const state = service.emulator.directory.snapshot();
    const kiroIdOf = (externalId: string) => String(state.users.find((u) => u.externalId === externalId)!.id);
    const group = state.groups.find((candidate) => candidate.displayName === engineering.name)!;
    const edit = await fetch(`${service.emulator.url}/_emulator/console/groups/${group.id}`, {
      method: "PATCH",
      body: JSON.stringify({
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [{ op: "remove", path: "members", value: [{ value: kiroIdOf(lost!) }] }],
      }),
    });
    service.okta!.users.get(silenced!)!.status = "SUSPENDED";
    service.okta!.users.get(renamed!)!.profile.lastName = "Renamed";
    service.okta!.deleteUser(deleted!);
    // Act
    const reconcile = await service.request("POST", "/admin/reconcile?deep=true", { headers: adminBearer() });
    await service.idle();
    // Assess
    expect(edit.status).toBe(204);
    expect(reconcile.status).toBe(202);
    expect(kiroMembers(engineering.name)).toContain(lost);
    const kiroSilenced = service.emulator.directory.snapshot().users.find((u) => u.externalId === silenced);
    expect(kiroSilenced).toMatchObject({ active: false });
    const kiroDeleted = service.emulator.directory.snapshot().users.find((u) => u.externalId === deleted);
    expect(kiroDeleted).toMatchObject({ active: false });
    const kiroRenamed = service.emulator.directory.snapshot().users.find((u) => u.externalId === renamed);
    expect(kiroRenamed).toMatchObject({ name: { familyName: "Renamed" } });
    expect(kiroMembers(engineering.name)).not.toContain(deleted);
  });

  it("holds a large removal and applies it on approval", async () => {
    // Prepare
    const [engineering] = sampleGroups;
    const leavers = [...(service.okta?.members.get(engineering.id) ?? [])].slice(0, 8);
    for (const leaver of leavers) service.okta?.removeMember(engineering.id, leaver);
    // Act
    const run = (await service.request("POST", "/admin/reconcile", { headers: adminBearer() })).json() as {
      runId: string;
    };
    await service.idle();
    const held = await pollUntil(status, (report) => report.heldRuns.length > 0);
    const approval = await service.request("POST", `/admin/approve/${run.runId}`, { headers: adminBearer() });
    await service.idle();
    // Assess
    expect(held.heldRuns[0]).toMatchObject({ runId: run.runId });
    expect(approval.status).toBe(202);
    for (const leaver of leavers) expect(kiroMembers(engineering.name)).not.toContain(leaver);
  });

  it("pauses the sync on a refused Kiro token, and lifts the pause once the secret holds a working one", async () => {
    // Prepare
    const [, , sre, sales] = sampleGroups;
    const newcomer = [...(service.okta?.members.get(sales.id) ?? [])][0]!;
    service.okta?.addMember(sre.id, newcomer);
    const members = [...(service.okta?.members.get(sre.id) ?? [])];
    service.emulator.revokeToken();
    // Act
    await oktaPost(oktaDelivery([membershipEvent("add", { id: newcomer }, sre)]));
    await service.idle();
    const paused = await status();
    service.aws.putSecret(model.functions[0]!.environment.KIRO_SCIM_SECRET_ID!, {
      url: service.emulator.profile.scimUrl,
      token: service.emulator.addToken(),
    });
    await new Promise((done) => setTimeout(done, 1100));
    await service.settle(() => kiroMembers(sre.name).length === members.length);
    const resumed = await status();
    // Assess
    expect(paused.paused).toMatchObject({ errorCode: "SCIM.AUTH" });
    expect(resumed.paused).toBeNull();
    expect(kiroMembers(sre.name)).toEqual(members.sort());
  });

  it("quarantines a group whose worker Lambda gave up on, and sends it back on POST /admin/redrive", async () => {
    // Prepare
    const [, , , sales] = sampleGroups;
    /* Kiro refuses a user without a family name (the sample's "Prince"): a failed item, not a member. */
    const members = [...(service.okta?.members.get(sales.id) ?? [])].filter(
      (id) => service.okta?.users.get(id)?.profile.lastName,
    );
    await oktaPost(oktaDelivery(members.map((id) => membershipEvent("add", { id }, sales))));
    const timedOut = service.aws.events().find((event) => event.Detail.includes(sales.id))!;
    await service.idle();
    const record = {
      version: "1.0",
      timestamp: new Date().toISOString(),
      requestContext: { condition: "RetriesExhausted", approximateInvokeCount: 3 },
      requestPayload: toEventBridgeEvent(timedOut),
      responsePayload: { errorType: "Sandbox.Timedout", errorMessage: "Task timed out after 300.00 seconds" },
    };
    // Act
    const recorded = await service.invokeAsync("async-failure", record);
    const quarantined = await status();
    const answer = await service.request("POST", "/admin/redrive", { headers: adminBearer(), body: {} });
    await service.idle();
    const after = await status();
    // Assess
    expect("error" in recorded).toBe(false);
    expect(quarantined.quarantined.map((entry) => entry.id)).toContain(sales.id);
    expect(answer.status).toBe(202);
    expect(after.quarantined).toEqual([]);
    expect(kiroMembers(sales.name)).toEqual(members.sort());
  });

  it("retries a run chunk whose IdP read failed through a Scheduler schedule, and finishes the run", async () => {
    // Prepare
    service.okta!.failNext("unavailable", 4, { path: /\/api\/v1\/groups(\?|$)/ });
    // Act
    const reconcile = await service.request("POST", "/admin/reconcile", { headers: adminBearer() });
    const { runId } = reconcile.json() as { runId: string };
    const runOf = async () => (await status()).runs?.find((run) => run.runId === runId);
    await service.settle(async () => (await runOf())?.phase === "finished");
    const run = await runOf();
    // Assess
    expect(reconcile.status).toBe(202);
    expect(
      service.aws
        .calls()
        .filter((call) => call.action === "scheduler:CreateSchedule" && call.principal.includes("RunChunk"))
        .length,
    ).toBeGreaterThanOrEqual(1);
    expect(run?.error).toBeUndefined();
  });

  it("re-provisions a recreated Kiro profile on POST /admin/reprovision, in chunks", async () => {
    // Prepare
    const [engineering] = sampleGroups;
    const expected = kiroMembers(engineering.name);
    const profile = service.emulator.resetProfile();
    service.aws.putSecret(model.functions[0]!.environment.KIRO_SCIM_SECRET_ID!, {
      url: profile.scimUrl,
      token: profile.token,
    });
    // Act
    const answer = await service.request("POST", "/admin/reprovision", { headers: adminBearer() });
    await service.idle();
    await service.settle(() => kiroMembers(engineering.name).length === expected.length);
    const report = await status();
    // Assess
    expect(answer.status).toBe(202);
    expect(expected.length).toBeGreaterThan(0);
    expect(kiroMembers(engineering.name)).toEqual(expected);
    expect(report.runs?.find((run) => run.kind === "reprovision")?.error).toBeUndefined();
  });

  /* After the reconciles above: one more group in their runs is one more cold worker on a loaded machine. */
  it("provisions on demand a user whose hook event was lost, and logs it", async () => {
    // Prepare
    const group = { id: "00gondemand000000001", name: "Provisioned-On-Demand" };
    const login = "on.demand@example.com";
    service.okta!.addUser({
      id: "00uondemand000000001",
      status: "ACTIVE",
      profile: { login, email: login, firstName: "On", lastName: "Demand" },
    });
    service.okta!.addGroup(group);
    service.okta!.addMember(group.id, "00uondemand000000001");
    // Act
    const answer = await service.request("POST", "/admin/provision", {
      headers: adminBearer(),
      body: { user: login },
    });
    await service.idle();
    // Assess
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json()).toMatchObject({ outcome: "provisioned", id: "00uondemand000000001" });
    expect(kiroMembers(group.name)).toEqual(["00uondemand000000001"]);
  });

  it("records a worker that failed through Lambda's retries, and parks what the recorder cannot read", async () => {
    // Prepare
    const malformed = {
      version: "0",
      id: "broken",
      "detail-type": "GroupChanged",
      source: "kiro-scim-sync",
      account: "123456789012",
      time: new Date().toISOString(),
      region: "us-east-1",
      resources: [],
      detail: { not: "a group change" },
    };
    const recorderRuns = () => service.invocations.filter((each) => each.fn === "AsyncFailure").length;
    const before = recorderRuns();
    const parkedBefore = service.deadLetters.length;
    // Act
    const outcome = await service.invokeAsync("sync-group", malformed);
    await service.idle();
    // Assess
    expect("error" in outcome).toBe(true);
    expect(service.deadLetters.length - parkedBefore).toBe(1);
    expect(recorderRuns() - before).toBe(3);
  });

  it("runs the scheduled jobs: sweep, health gauges and the hourly reconcile", async () => {
    // Prepare
    const jobs = ["sweep", "health-metrics", "reconcile"];
    // Act
    const outcomes = [];
    for (const job of jobs) outcomes.push(await service.runJob(job));
    // Assess
    for (const [index, outcome] of outcomes.entries())
      expect("error" in outcome ? outcome.error : undefined, jobs[index]).toBeUndefined();
  });

  it("keeps the admin token's secret to the Admin function: Admin reads it, Status never does nor may", () => {
    // Prepare
    const adminSecret = model.functions[0]!.environment.ADMIN_TOKEN_SECRET_ID!;
    const statusFn = model.functions.find((fn) => fn.source === "functions/status")!;
    const adminFn = model.functions.find((fn) => fn.source === "functions/admin")!;
    // Act
    const reads = service
      .evidence()
      .filter((call) => call.action === "secretsmanager:GetSecretValue" && call.resource === adminSecret);
    // Assess
    expect(reads.map((call) => call.principal)).toContain(adminFn.id);
    expect(reads.filter((call) => call.principal !== adminFn.id)).toEqual([]);
    expect(allows(statusFn.role.statements, "secretsmanager:GetSecretValue", adminSecret)).toBe(false);
    expect(allows(adminFn.role.statements, "secretsmanager:GetSecretValue", adminSecret)).toBe(true);
  });

  it("allows each function exactly the AWS calls it made: every call granted, on its resources, and no grant unused", () => {
    // Prepare
    const evidence = service.evidence();
    const byFunction = (fn: DeployedFunction) => evidence.filter((each) => each.principal === fn.id);
    // Act
    const report = model.functions.map((fn) => {
      const calls = byFunction(fn);
      const denied = calls.filter((call) => !allows(fn.role.statements, call.action, call.resource));
      const destination = onFailureDestination(fn);
      const unused = grants(fn.role.statements).filter(
        (grant) =>
          grant.resource !== destination &&
          !calls.some((call) => allows([statementOf(grant)], call.action, call.resource)),
      );
      return { fn: fn.id, denied: denied.map(describeCall), unused: unused.map(describeGrant) };
    });
    // Assess
    expect(evidence.length).toBeGreaterThan(0);
    writeFileSync(
      join(model.functions[0]!.bundle.dir, "..", "evidence.json"),
      JSON.stringify({ evidence, report }, null, 1),
    );
    expect(report.filter((entry) => entry.denied.length > 0 || entry.unused.length > 0)).toEqual([]);
  });
});

/**
 * Lambda, not the function's code, uses the grant on the on-failure destination (checked against
 * the invoke config in stack.test.ts), so a run in which nothing failed for good leaves it unused.
 */
function onFailureDestination(fn: DeployedFunction): string | undefined {
  const config = model
    .ofType("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
    .find((each) => each.inputs.functionName === fn.physicalName);
  return (config?.inputs.destinationConfig as { onFailure?: { destination?: string } } | undefined)?.onFailure
    ?.destination;
}

const statementOf = (grant: { action: string; resource: string }) => ({
  Effect: "Allow",
  Action: grant.action,
  Resource: grant.resource,
});
const describeCall = (call: Evidence) => `${call.action} ${call.resource}`;
const describeGrant = (grant: { action: string; resource: string }) => `${grant.action} ${grant.resource}`;
