import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { createLedgerTable } from "../core/adapters/dynamo/create-ledger-table";
import { DynamoLedger } from "../core/adapters/dynamo/dynamo-ledger";
import { DynamoProvisioningLog } from "../core/adapters/dynamo/dynamo-provisioning-log";
import { LedgerTableAccess } from "../core/adapters/dynamo/ledger-table-access";
import { forEachLimited } from "../core/domain/concurrency";
import { GroupScope } from "../core/domain/group-scope";
import { changeVersion } from "../core/domain/identity-source";
import { defaultRetryPolicy } from "../core/domain/retry-policy";
import type { ProvisioningLogEntry } from "../core/ports/provisioning-log";
import { KiroCallTally } from "../core/use-cases/kiro-call-tally";
import { readProvisioningLog } from "../core/use-cases/read-provisioning-log";
import { createStatusHandler } from "../functions/status";
import type { DynamoDbLocal } from "../local/dynamodb-local";
import { localContext } from "../local/lambda-invoke";
import { latencies, percentile, round, timed } from "./stats";

/**
 * The provisioning log on DynamoDB Local: what writing it costs per SCIM write (requests, write
 * units as DynamoDB reports them), and how fast one object's history and a day's failures read with
 * 100k entries for 10k users in 100 groups (`BENCH_LOG_ENTRIES` shrinks it). With those users in the
 * ledger (profile, login alias, one membership each), the latency of `GET /users/{login}` and
 * `GET /log?object=<login>` through the status handler (in process: no network, no Lambda).
 */
export async function benchProvisioningLog(dynamo: DynamoDbLocal) {
  const tableName = `bench-log-${randomUUID()}`;
  await createLedgerTable(dynamo.client, tableName);
  let requests = 0;
  let writeUnits = 0;
  dynamo.client.middlewareStack.add(
    (next) => async (args) => {
      requests += 1;
      const input = (args as { input: Record<string, unknown> }).input;
      if ("RequestItems" in input && !("Keys" in Object.values(input.RequestItems as object)[0]))
        input.ReturnConsumedCapacity = "TOTAL";
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number }[] })
        .ConsumedCapacity;
      for (const each of consumed ?? []) writeUnits += each.CapacityUnits ?? 0;
      return result;
    },
    { step: "initialize", name: "benchLogCost" },
  );
  const log = new DynamoProvisioningLog(new LedgerTableAccess({ client: dynamo.client, tableName }), 30);
  const total = Number(process.env.BENCH_LOG_ENTRIES ?? 100_000);
  const users = 10_000;
  const now = Date.now();
  const entryOf = (index: number): ProvisioningLogEntry => {
    const user = `00ubench${String(index % users).padStart(12, "0")}`;
    const group = `00gbench${String(index % 100).padStart(12, "0")}`;
    const member = index % 5 !== 0;
    return {
      at: new Date(now - (total - index) * 500).toISOString(),
      source: "okta",
      kind: member ? "MEMBER" : "USER",
      objectId: member ? `${group}/${user}` : user,
      name: member ? `Group ${index % 100}` : `${user}@acme.test`,
      kiroId: randomUUID(),
      action: member ? "add-member" : "update",
      result: index % 50 === 0 ? "failure" : "success",
      trigger: "hook:okta",
      attempt: 1,
      durationMs: 40,
    };
  };
  const pass = 100;
  requests = 0;
  writeUnits = 0;
  await log.appendLogEntries(Array.from({ length: pass }, (_, index) => entryOf(index)));
  const perPass = { requests, writeUnits };
  const written = await timed(async () => {
    for (let start = pass; start < total; start += 1_000)
      await log.appendLogEntries(
        Array.from({ length: Math.min(1_000, total - start) }, (_, offset) => entryOf(start + offset)),
      );
  });
  const ledger = new DynamoLedger({ client: dynamo.client, tableName });
  const login = (index: number) => `bench.user${index}@acme.test`;
  const userId = (index: number) => `00ubench${String(index).padStart(12, "0")}`;
  const version = changeVersion(new Date(now), "bench");
  const seeded = await timed(async () => {
    await forEachLimited(
      Array.from({ length: 100 }, (_, index) => index),
      16,
      async (index) => {
        await ledger.recordGroupName(
          "okta",
          `00gbench${String(index).padStart(12, "0")}`,
          `Group ${index}`,
          version,
        );
      },
    );
    await forEachLimited(
      Array.from({ length: users }, (_, index) => index),
      16,
      async (index) => {
        const id = userId(index);
        await ledger.recordUserProfile(
          "okta",
          id,
          {
            externalId: id,
            userName: login(index),
            email: login(index),
            displayName: `Bench User ${index}`,
            givenName: "Bench",
            familyName: `User ${index}`,
            active: true,
          },
          version,
        );
        await ledger.recordDesiredMembership(
          "okta",
          `00gbench${String(index % 100).padStart(12, "0")}`,
          id,
          true,
          version,
        );
      },
    );
  });
  const query = (parameters: Record<string, string>) => readProvisioningLog(parameters, { log, ledger }, 30);
  const token = `bench-${randomUUID()}`;
  const notLive = async (): Promise<never> => {
    throw new Error("the bench reads the ledger only");
  };
  const status = createStatusHandler(() => ({
    ledger,
    log,
    scope: new GroupScope(undefined),
    config: { pendingAgeAlarmSeconds: 900, logRetentionDays: 30, retryPolicy: defaultRetryPolicy },
    statusToken: async () => token,
    kiroScim: notLive,
    kiroCredentials: notLive,
    kiroCalls: new KiroCallTally(),
    directoryFor: notLive,
  }));
  const get = async (path: string, parameters: Record<string, string> = {}) => {
    const event = {
      rawPath: path,
      headers: { authorization: `Bearer ${token}` },
      queryStringParameters: parameters,
      requestContext: { http: { method: "GET", path } },
    } as unknown as APIGatewayProxyEventV2;
    const answer = await status(event, localContext("status"));
    if (answer.statusCode !== 200) throw new Error(`GET ${path}: ${answer.statusCode} ${answer.body}`);
    return answer;
  };
  const sample = (index: number) => login((index * 97) % users);
  const explainByLogin = await latencies(50, 2, (index) =>
    get(`/users/${encodeURIComponent(sample(index))}`),
  );
  const logByLogin = await latencies(50, 2, (index) => get("/log", { object: sample(index) }));
  const userView = await latencies(50, 2, (index) =>
    query({ object: `00ubench${String((index * 97) % users).padStart(12, "0")}`, source: "okta" }),
  );
  const groupView = await latencies(20, 2, (index) =>
    query({ object: `00gbench${String(index % 100).padStart(12, "0")}`, source: "okta", limit: "100" }),
  );
  const failures = await latencies(10, 1, () => query({ result: "failure", format: "csv", limit: "1000" }));
  return {
    entries: total,
    writeCostPer100MemberChanges: perPass,
    writesPerSecond: round((total - pass) / (written.ms / 1000), 0),
    userHistory: { p50Ms: round(percentile(userView, 50)), p99Ms: round(percentile(userView, 99)) },
    groupHistory100: { p50Ms: round(percentile(groupView, 50)), p99Ms: round(percentile(groupView, 99)) },
    failuresCsv1000: { p50Ms: round(percentile(failures, 50)), p99Ms: round(percentile(failures, 99)) },
    ledgerUsers: users,
    usersSeededPerSecond: round(users / (seeded.ms / 1000), 0),
    getUserByLogin: {
      p50Ms: round(percentile(explainByLogin, 50)),
      p99Ms: round(percentile(explainByLogin, 99)),
    },
    getLogByLogin: { p50Ms: round(percentile(logByLogin, 50)), p99Ms: round(percentile(logByLogin, 99)) },
  };
}
