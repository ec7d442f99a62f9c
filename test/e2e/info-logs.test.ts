import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import { membershipEvent, oktaDelivery } from "../../local/okta-org/okta-event-payloads";
import { captureOutput } from "../support/log-capture";
import {
  addOktaGroup,
  addOktaUser,
  fetchStatus,
  postOkta,
  startTestRuntime,
  stopTestRuntime,
} from "../support/runtime-fixture";

/* `npm start` logs at INFO; the logger reads its level when its module loads, so it has to be in
   the environment before any import. */
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = "INFO";
});

let runtime: LocalRuntime;
let output: ReturnType<typeof captureOutput>;

/* Everything the worker prints is kept from the start, so the test output stays quiet. */
beforeAll(async () => {
  output = captureOutput();
  runtime = await startTestRuntime();
});
afterAll(async () => {
  await stopTestRuntime(runtime);
  vi.restoreAllMocks();
});

describe("INFO logs", () => {
  it("give one line per group sync that names the group and says what was done", async () => {
    // Prepare
    const people = [addOktaUser(runtime), addOktaUser(runtime)];
    const group = addOktaGroup(runtime, "Logged");
    for (const person of people) runtime.oktaOrg!.addMember(group.id, person.id);
    const delivery = oktaDelivery(
      people.map((person) => membershipEvent("add", { id: person.id, login: person.profile.login }, group)),
    );
    output.lines.length = 0;

    // Act
    await postOkta(runtime, delivery);
    await runtime.bus.idle();

    // Assess
    const syncLines = output
      .jsonLines()
      .filter((line) => String(line.message).startsWith(`group ${group.name} `));
    expect(syncLines).toHaveLength(1);
    expect(syncLines[0]).toMatchObject({
      level: "INFO",
      groupName: group.name,
      message: `group ${group.name} synced: 2 users pushed, 2 members added`,
    });
  }, 60_000);

  it("carry no warning that an invocation recorded no metrics", async () => {
    // Prepare
    output.lines.length = 0;

    // Act
    const handshake = await fetch(`${runtime.url}/entra/notifications?validationToken=handshake`, {
      method: "POST",
    });
    const report = await fetchStatus<{ counts: unknown }>(runtime);
    await runtime.runSweep();

    // Assess
    expect(handshake.status).toBe(200);
    expect(report.counts).toBeDefined();
    expect(output.lines.some((line) => line.includes('"message":"sweep"'))).toBe(true);
    expect(output.lines.join("\n")).not.toContain("No application metrics");
  }, 30_000);
});
