import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import { membershipEvent, oktaDelivery } from "../../local/okta-org/okta-event-payloads";
import type { OktaUserState } from "../../local/okta-org/okta-org-server";
import {
  addOktaGroup,
  addOktaUser,
  kiroMembersByExternalId,
  postOkta,
  startTestRuntime,
  stopTestRuntime,
} from "../support/runtime-fixture";

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => stopTestRuntime(runtime));

const users = (count: number): OktaUserState[] => Array.from({ length: count }, () => addOktaUser(runtime));
const group = (name: string) => addOktaGroup(runtime, name);

const adds = (people: OktaUserState[], target: { id: string; name: string }) =>
  people.map((user) => membershipEvent("add", { id: user.id, login: user.profile.login }, target));

describe("sync under contention and faults", () => {
  it("never sends a member twice when deliveries for one group race for its lease", async () => {
    // Prepare
    const target = group("Contended");
    const [first, second, third] = [users(120), users(120), users(120)];
    runtime.emulator!.clearRequests();

    // Act
    await Promise.all(
      [first, second, third].map((people) => postOkta(runtime, oktaDelivery(adds(people, target)))),
    );
    await runtime.bus.idle();

    // Assess
    const patches = runtime
      .emulator!.requests()
      .filter((entry) => entry.method === "PATCH" && entry.path.startsWith("/Groups/"));
    const sent = patches.reduce((sum, entry) => sum + (entry.memberChanges ?? 0), 0);
    expect(kiroMembersByExternalId(runtime, target.name)).toEqual(
      [...first, ...second, ...third].map((user) => user.id).sort(),
    );
    expect(sent).toBe(360);
    expect(patches.every((entry) => (entry.memberChanges ?? 0) <= 100)).toBe(true);
  }, 120_000);

  it("converges while Kiro throttles 30% of requests, never retrying before Retry-After", async () => {
    // Prepare
    const target = group("Throttled");
    const people = users(60);
    runtime.emulator!.clearRequests();
    runtime.emulator!.addFault({ kind: "throttle", rate: 0.15, retryAfterSeconds: 1 });
    runtime.emulator!.addFault({ kind: "throttle", rate: 0.15 });

    // Act
    await postOkta(runtime, oktaDelivery(adds(people, target)));
    await runtime.bus.idle();
    runtime.emulator!.faults.clear();

    // Assess
    const log = runtime.emulator!.requests();
    expect(kiroMembersByExternalId(runtime, target.name)).toEqual(people.map((user) => user.id).sort());
    expect(log.filter((entry) => entry.status === 429).length).toBeGreaterThan(0);
    const retries = log
      .filter((entry) => entry.retryAfterMs !== undefined)
      .map((throttled) => ({
        throttled,
        retry: log.find((entry) => entry.seq > throttled.seq && entry.fingerprint === throttled.fingerprint),
      }))
      .filter((pair) => pair.retry !== undefined);
    expect(retries.length).toBeGreaterThan(0);
    for (const { throttled, retry } of retries) {
      expect(retry!.at - throttled.at).toBeGreaterThanOrEqual(throttled.retryAfterMs!);
    }
  }, 120_000);
});
