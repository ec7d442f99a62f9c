import { AsyncLocalStorage } from "node:async_hooks";
import { startLocalRuntime } from "../local/local-runtime";
import { membershipEvent, oktaDelivery } from "../local/okta-org/okta-event-payloads";
import type { OktaUserState } from "../local/okta-org/okta-org-server";
import { median, percentile, round, timed } from "./stats";

/**
 * The Okta path through the local runtime (HTTP in, DynamoDB Local, emulator out):
 * hook acknowledgement latency and DynamoDB round trips for deliveries of 1 and 100 events, idle
 * and while a 400-user sync runs (Okta gives a hook 3 s); Okta event → member in Kiro with 20 ms
 * of emulator latency per SCIM call; and Kiro requests for "add 1,000 users to one group" against
 * the minimum (1,000 creates + 1 group + 10 PATCHes).
 */
export async function benchOktaPipeline() {
  const runtime = await startLocalRuntime({ ...process.env, PORT: "0" });
  try {
    const roundTrips = countHookRoundTrips(runtime);
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
    const send = (body: unknown) =>
      fetch(`${runtime.url}/okta/events`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: runtime.config.okta.hookSecret! },
        body: JSON.stringify(body),
      }).then(async (response) => {
        await response.arrayBuffer();
        if (response.status !== 204) throw new Error(`hook answered ${response.status}`);
      });
    const post = (body: unknown) => roundTrips.during(() => send(body));
    const addEvent = (group: { id: string; name: string }) => {
      const user = newUser();
      return membershipEvent("add", { id: user.id, login: user.profile.login }, group);
    };

    const ackGroup = newGroup("ack");
    await post(oktaDelivery([addEvent(ackGroup)]));
    await runtime.bus.idle();
    const ackOne: number[] = [];
    const tripsOne: number[] = [];
    for (let index = 0; index < 40; index++) {
      const { ms, value } = await timed(() => post(oktaDelivery([addEvent(ackGroup)])));
      ackOne.push(ms);
      tripsOne.push(value);
      await runtime.bus.idle();
    }
    const hundred = () => oktaDelivery(Array.from({ length: 100 }, () => addEvent(ackGroup)));
    const ackHundred: number[] = [];
    const tripsHundred: number[] = [];
    for (let index = 0; index < 8; index++) {
      const { ms, value } = await timed(() => post(hundred()));
      ackHundred.push(ms);
      tripsHundred.push(value);
      await runtime.bus.idle();
    }

    const loadGroup = newGroup("load");
    await post(oktaDelivery(Array.from({ length: 400 }, () => addEvent(loadGroup))));
    const ackUnderLoad: number[] = [];
    const tripsUnderLoad: number[] = [];
    while (
      ackUnderLoad.length < 20 &&
      memberCount(runtime.emulator!.directory.snapshot(), loadGroup.name) < 400
    ) {
      const { ms, value } = await timed(() => post(hundred()));
      ackUnderLoad.push(ms);
      tripsUnderLoad.push(value);
    }
    await runtime.bus.idle();

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
      hookAck1Event: { ...spread(ackOne), dynamoRoundTrips: median(tripsOne) },
      hookAck100Events: {
        ...spread(ackHundred),
        dynamoRoundTrips: median(tripsHundred),
        perEvent: round(median(tripsHundred) / 100),
      },
      hookAck100EventsDuring400UserSync: {
        ...spread(ackUnderLoad),
        deliveries: ackUnderLoad.length,
        dynamoRoundTrips: median(tripsUnderLoad),
        perEvent: round(median(tripsUnderLoad) / 100),
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

const spread = (samples: readonly number[]) => ({
  p50Ms: round(percentile(samples, 50)),
  p99Ms: round(percentile(samples, 99)),
});

/**
 * Counts the DynamoDB requests (each attempt, retries included) a hook delivery makes, on the
 * client the runtime's ledger uses. Work the bus runs (the sync it triggers) is tagged when
 * published and left out, so a sync running meanwhile does not inflate the hook's count.
 */
function countHookRoundTrips(runtime: Awaited<ReturnType<typeof startLocalRuntime>>) {
  const background = new AsyncLocalStorage<true>();
  const { bus } = runtime;
  const publish = bus.publish.bind(bus);
  const schedule = bus.schedule.bind(bus);
  bus.publish = (events) => background.run(true, () => publish(events));
  bus.schedule = (event, at, name) => background.run(true, () => schedule(event, at, name));
  let inFlight = 0;
  let counted = 0;
  runtime.dynamo.client.middlewareStack.add(
    (next) => (args) => {
      if (inFlight > 0 && !background.getStore()) counted += 1;
      return next(args);
    },
    { step: "deserialize", name: "benchHookRoundTrips" },
  );
  return {
    /** Runs one delivery and answers how many DynamoDB requests were made while it ran. */
    async during(work: () => Promise<void>): Promise<number> {
      inFlight += 1;
      const before = counted;
      try {
        await work();
        return counted - before;
      } finally {
        inFlight -= 1;
      }
    },
  };
}

function memberCount(
  state: ReturnType<import("../local/scim-emulator/scim-directory").ScimDirectory["snapshot"]>,
  groupName: string,
) {
  return state.groups.find((candidate) => candidate.displayName === groupName)?.members.length ?? 0;
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
