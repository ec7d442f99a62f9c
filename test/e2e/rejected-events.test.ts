import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import { membershipEvent, oktaDelivery, oktaLogEvent } from "../../local/okta-org/okta-event-payloads";
import { captureOutput } from "../support/log-capture";
import {
  addOktaGroup,
  addOktaUser,
  postOkta,
  startTestRuntime,
  stopTestRuntime,
} from "../support/runtime-fixture";

/* The logger reads its level when its module loads: WARN lines must be on for this file, and the
   metrics on, to read the EMF lines they print. */
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = "WARN";
  process.env.POWERTOOLS_METRICS_DISABLED = "false";
});

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => stopTestRuntime(runtime));
afterEach(() => {
  vi.restoreAllMocks();
});

describe("events Okta could not have sent", () => {
  it("are counted as rejected and named by uuid in a warning, while the rest of the delivery is applied", async () => {
    // Prepare
    const group = addOktaGroup(runtime, "Rejects");
    const person = addOktaUser(runtime);
    const withoutGroup = oktaLogEvent("group.user_membership.add", [
      { id: person.id, type: "User", alternateId: person.profile.login },
    ]);
    const oversize = membershipEvent("add", { id: `00u${"x".repeat(3_000)}` }, group);
    const good = membershipEvent("add", { id: person.id, login: person.profile.login }, group);
    const output = captureOutput();

    // Act
    const answer = await postOkta(runtime, oktaDelivery([withoutGroup, oversize, good]));
    await runtime.bus.idle();
    vi.restoreAllMocks();

    // Assess
    const warnings = output.jsonLines().filter((entry) => entry.message === "events rejected");
    const rejected = warnings.flatMap((entry) => entry.events as { uuid: string; reason: string }[]);
    const metricValues = output
      .jsonLines()
      .flatMap((entry) => (typeof entry.EventsRejected === "number" ? [entry.EventsRejected] : []));
    expect(answer.status).toBe(204);
    expect(rejected).toEqual(
      expect.arrayContaining([
        { uuid: withoutGroup.uuid, reason: "missing-target" },
        { uuid: oversize.uuid, reason: "oversize-target" },
      ]),
    );
    expect(metricValues.reduce((sum, value) => sum + value, 0)).toBe(2);
    expect(
      runtime.emulator!.directory.snapshot().groups.find((each) => each.displayName === group.name),
    ).toBeDefined();
  });
});
