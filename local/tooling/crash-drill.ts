import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:net";
import { membershipEvent, oktaDelivery } from "../okta-org/okta-event-payloads";
import type { OktaOrgServer } from "../okta-org/okta-org-server";
import type { KiroScimEmulator } from "../scim-emulator/kiro-scim-emulator";

/**
 * The crash drill behind `test/e2e/crash-recovery.test.ts` and `npm run bench -- crash-recovery`:
 * the local runtime (`local/start.ts`) as its own process on an external DynamoDB Local, with the
 * Okta org and the Kiro emulator in the caller's process so they outlive it. A directory is synced
 * through hook deliveries, the process is killed (`SIGKILL`) once Kiro has taken some writes,
 * five members leave a group meanwhile, and the process is started again on the same table; the
 * drill measures how long Kiro takes to reach Okta's truth. Deliveries the dead process never
 * answered are sent again, as Okta retries them.
 */
export interface CrashDrill {
  org: OktaOrgServer;
  emulator: KiroScimEmulator;
  dynamoEndpoint: string;
}

export interface CrashOutcome {
  /** From the restart until Kiro held Okta's truth (or the limit). */
  seconds: number;
  converged: boolean;
  unanswered: number;
  diff: { group: string; missing: number; extra: number }[];
  status: string;
}

const hookSecret = `crash-${randomUUID()}`;
const statusToken = `status-${randomUUID()}`;

/** The service on a free port and its own table, reading the drill's Okta org and writing its Kiro emulator. */
async function serviceEnv(drill: CrashDrill, prefix: string): Promise<Record<string, string>> {
  return {
    PORT: String(await freePort()),
    DYNAMODB_ENDPOINT: drill.dynamoEndpoint,
    LEDGER_TABLE_NAME: `ledger-${randomUUID()}`,
    OKTA_ORG_URL: drill.org.orgUrl,
    OKTA_API_TOKEN: drill.org.apiToken,
    OKTA_HOOK_SECRET: hookSecret,
    STATUS_TOKEN: statusToken,
    KIRO_SCIM_URL: drill.emulator.profile.scimUrl,
    KIRO_SCIM_TOKEN: drill.emulator.profile.token,
    SYNC_GROUPS: `${prefix}-*`,
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

interface Service {
  child: ChildProcess;
  url: string;
}

async function startService(env: Record<string, string>): Promise<Service> {
  const child = spawn("npx", ["tsx", "local/start.ts"], {
    detached: true,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 60_000;
  while (!output.includes("ready.") && Date.now() < deadline && child.exitCode === null)
    await new Promise((resolve) => setTimeout(resolve, 100));
  if (!output.includes("ready.")) throw new Error(`the service did not start:\n${output}`);
  return { child, url: `http://127.0.0.1:${env.PORT}` };
}

async function kill(service: Service): Promise<void> {
  const exited = once(service.child, "exit");
  process.kill(-service.child.pid!, "SIGKILL");
  await exited;
}

/** A directory of `users` users in `groups` groups named `prefix-*`, each user in one or two groups. */
function seedDirectory(drill: CrashDrill, prefix: string, users: number, groups: number) {
  const members = new Map<string, string[]>();
  const groupIds = Array.from({ length: groups }, (_, index) => {
    const id = `00g${prefix.toLowerCase()}${String(index).padStart(10, "0")}`;
    drill.org.addGroup({ id, name: `${prefix}-${index}` });
    members.set(id, []);
    return id;
  });
  for (let index = 0; index < users; index++) {
    const id = `00u${prefix.toLowerCase()}${String(index).padStart(10, "0")}`;
    const login = `${prefix.toLowerCase()}${index}@example.com`;
    drill.org.addUser({
      id,
      status: "ACTIVE",
      profile: { login, email: login, firstName: "Crash", lastName: `User${index}` },
    });
    for (const groupId of new Set([groupIds[index % groups]!, groupIds[(index * 7) % groups]!])) {
      drill.org.addMember(groupId, id);
      members.get(groupId)!.push(id);
    }
  }
  return { groupIds, members };
}

/** Every membership of the directory as Okta would deliver it: one delivery of ≤ 40 events per group slice. */
function deliveriesOf(prefix: string, members: Map<string, string[]>) {
  const deliveries: unknown[] = [];
  for (const [index, [groupId, userIds]] of [...members].entries())
    for (let start = 0; start < userIds.length; start += 40)
      deliveries.push(
        oktaDelivery(
          userIds
            .slice(start, start + 40)
            .map((userId) =>
              membershipEvent("add", { id: userId }, { id: groupId, name: `${prefix}-${index}` }),
            ),
        ),
      );
  return deliveries;
}

async function deliver(service: Service, delivery: unknown): Promise<boolean> {
  try {
    const response = await fetch(`${service.url}/okta/events`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: hookSecret },
      body: JSON.stringify(delivery),
    });
    return response.status === 204;
  } catch {
    return false;
  }
}

/** Whether every synced Kiro group holds exactly its Okta members, and every user exists once. */
function converged(drill: CrashDrill, prefix: string, groupIds: string[]): boolean {
  const state = drill.emulator.directory.snapshot();
  const externalIdOf = new Map(state.users.map((user) => [String(user.id), String(user.externalId)]));
  const userNames = state.users.map((user) => String(user.userName));
  if (new Set(userNames).size !== userNames.length) return false;
  return groupIds.every((groupId, index) => {
    const kiro = state.groups.find((group) => group.displayName === `${prefix}-${index}`);
    const held = (kiro?.members ?? []).map((id) => externalIdOf.get(id)).sort();
    return JSON.stringify(held) === JSON.stringify([...(drill.org.members.get(groupId) ?? [])].sort());
  });
}

/** Per group, how many members Kiro lacks and how many it has too many: the failure message. */
function differences(drill: CrashDrill, prefix: string, groupIds: string[]) {
  const state = drill.emulator.directory.snapshot();
  const externalIdOf = new Map(state.users.map((user) => [String(user.id), String(user.externalId)]));
  return groupIds.map((groupId, index) => {
    const kiro = state.groups.find((group) => group.displayName === `${prefix}-${index}`);
    const held = new Set((kiro?.members ?? []).map((id) => externalIdOf.get(id)));
    const wanted = new Set(drill.org.members.get(groupId) ?? []);
    return {
      group: `${prefix}-${index}`,
      missing: [...wanted].filter((id) => !held.has(id)).length,
      extra: [...held].filter((id) => !wanted.has(id!)).length,
    };
  });
}

export async function crashAndRecover(
  drill: CrashDrill,
  prefix: string,
  size: { users: number; groups: number } = { users: 150, groups: 6 },
): Promise<CrashOutcome> {
  const { groupIds, members } = seedDirectory(drill, prefix, size.users, size.groups);
  const env = {
    ...(await serviceEnv(drill, prefix)),
    RETRY_BASE_DELAY_MS: "200",
    RETRY_MAX_DELAY_MS: "2000",
  };
  const first = await startService(env);
  const writesBefore = drill.emulator.requests().filter((entry) => entry.method !== "GET").length;
  const unanswered: unknown[] = [];
  const sending = (async () => {
    for (const delivery of deliveriesOf(prefix, members))
      if (!(await deliver(first, delivery))) unanswered.push(delivery);
  })();
  while (drill.emulator.requests().filter((entry) => entry.method !== "GET").length - writesBefore < 60)
    await new Promise((resolve) => setTimeout(resolve, 20));
  await kill(first);
  await sending;
  const leavers = (members.get(groupIds[0]!) ?? []).slice(0, 5);
  for (const leaver of leavers) drill.org.removeMember(groupIds[0]!, leaver);

  const restartedAt = Date.now();
  const second = await startService(env);
  for (const delivery of unanswered) await deliver(second, delivery);
  await deliver(
    second,
    oktaDelivery(
      leavers.map((userId) =>
        membershipEvent("remove", { id: userId }, { id: groupIds[0]!, name: `${prefix}-0` }),
      ),
    ),
  );
  while (!converged(drill, prefix, groupIds) && Date.now() - restartedAt < 90_000)
    await new Promise((resolve) => setTimeout(resolve, 500));
  const seconds = (Date.now() - restartedAt) / 1000;
  const status = await (
    await fetch(`${second.url}/status`, { headers: { authorization: `Bearer ${statusToken}` } })
  ).text();
  await kill(second);
  return {
    seconds,
    converged: converged(drill, prefix, groupIds),
    unanswered: unanswered.length,
    status,
    diff: differences(drill, prefix, groupIds),
  };
}

/** The same directory synced by a process nobody kills: the baseline the recovery time compares with. */
export async function syncUninterrupted(
  drill: CrashDrill,
  prefix: string,
  size: { users: number; groups: number },
): Promise<{ seconds: number; converged: boolean }> {
  const { groupIds, members } = seedDirectory(drill, prefix, size.users, size.groups);
  const service = await startService(await serviceEnv(drill, prefix));
  const startedAt = Date.now();
  for (const delivery of deliveriesOf(prefix, members)) await deliver(service, delivery);
  while (!converged(drill, prefix, groupIds) && Date.now() - startedAt < 180_000)
    await new Promise((resolve) => setTimeout(resolve, 500));
  const seconds = (Date.now() - startedAt) / 1000;
  await kill(service);
  return { seconds, converged: converged(drill, prefix, groupIds) };
}
