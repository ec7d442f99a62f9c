import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventBridgeBus } from "../../core/adapters/eventbridge/eventbridge-bus";
import { EventBridgeScheduler } from "../../core/adapters/scheduler/eventbridge-scheduler";
import { ScimHttpClient } from "../../core/adapters/scim/scim-http-client";
import { localAwsConfig } from "../../local/dynamodb-local";
import { freePort } from "../../local/free-port";
import { KiroScimEmulator } from "../../local/scim-emulator/kiro-scim-emulator";

type Answer = { status: number; headers?: Record<string, string>; body: unknown };

/** An AWS endpoint that records each request and answers what `answer` says, as the real API would. */
async function fakeAws(answer: (req: IncomingMessage) => Answer) {
  const requests: { method: string; path: string; target: string | undefined }[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      requests.push({
        method: req.method ?? "",
        path: req.url ?? "",
        target: req.headers["x-amz-target"] as string | undefined,
      });
      const { status, headers, body } = answer(req);
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const busFor = (endpoint: string) =>
  new EventBridgeBus(new EventBridgeClient({ ...localAwsConfig, endpoint, maxAttempts: 1 }), "sync-bus");
const schedulerFor = (endpoint: string) =>
  new EventBridgeScheduler(new SchedulerClient({ ...localAwsConfig, endpoint, maxAttempts: 1 }), {
    groupName: "sync-retries",
    roleArn: "arn:aws:iam::000000000000:role/scheduler",
    busArn: "arn:aws:events:us-east-1:000000000000:event-bus/sync-bus",
  });

describe("EventBridgeBus.probe", () => {
  it("describes the bus and puts nothing on it", async () => {
    // Prepare
    const aws = await fakeAws(() => ({ status: 200, body: { Name: "sync-bus", Arn: "arn:bus" } }));

    // Act
    await busFor(aws.endpoint).probe();
    await aws.stop();

    // Assess
    expect(aws.requests.map((request) => request.target)).toEqual(["AWSEvents.DescribeEventBus"]);
  });

  it.each([
    ["ResourceNotFoundException", "BUS.NOT_FOUND"],
    ["AccessDeniedException", "BUS.ACCESS_DENIED"],
    ["InternalException", "BUS.UNAVAILABLE"],
  ])("reports %s as %s", async (type, code) => {
    // Prepare
    const aws = await fakeAws(() => ({ status: 400, body: { __type: type, message: "no" } }));

    // Act
    const probe = busFor(aws.endpoint).probe();

    // Assess
    await expect(probe).rejects.toMatchObject({ code });
    await aws.stop();
  });
});

describe("EventBridgeScheduler.probe", () => {
  it("reads the schedule group and creates no schedule", async () => {
    // Prepare
    const aws = await fakeAws(() => ({ status: 200, body: { Name: "sync-retries", State: "ACTIVE" } }));

    // Act
    await schedulerFor(aws.endpoint).probe();
    await aws.stop();

    // Assess
    expect(aws.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      "GET /schedule-groups/sync-retries",
    ]);
  });

  it.each([
    [404, "ResourceNotFoundException", "SCHEDULER.NOT_FOUND"],
    [403, "AccessDeniedException", "SCHEDULER.ACCESS_DENIED"],
  ])("reports a %i %s as %s", async (status, type, code) => {
    // Prepare
    const aws = await fakeAws(() => ({
      status,
      headers: { "x-amzn-errortype": type },
      body: { Message: "no" },
    }));

    // Act
    const probe = schedulerFor(aws.endpoint).probe();

    // Assess
    await expect(probe).rejects.toMatchObject({ code });
    await aws.stop();
  });

  it("counts a group that is being deleted as missing", async () => {
    // Prepare
    const aws = await fakeAws(() => ({ status: 200, body: { Name: "sync-retries", State: "DELETING" } }));

    // Act
    const probe = schedulerFor(aws.endpoint).probe();

    // Assess
    await expect(probe).rejects.toMatchObject({ code: "SCHEDULER.NOT_FOUND" });
    await aws.stop();
  });
});

describe("ScimHttpClient.checkAccess", () => {
  let emulator: KiroScimEmulator;
  beforeAll(async () => {
    emulator = await KiroScimEmulator.start();
  });
  afterAll(() => emulator.stop());

  const client = (baseUrl: string, token = emulator.profile.token) =>
    new ScimHttpClient({ baseUrl, token, maxInProcessAttempts: 1 });

  it("reads the discovery document and one user, and writes nothing", async () => {
    // Prepare
    const since = emulator.requests().at(-1)?.seq ?? 0;

    // Act
    await client(emulator.profile.scimUrl).checkAccess();

    // Assess
    expect(emulator.requests(since).map((entry) => `${entry.method} ${entry.path} ${entry.status}`)).toEqual([
      "GET /ServiceProviderConfig 200",
      "GET /Users?count=1 200",
    ]);
  });

  it("tells a wrong base URL, a refused token and an unreachable host apart", async () => {
    // Prepare
    const unreachable = `http://127.0.0.1:${await freePort()}/scim/v2`;

    // Act
    const results = await Promise.allSettled([
      client(`${emulator.url}/not/the/endpoint`).checkAccess(),
      client(emulator.profile.scimUrl, "not-a-token").checkAccess(),
      client(unreachable).checkAccess(),
    ]);

    // Assess
    expect(results.map((result) => (result.status === "rejected" ? result.reason.code : "passed"))).toEqual([
      "SCIM.NOT_FOUND",
      "SCIM.AUTH",
      "SCIM.CONNECTION",
    ]);
  });
});
