import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import { membershipEvent, oktaDelivery } from "../../local/okta-org/okta-event-payloads";
import {
  addOktaGroup,
  addOktaUser,
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
let captured: string[] = [];

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => stopTestRuntime(runtime));
afterEach(() => {
  vi.restoreAllMocks();
});

function captureEverything() {
  captured = [];
  const keep = (chunk: unknown) => {
    captured.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, "write").mockImplementation(keep);
  vi.spyOn(process.stderr, "write").mockImplementation(keep);
  for (const method of ["log", "info", "warn", "error", "debug"] as const)
    vi.spyOn(console, method).mockImplementation(
      (...args: unknown[]) => void keep(args.map(String).join(" ")),
    );
}

describe("log hygiene", () => {
  it("logs no secret, token or payload data while handling good, forged and failing requests", async () => {
    // Prepare
    const person = addOktaUser(runtime, { email: "very.private.person@example.com" });
    const group = addOktaGroup(runtime, "Hygiene");
    runtime.oktaOrg!.addMember(group.id, person.id);
    const delivery = oktaDelivery([
      membershipEvent("add", { id: person.id, login: person.profile.login }, group),
    ]);
    const forgedSecret = "forged-secret-that-must-not-appear";
    captureEverything();

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
    vi.restoreAllMocks();

    // Assess
    const logs = captured.join("\n");
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of [
      runtime.config.okta.hookSecret!,
      forgedSecret,
      runtime.config.kiroScim!.token,
      runtime.config.okta.apiToken!,
      runtime.config.statusToken!,
      "very.private.person@example.com",
      person.profile.login,
      "nonsense-payload-marker",
    ])
      expect(logs).not.toContain(secret);
  }, 60_000);
});
