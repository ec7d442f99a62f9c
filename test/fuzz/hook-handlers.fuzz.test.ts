import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config";
import type { Ledger } from "../../core/ports/ledger";
import { createEntraNotifyHandler } from "../../functions/entra-notify";
import { createOktaEventsHandler } from "../../functions/okta-events";
import {
  createServiceDependencies,
  type ServiceDependencies,
} from "../../functions/shared/service-dependencies";
import { localContext } from "../../local/lambda-invoke";
import { membershipEvent, oktaDelivery } from "../../local/okta-org/okta-event-payloads";
import { freshLedger } from "../support/ledger-fixture";

const hookSecret = "fuzz-okta-hook-secret-0123456789";
const clientState = "fuzz-entra-client-state-0123456789";
const runs = 10_000;

/** Ledger methods that only read; every other call is a write. */
const reads = /^(get|list|has|count)/;
/** The one write an authenticated but refused request makes: the count `/status` reads. An unauthenticated one makes none. */
const countsRejection = "recordHookRejection";

let deps: ServiceDependencies;
let writes = 0;
let rejections = 0;

beforeAll(async () => {
  const { client, tableName } = await freshLedger();
  const config = loadConfig({
    LEDGER_TABLE_NAME: tableName,
    OKTA_HOOK_SECRET: hookSecret,
    ENTRA_TENANT_ID: "7d96d549-841b-4092-9c09-89abae4c860c",
    ENTRA_CLIENT_ID: "fuzz-client",
    ENTRA_CLIENT_SECRET: "fuzz-secret",
    ENTRA_CLIENT_STATE: clientState,
    KIRO_SCIM_URL: "http://127.0.0.1:9/scim/v2",
    KIRO_SCIM_TOKEN: "unused",
  });
  const noBus = { publish: async () => {}, schedule: async () => {} };
  const base = createServiceDependencies(config, {
    bus: noBus,
    retries: noBus,
    dynamo: client,
    secrets: { getSecretJson: async () => ({}) },
  });
  const ledger = new Proxy(base.ledger, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (property === countsRejection) rejections += 1;
        else if (!reads.test(String(property))) writes += 1;
        return (value as (...inner: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as Ledger;
  deps = { ...base, ledger };
});

function apiEvent(request: {
  method: string;
  path: string;
  headers: Record<string, string>;
  query?: Record<string, string>;
  body: string | undefined;
}): APIGatewayProxyEventV2 {
  return {
    version: "2.0",
    routeKey: `${request.method} ${request.path}`,
    rawPath: request.path,
    rawQueryString: new URLSearchParams(request.query ?? {}).toString(),
    headers: request.headers,
    queryStringParameters: request.query,
    requestContext: {
      accountId: "000000000000",
      apiId: "fuzz",
      domainName: "fuzz.local",
      domainPrefix: "fuzz",
      http: {
        method: request.method,
        path: request.path,
        protocol: "HTTP/1.1",
        sourceIp: "203.0.113.9",
        userAgent: "fuzz",
      },
      requestId: randomUUID(),
      routeKey: `${request.method} ${request.path}`,
      stage: "$default",
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    body: request.body,
    isBase64Encoded: false,
  };
}

/** Every path into a JSON value, so mutations reach each field of a real payload. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== "object") return [prefix];
  const entries = Array.isArray(value)
    ? value.map((item, index) => [index, item] as const)
    : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, item]) => pathsOf(item, [...prefix, key]))];
}

function withMutation(
  base: unknown,
  path: (string | number)[],
  replacement: unknown,
  remove: boolean,
): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(base) as Record<string | number, unknown>;
  let cursor = copy;
  for (const key of path.slice(0, -1)) cursor = cursor[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (remove) delete cursor[last];
  else cursor[last] = replacement;
  return copy;
}

/** Random JSON, random text, and real payloads with one field replaced or removed. */
function bodies(realPayloads: unknown[]): fc.Arbitrary<string> {
  const mutated = fc
    .constantFrom(...realPayloads)
    .chain((payload) =>
      fc.tuple(fc.constant(payload), fc.constantFrom(...pathsOf(payload)), fc.jsonValue(), fc.boolean()),
    )
    .map(([payload, path, replacement, remove]) =>
      JSON.stringify(withMutation(payload, path, replacement, remove)),
    );
  return fc.oneof(
    { weight: 3, arbitrary: mutated },
    { weight: 1, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.constantFrom(...realPayloads).map((payload) => JSON.stringify(payload)) },
  );
}

const contentTypes = fc.oneof(
  fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", "application/xml"),
  fc.string({ maxLength: 40 }),
);

function assessAnswer(
  result: APIGatewayProxyStructuredResultV2,
  during: { writes: number; rejections: number },
  authenticated: boolean,
) {
  expect(result.statusCode).toBeGreaterThanOrEqual(200);
  expect(result.statusCode).toBeLessThan(500);
  if (!authenticated || result.statusCode! >= 400) expect(during.writes).toBe(0);
  if (!authenticated) expect(during.rejections).toBe(0);
  else expect(during.rejections).toBeLessThanOrEqual(1);
}

describe("fuzzing the public hook endpoints", () => {
  it(`never throws, never answers 5xx, never writes for a bad Okta request (an authenticated one: only the count of its rejection) (${runs} cases)`, async () => {
    // Prepare
    const handler = createOktaEventsHandler(() => deps);
    const group = { id: "00gfuzz000000000001", name: "Fuzz" };
    const real = [
      oktaDelivery([membershipEvent("add", { id: "00ufuzz00000000001", login: "a@fuzz.test" }, group)]),
      oktaDelivery([membershipEvent("remove", { id: "00ufuzz00000000002", login: "b@fuzz.test" }, group)]),
    ];
    const requests = fc.record({
      method: fc.constantFrom("POST", "POST", "POST", "GET", "PUT"),
      authorization: fc.oneof(
        fc.constant(hookSecret),
        fc.constant(hookSecret.slice(0, -1)),
        fc.string({ maxLength: 64 }),
        fc.constant(undefined),
      ),
      contentType: contentTypes,
      body: bodies(real),
    });

    const writesBefore = writes;

    // Act
    await fc.assert(
      fc.asyncProperty(requests, async (request) => {
        const headers: Record<string, string> = { "content-type": request.contentType };
        if (request.authorization !== undefined) headers.authorization = request.authorization;
        const [before, rejectionsBefore] = [writes, rejections];
        const result = await handler(
          apiEvent({ method: request.method, path: "/okta/events", headers, body: request.body }),
          localContext("okta-events"),
        );

        // Assess
        const authenticated = request.authorization === hookSecret;
        assessAnswer(
          result,
          { writes: writes - before, rejections: rejections - rejectionsBefore },
          authenticated,
        );
        if (!authenticated && request.method === "POST") expect(result.statusCode).toBe(401);
      }),
      { numRuns: runs },
    );
    expect(writes - writesBefore).toBeGreaterThan(0);
  }, 120_000);

  it(`never throws, never answers 5xx, never writes for a forged or malformed Graph notification (${runs} cases)`, async () => {
    // Prepare
    const handler = createEntraNotifyHandler(() => deps);
    const notification = (state: string) => ({
      value: [
        {
          subscriptionId: "092ba742-89d2-4417-a4c7-c120db062842",
          clientState: state,
          changeType: "updated",
          resource: "Groups/0bc7d487-fd6f-41a0-8362-71ec81074f11",
          tenantId: "7d96d549-841b-4092-9c09-89abae4c860c",
          resourceData: {
            "@odata.type": "#Microsoft.Graph.Group",
            id: "0bc7d487-fd6f-41a0-8362-71ec81074f11",
            "members@delta": [
              { id: "4d147cc8-10cb-4158-ac52-90ee8ff9d846" },
              { id: "9a1e2b3c", "@removed": "deleted" },
            ],
          },
        },
      ],
    });
    const requests = fc.record({
      state: fc.oneof(fc.constant(clientState), fc.string({ maxLength: 64 })),
      validationToken: fc.option(fc.string({ maxLength: 100 }), { freq: 8 }),
      contentType: contentTypes,
      mutate: fc.boolean(),
      body: fc.string({ maxLength: 100 }),
      path: fc.integer({ min: 0, max: 1_000 }),
      replacement: fc.jsonValue(),
    });

    const writesBefore = writes;

    // Act
    await fc.assert(
      fc.asyncProperty(requests, async (request) => {
        const payload = notification(request.state);
        const paths = pathsOf(payload);
        const body = request.mutate
          ? JSON.stringify(
              withMutation(payload, paths[request.path % paths.length]!, request.replacement, false),
            )
          : request.body;
        const [before, rejectionsBefore] = [writes, rejections];
        const result = await handler(
          apiEvent({
            method: "POST",
            path: "/entra/notifications",
            headers: { "content-type": request.contentType },
            query:
              request.validationToken === null ? undefined : { validationToken: request.validationToken },
            body,
          }),
          localContext("entra-notify"),
        );

        // Assess
        const authenticated = request.state === clientState && body.includes(clientState);
        assessAnswer(
          result,
          { writes: writes - before, rejections: rejections - rejectionsBefore },
          authenticated,
        );
      }),
      { numRuns: runs },
    );
    expect(writes - writesBefore).toBeGreaterThan(0);
  }, 120_000);
});
