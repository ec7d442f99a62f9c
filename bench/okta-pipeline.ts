import { startLocalRuntime } from "../local/local-runtime";
import { membershipEvent, oktaDelivery } from "../local/okta-org/okta-event-payloads";
import type { OktaUserState } from "../local/okta-org/okta-org-server";
import { percentile, round, timed } from "./stats";

/**
 * The Okta path through the local runtime (HTTP in, DynamoDB Local, emulator out):
 * hook acknowledgement latency for deliveries of 1 and 100 events; Okta event → member in Kiro
 * with 20 ms of emulator latency per SCIM call; and Kiro requests for "add 1,000 users to one
 * group" against the minimum (1,000 creates + 1 group + 10 PATCHes).
 */
export async function benchOktaPipeline() {
  const runtime = await startLocalRuntime({ ...process.env, PORT: "0" });
  try {
    const org = runtime.oktaOrg!;
    let serial = 0;
    const newUser = (): OktaUserState => {
      serial += 1;
      const login = `bench${serial}@example.com`;
      const user: OktaUserState = {
        id: `00ubench${String(serial).padStart(12, "0")}`,
        status: "ACTIVE",
        profile: { login, email: login, firstName: "Bench", lastName: `User${serial}` },
      };
      org.addUser(user);
      return user;
    };
    const newGroup = (name: string) => {
      const group = { id: `00gbench${name.padEnd(12, "0")}`, name };
      org.addGroup(group);
      return group;
    };
    const post = (body: unknown) =>
      fetch(`${runtime.url}/okta/events`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: runtime.config.okta.hookSecret! },
        body: JSON.stringify(body),
      }).then(async (response) => {
        await response.arrayBuffer();
        if (response.status !== 204) throw new Error(`hook answered ${response.status}`);
      });
    const addEvent = (group: { id: string; name: string }) => {
      const user = newUser();
      return membershipEvent("add", { id: user.id, login: user.profile.login }, group);
    };

    const ackGroup = newGroup("ack");
    await post(oktaDelivery([addEvent(ackGroup)]));
    await runtime.bus.idle();
    const ackOne: number[] = [];
    for (let index = 0; index < 40; index++) {
      ackOne.push((await timed(() => post(oktaDelivery([addEvent(ackGroup)])))).ms);
      await runtime.bus.idle();
    }
    const ackHundred: number[] = [];
    for (let index = 0; index < 8; index++) {
      ackHundred.push(
        (await timed(() => post(oktaDelivery(Array.from({ length: 100 }, () => addEvent(ackGroup)))))).ms,
      );
      await runtime.bus.idle();
    }

    const emulator = runtime.emulator!;
    emulator.addFault({ kind: "latency", rate: 1, latencyMs: 20 });
    const latencyGroup = newGroup("latency");
    await post(oktaDelivery([addEvent(latencyGroup)]));
    await runtime.bus.idle();
    const applied: number[] = [];
    for (let index = 0; index < 30; index++) {
      const event = addEvent(latencyGroup);
      const externalId = (event.target as { id: string }[])[0]!.id;
      const started = performance.now();
      await post(oktaDelivery([event]));
      while (!isMember(emulator.directory.snapshot(), latencyGroup.name, externalId)) {
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      applied.push(performance.now() - started);
      await runtime.bus.idle();
    }
    emulator.faults.clear();

    const bulkGroup = newGroup("bulk");
    const bulkEvents = Array.from({ length: 1_000 }, () => addEvent(bulkGroup));
    emulator.clearRequests();
    const bulk = await timed(async () => {
      await post(oktaDelivery(bulkEvents));
      await runtime.bus.idle();
    });
    const requests = emulator.requests();
    return {
      hookAck1Event: { p50Ms: round(percentile(ackOne, 50)), p99Ms: round(percentile(ackOne, 99)) },
      hookAck100Events: {
        p50Ms: round(percentile(ackHundred, 50)),
        p99Ms: round(percentile(ackHundred, 99)),
      },
      eventToAppliedWith20msKiro: {
        p50Ms: round(percentile(applied, 50)),
        p99Ms: round(percentile(applied, 99)),
      },
      add1000UsersToOneGroup: {
        scimRequests: requests.length,
        minimum: 1_000 + 1 + 10,
        membershipPatches: requests.filter(
          (entry) => entry.method === "PATCH" && entry.path.startsWith("/Groups/"),
        ).length,
        wallMs: round(bulk.ms, 0),
      },
    };
  } finally {
    await runtime.stop();
  }
}

function isMember(
  state: ReturnType<import("../local/scim-emulator/scim-directory").ScimDirectory["snapshot"]>,
  groupName: string,
  externalId: string,
) {
  const user = state.users.find((candidate) => candidate.externalId === externalId);
  const group = state.groups.find((candidate) => candidate.displayName === groupName);
  return Boolean(user && group?.members.includes(String(user.id)));
}
