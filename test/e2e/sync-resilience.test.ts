import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import { membershipEvent, oktaDelivery } from "../../local/okta-org/okta-event-payloads";
import type { OktaUserState } from "../../local/okta-org/okta-org-server";
import {
  kiroMembersByExternalId,
  postOkta,
  startTestRuntime,
  stopTestRuntime,
} from "../support/runtime-fixture";

let runtime: LocalRuntime;
let serial = 0;

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => stopTestRuntime(runtime));

function users(count: number): OktaUserState[] {
  return Array.from({ length: count }, () => {
    serial += 1;
    const login = `resilient${serial}@example.com`;
    const user: OktaUserState = {
      id: `00ures${String(serial).padStart(14, "0")}`,
      status: "ACTIVE",
      profile: { login, email: login, firstName: "Resilient", lastName: `User${serial}` },
    };
    runtime.oktaOrg!.addUser(user);
    return user;
  });
}

function group(name: string) {
  serial += 1;
  const created = { id: `00gres${String(serial).padStart(14, "0")}`, name: `${name}-${serial}` };
  runtime.oktaOrg!.addGroup(created);
  return created;
}

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
