import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import { membershipEvent, oktaDelivery, oktaLogEvent } from "../../local/okta-org/okta-event-payloads";
import {
  addOktaGroup,
  addOktaUser,
  fetchStatus,
  pollUntil,
  postOkta,
  startTestRuntime,
  stopTestRuntime,
  syncNewGroup,
} from "../support/runtime-fixture";

let runtime: LocalRuntime;

/* Retries a second or two apart and far from quarantine, so an alert that only came with
   quarantine could not pass for an alert on the failure itself. */
beforeAll(async () => {
  runtime = await startTestRuntime({
    RETRY_BASE_DELAY_MS: "1000",
    RETRY_MAX_DELAY_MS: "2000",
    RETRY_MAX_ATTEMPTS: "30",
  });
});
afterAll(() => stopTestRuntime(runtime));

interface Status {
  health: { verdict: string; reasons: string[] };
  alerts: string[];
  quarantined: { id: string }[];
  kiroCalls: { calls: number; failed: number; failing: boolean; lastFailureAt: string | null };
  hookRejections: { count: number };
}
const status = () => fetchStatus<Status>(runtime);
const kiroAlert = (report: Status) => report.alerts.find((alert) => alert.startsWith("Kiro is failing"));

describe("alerts on failures that keep recurring, before quarantine", () => {
  it("names Kiro within one pass while it answers 500 to every write, and lets go once the faults stop and a pass succeeds", async () => {
    // Prepare
    for (const method of ["POST", "PUT", "PATCH", "DELETE"])
      runtime.emulator!.addFault({ kind: "server-error", rate: 1, method });
    const group = addOktaGroup(runtime, "Outage");
    const person = addOktaUser(runtime);
    runtime.oktaOrg!.addMember(group.id, person.id);

    // Act
    await postOkta(
      runtime,
      oktaDelivery([membershipEvent("add", { id: person.id, login: person.profile.login }, group)]),
    );
    const failing = await pollUntil(status, (report) => kiroAlert(report) !== undefined);
    runtime.emulator!.faults.clear();
    const recovered = await pollUntil(status, (report) => kiroAlert(report) === undefined);
    await runtime.bus.idle();

    // Assess
    expect(kiroAlert(failing)).toMatch(
      /^Kiro is failing: \d+ of the last \d+ calls answered 500 \(the last at \d{4}-/,
    );
    expect(failing.kiroCalls).toMatchObject({ failing: true, lastFailureAt: expect.any(String) });
    expect(failing.kiroCalls.failed * 2).toBeGreaterThan(failing.kiroCalls.calls);
    expect(failing.quarantined).toEqual([]);
    expect(failing.health.verdict).toBe("failing");
    expect(failing.health.reasons).toContainEqual(expect.stringMatching(/^Kiro is failing/));
    expect(recovered.kiroCalls.failing).toBe(false);
    expect(recovered.health.reasons.join(" ")).not.toContain("Kiro is failing");
  }, 60_000);

  it("alerts on repeated malformed deliveries from an authenticated Okta, and stores nothing for wrong tokens", async () => {
    // Prepare
    const malformed = { data: { events: "not a list" } };
    const before = (await status()).hookRejections.count;

    // Act
    const refused = [];
    for (let call = 0; call < 3; call++) refused.push((await postOkta(runtime, malformed)).status);
    const unauthenticated = [];
    for (let call = 0; call < 3; call++)
      unauthenticated.push((await postOkta(runtime, malformed, "Basic not-the-secret")).status);
    const report = await status();

    // Assess
    expect(refused).toEqual([400, 400, 400]);
    expect(unauthenticated).toEqual([401, 401, 401]);
    expect(report.hookRejections.count - before).toBe(3);
    const alert = report.alerts.find((each) => each.startsWith("okta hook:"));
    expect(alert).toMatch(/^okta hook: \d+ requests or events rejected in the last 5 minutes \(400 /);
    expect(alert).not.toContain("401");
    expect(report.health.reasons).toContain(alert);
  });

  it("names a user Kiro refused twice in a row", async () => {
    // Prepare
    const nameless = addOktaUser(runtime, { lastName: null });
    await syncNewGroup(runtime, "Refusing", [nameless]);
    const target = [{ id: nameless.id, type: "User" as const, alternateId: nameless.profile.login }];

    // Act
    await postOkta(runtime, oktaDelivery([oktaLogEvent("user.account.update_profile", target)]));
    const report = await pollUntil(status, (each) =>
      each.alerts.some((alert) => alert.includes(nameless.profile.login)),
    );

    // Assess
    const alert = report.alerts.find((each) => each.includes(nameless.profile.login));
    expect(alert).toBe(
      `1 user Kiro refused twice in a row or more, e.g. ${nameless.profile.login} (okta ${nameless.id}): USER.INVALID_PROFILE familyName is empty; fix the profile in the IdP (each is sent again after its back-off, or at once on a profile change)`,
    );
    expect(report.health.reasons).toContainEqual(
      expect.stringContaining(`${nameless.profile.login} (okta ${nameless.id})`),
    );
  }, 60_000);
});
