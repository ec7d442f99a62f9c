import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import { membershipEvent, oktaDelivery } from "../../local/okta-org/okta-event-payloads";
import { captureOutput } from "../support/log-capture";
import {
  addOktaGroup,
  addOktaUser,
  postAdmin,
  postOkta,
  startTestRuntime,
  stopTestRuntime,
} from "../support/runtime-fixture";

/* The logger reads its level when its module loads and again on every invocation, so the level
   for this file has to be in the environment before any import. */
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = "DEBUG";
});

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => stopTestRuntime(runtime));
afterEach(() => {
  vi.restoreAllMocks();
});

describe("log hygiene", () => {
  it("logs no secret, token or payload data while handling good, forged and failing requests, admin ones included", async () => {
    // Prepare
    const person = addOktaUser(runtime, { email: "very.private.person@example.com" });
    const group = addOktaGroup(runtime, "Hygiene");
    runtime.oktaOrg!.addMember(group.id, person.id);
    const delivery = oktaDelivery([
      membershipEvent("add", { id: person.id, login: person.profile.login }, group),
    ]);
    const forgedSecret = "forged-secret-that-must-not-appear";
    const output = captureOutput();

    // Act
    await postOkta(runtime, delivery);
    await postOkta(runtime, delivery, forgedSecret);
    await postOkta(runtime, '{"data": {"events": [{"eventType": "nonsense-payload-marker"}]}}');
    runtime.emulator!.addFault({ kind: "server-error", count: 2 });
    await postOkta(
      runtime,
      oktaDelivery([membershipEvent("remove", { id: person.id, login: person.profile.login }, group)]),
    );
    await runtime.bus.idle();
    await postAdmin(runtime, "/admin/reconcile?dryRun=true");
    await postAdmin(runtime, "/admin/reconcile?dryRun=true", runtime.config.statusToken);
    await postAdmin(runtime, "/admin/reconcile?dryRun=true", forgedSecret);
    vi.restoreAllMocks();

    // Assess
    const logs = output.lines.join("\n");
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of [
      runtime.config.okta.hookSecret!,
      forgedSecret,
      runtime.config.kiroScim!.token,
      runtime.config.okta.apiToken!,
      runtime.config.statusToken!,
      runtime.config.adminToken!,
      "very.private.person@example.com",
      person.profile.login,
      "nonsense-payload-marker",
    ])
      expect(logs).not.toContain(secret);
  }, 60_000);
});
