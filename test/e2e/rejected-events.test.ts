import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import { membershipEvent, oktaDelivery, oktaLogEvent } from "../../local/okta-org/okta-event-payloads";
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
let lines: string[] = [];

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => stopTestRuntime(runtime));
afterEach(() => {
  vi.restoreAllMocks();
});

function captureOutput() {
  lines = [];
  const keep = (chunk: unknown) => {
    lines.push(...String(chunk).split("\n").filter(Boolean));
    return true;
  };
  vi.spyOn(process.stdout, "write").mockImplementation(keep);
  vi.spyOn(process.stderr, "write").mockImplementation(keep);
  for (const method of ["log", "info", "warn", "error"] as const)
    vi.spyOn(console, method).mockImplementation(
      (...args: unknown[]) => void keep(args.map(String).join(" ")),
    );
}

const parsed = () =>
  lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
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
    captureOutput();

    // Act
    const answer = await postOkta(runtime, oktaDelivery([withoutGroup, oversize, good]));
    await runtime.bus.idle();
    vi.restoreAllMocks();

    // Assess
    const warnings = parsed().filter((entry) => entry.message === "events rejected");
    const rejected = warnings.flatMap((entry) => entry.events as { uuid: string; reason: string }[]);
    const metricValues = parsed().flatMap((entry) =>
      typeof entry.EventsRejected === "number" ? [entry.EventsRejected] : [],
    );
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
