import { randomUUID } from "node:crypto";
import { DeleteTableCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { inject } from "vitest";
import { type LocalRuntime, startLocalRuntime } from "../../local/local-runtime";
import { membershipEvent, oktaDelivery } from "../../local/okta-org/okta-event-payloads";
import type { OktaUserState } from "../../local/okta-org/okta-org-server";

/** The local runtime on the run's DynamoDB Local, with its own table, on a free port. */
export async function startTestRuntime(env: Record<string, string> = {}): Promise<LocalRuntime> {
  return startLocalRuntime({
    PORT: "0",
    DYNAMODB_ENDPOINT: inject("dynamoEndpoint"),
    LEDGER_TABLE_NAME: `ledger-${randomUUID()}`,
    RETRY_BASE_DELAY_MS: "50",
    RETRY_MAX_DELAY_MS: "500",
    ...env,
  });
}

export async function postOkta(
  runtime: LocalRuntime,
  body: unknown,
  authorization = runtime.config.okta.hookSecret,
) {
  const response = await fetch(`${runtime.url}/okta/events`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

/** Kiro's view of a group's members, by the users' externalIds (the Okta ids). */
export function kiroMembersByExternalId(runtime: LocalRuntime, groupName: string): string[] {
  const state = runtime.emulator!.directory.snapshot();
  const group = state.groups.find((candidate) => candidate.displayName === groupName);
  if (!group) return [];
  const externalIdOf = new Map(state.users.map((user) => [String(user.id), String(user.externalId)]));
  return group.members.map((id) => externalIdOf.get(id) ?? id).sort();
}

export function kiroUser(runtime: LocalRuntime, externalId: string): Record<string, unknown> | undefined {
  return runtime.emulator!.directory.snapshot().users.find((user) => user.externalId === externalId);
}

/** Stops the runtime and drops its table, so a run leaves DynamoDB Local as it found it. */
export async function stopTestRuntime(runtime: LocalRuntime): Promise<void> {
  await runtime.dynamo.client.send(new DeleteTableCommand({ TableName: runtime.config.ledgerTableName }));
  await runtime.stop();
}

/** Every item in the runtime's ledger table: for "nothing was stored" checks only (a Scan, in a test). */
export async function ledgerItemCount(runtime: LocalRuntime): Promise<number> {
  const result = await runtime.dynamo.client.send(
    new ScanCommand({ TableName: runtime.config.ledgerTableName, Select: "COUNT", ConsistentRead: true }),
  );
  return result.Count ?? 0;
}

let serial = 0;

/** A new, unique active user in the runtime's sample Okta org. */
export function addOktaUser(
  runtime: LocalRuntime,
  overrides: Partial<OktaUserState["profile"]> = {},
): OktaUserState {
  serial += 1;
  const login = `person${serial}@example.com`;
  const user: OktaUserState = {
    id: `00utest${String(serial).padStart(13, "0")}`,
    status: "ACTIVE",
    profile: { login, email: login, firstName: "Person", lastName: `Number${serial}`, ...overrides },
  };
  runtime.oktaOrg!.addUser(user);
  return user;
}

/** A new, uniquely named group in the runtime's sample Okta org. */
export function addOktaGroup(runtime: LocalRuntime, name: string): { id: string; name: string } {
  serial += 1;
  const group = { id: `00gtest${String(serial).padStart(13, "0")}`, name: `${name}-${serial}` };
  runtime.oktaOrg!.addGroup(group);
  return group;
}

/** A new Okta group holding `people`, announced by one hook delivery; resolves once the bus is idle. */
export async function syncNewGroup(
  runtime: LocalRuntime,
  name: string,
  people: OktaUserState[],
): Promise<{ id: string; name: string }> {
  const group = addOktaGroup(runtime, name);
  for (const person of people) runtime.oktaOrg!.addMember(group.id, person.id);
  await postOkta(
    runtime,
    oktaDelivery(
      people.map((person) => membershipEvent("add", { id: person.id, login: person.profile.login }, group)),
    ),
  );
  await runtime.bus.idle();
  return group;
}

/** `GET /status` with the status token, typed by the caller to the fields it reads. */
export async function fetchStatus<T>(runtime: LocalRuntime): Promise<T> {
  const response = await fetch(`${runtime.url}/status`, {
    headers: { authorization: `Bearer ${runtime.config.statusToken}` },
  });
  return (await response.json()) as T;
}

/**
 * Resolves with the first value `read` returns that `done` accepts, checking every 100 ms; rejects
 * after `timeoutMs` with the last value seen. Waits for an asynchronous outcome instead of guessing
 * how long a slower CI machine needs.
 */
export async function pollUntil<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** An operator's `POST /admin/…` with the admin token; resolves once the work it started is done. */
export async function postAdmin(
  runtime: LocalRuntime,
  path: string,
  token = runtime.config.adminToken,
): Promise<{ status: number; retryAfter: string | null; body: Record<string, unknown> }> {
  const response = await fetch(`${runtime.url}${path}`, {
    method: "POST",
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  await runtime.bus.idle();
  const body = (await response.json()) as Record<string, unknown>;
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body };
}

/** An administrator's edit in the Kiro (IAM Identity Center) console, through the emulator's control API. */
export async function consoleEdit(
  runtime: LocalRuntime,
  method: "POST" | "PATCH",
  path: string,
  body: unknown,
): Promise<{ id: string } | undefined> {
  const response = await fetch(`${runtime.emulator!.url}/_emulator/console/${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`console edit ${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? undefined : ((await response.json()) as { id: string });
}
