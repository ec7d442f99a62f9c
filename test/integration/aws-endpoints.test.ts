import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import {
  DescribeEventBusCommand,
  EventBridgeClient,
  ListRulesCommand,
  PutEventsCommand,
} from "@aws-sdk/client-eventbridge";
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleGroupCommand,
  SchedulerClient,
} from "@aws-sdk/client-scheduler";
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import {
  busArn,
  type LocalAws,
  scheduleArn,
  scheduleGroupArn,
  startLocalAws,
  tableArn,
  toEventBridgeEvent,
} from "../support/aws-endpoints";
import { type LocalLambda, startLambda } from "../support/lambda-runner";

const caller = "in-process-caller";
const roleArn = "arn:aws:iam::123456789012:role/scheduler-put-events";
const secretArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:kiro-token-AbCdEf";
const emptySecretArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:graph-credentials-GhIjKl";
const envClientsBundle = fileURLToPath(new URL("../support/fixtures/env-clients", import.meta.url));

let aws: LocalAws;
let table: string;
let otherTable: string;

async function createTable(client: DynamoDBClient, name: string) {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "g", AttributeType: "S" },
      ],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      GlobalSecondaryIndexes: [
        {
          IndexName: "byG",
          KeySchema: [{ AttributeName: "g", KeyType: "HASH" }],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    }),
  );
}

const evidenceOf = (principal: string) => aws.evidence().filter((entry) => entry.principal === principal);

beforeAll(async () => {
  aws = await startLocalAws({
    dynamoEndpoint: inject("dynamoEndpoint"),
    eventBuses: ["kiro-bus"],
    scheduleGroups: ["retries"],
  });
  for (const [name, value] of Object.entries(aws.env(caller))) vi.stubEnv(name, value);
  table = `endpoints-${randomUUID()}`;
  otherTable = `endpoints-other-${randomUUID()}`;
  const setup = new DynamoDBClient({});
  await createTable(setup, table);
  await createTable(setup, otherTable);
  setup.destroy();
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await aws?.stop();
});

describe("DynamoDB proxy", () => {
  it("forwards calls to DynamoDB Local and attributes them to the caller, the table and the index", async () => {
    // Prepare
    const client = new DynamoDBClient({});

    // Act
    await client.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: "p1" }, g: { S: "group-1" } } }),
    );
    const { Items } = await client.send(
      new QueryCommand({
        TableName: table,
        IndexName: "byG",
        KeyConditionExpression: "g = :g",
        ExpressionAttributeValues: { ":g": { S: "group-1" } },
      }),
    );

    // Assess
    expect(Items?.map((item) => item.pk?.S)).toEqual(["p1"]);
    expect(evidenceOf(caller)).toEqual(
      expect.arrayContaining([
        { principal: caller, action: "dynamodb:PutItem", resource: tableArn(table) },
        { principal: caller, action: "dynamodb:Query", resource: `${tableArn(table)}/index/byG` },
      ]),
    );
    expect(evidenceOf(caller)).not.toContainEqual({
      principal: caller,
      action: "dynamodb:Query",
      resource: tableArn(table),
    });
  });

  it("attributes batch and transaction calls to every table they touch, transactions per item action", async () => {
    // Prepare
    const client = new DynamoDBClient({});
    await client.send(
      new PutItemCommand({ TableName: otherTable, Item: { pk: { S: "guard" }, g: { S: "x" } } }),
    );

    // Act
    await client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [table]: [{ PutRequest: { Item: { pk: { S: "b1" }, g: { S: "x" } } } }],
          [otherTable]: [{ PutRequest: { Item: { pk: { S: "b2" }, g: { S: "x" } } } }],
        },
      }),
    );
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            ConditionCheck: {
              TableName: otherTable,
              Key: { pk: { S: "guard" } },
              ConditionExpression: "attribute_exists(pk)",
            },
          },
          { Put: { TableName: table, Item: { pk: { S: "t1" }, g: { S: "x" } } } },
        ],
      }),
    );

    // Assess
    const transaction = aws.calls().find((call) => call.action === "dynamodb:TransactWriteItems");
    expect(transaction).toMatchObject({ principal: caller, status: 200 });
    expect(transaction?.authorizations).toEqual([
      { action: "dynamodb:ConditionCheckItem", resource: tableArn(otherTable) },
      { action: "dynamodb:PutItem", resource: tableArn(table) },
    ]);
    expect(evidenceOf(caller)).toEqual(
      expect.arrayContaining([
        { principal: caller, action: "dynamodb:BatchWriteItem", resource: tableArn(table) },
        { principal: caller, action: "dynamodb:BatchWriteItem", resource: tableArn(otherTable) },
      ]),
    );
  });
});

describe("EventBridge endpoint", () => {
  it("accepts PutEvents, records each entry with its bus ARN and hands it to listeners", async () => {
    // Prepare
    const client = new EventBridgeClient({});
    const heard: string[] = [];
    const unsubscribe = aws.onEvent((event) => heard.push(event.DetailType));

    // Act
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: "kiro-bus",
            Source: "kiro-scim-sync",
            DetailType: "GroupChanged",
            Detail: '{"g":1}',
          },
          {
            EventBusName: busArn("kiro-bus"),
            Source: "kiro-scim-sync",
            DetailType: "UserChanged",
            Detail: "{}",
          },
        ],
      }),
    );
    unsubscribe();

    // Assess
    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries?.every((entry) => entry.EventId)).toBe(true);
    expect(heard).toEqual(["GroupChanged", "UserChanged"]);
    const [first] = aws.events().filter((event) => event.DetailType === "GroupChanged");
    expect(first).toMatchObject({ EventBusName: "kiro-bus", busArn: busArn("kiro-bus"), principal: caller });
    expect(toEventBridgeEvent(first!)).toMatchObject({
      "detail-type": "GroupChanged",
      source: "kiro-scim-sync",
      detail: { g: 1 },
    });
    expect(evidenceOf(caller)).toContainEqual({
      principal: caller,
      action: "events:PutEvents",
      resource: busArn("kiro-bus"),
    });
  });

  it("describes a registered bus and answers ResourceNotFoundException for any other", async () => {
    // Prepare
    const client = new EventBridgeClient({});

    // Act
    const known = await client.send(new DescribeEventBusCommand({ Name: "kiro-bus" }));
    const unknown = client.send(new DescribeEventBusCommand({ Name: "missing-bus" }));

    // Assess
    expect(known).toMatchObject({ Name: "kiro-bus", Arn: busArn("kiro-bus") });
    await expect(unknown).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    expect(evidenceOf(caller)).toEqual(
      expect.arrayContaining([
        { principal: caller, action: "events:DescribeEventBus", resource: busArn("kiro-bus") },
        { principal: caller, action: "events:DescribeEventBus", resource: busArn("missing-bus") },
      ]),
    );
  });

  it("answers an operation it does not implement with an AWS error and still records the call", async () => {
    // Prepare
    const client = new EventBridgeClient({});

    // Act
    const answer = client.send(new ListRulesCommand({}));

    // Assess
    await expect(answer).rejects.toMatchObject({ name: "UnknownOperationException" });
    expect(evidenceOf(caller)).toContainEqual({
      principal: caller,
      action: "events:ListRules",
      resource: "*",
    });
  });
});

describe("Scheduler endpoint", () => {
  const createSchedule = (name: string, at = "2030-01-01T00:00:00") =>
    new CreateScheduleCommand({
      Name: name,
      GroupName: "retries",
      ScheduleExpression: `at(${at})`,
      ScheduleExpressionTimezone: "UTC",
      FlexibleTimeWindow: { Mode: "OFF" },
      ActionAfterCompletion: "DELETE",
      Target: {
        Arn: busArn("kiro-bus"),
        RoleArn: roleArn,
        Input: '{"groupId":"00g1"}',
        EventBridgeParameters: { DetailType: "GroupChanged", Source: "kiro-scim-sync" },
      },
    });

  it("creates a schedule, evidencing CreateSchedule on it and PassRole on its role", async () => {
    // Prepare
    const client = new SchedulerClient({});

    // Act
    const { ScheduleArn } = await client.send(createSchedule("retry-1"));

    // Assess
    expect(ScheduleArn).toBe(scheduleArn("retries", "retry-1"));
    expect(evidenceOf(caller)).toEqual(
      expect.arrayContaining([
        {
          principal: caller,
          action: "scheduler:CreateSchedule",
          resource: scheduleArn("retries", "retry-1"),
        },
        { principal: caller, action: "iam:PassRole", resource: roleArn },
      ]),
    );
  });

  it("answers ConflictException for a name that already exists in the group", async () => {
    // Prepare
    const client = new SchedulerClient({});
    await client.send(createSchedule("retry-2"));

    // Act
    const duplicate = client.send(createSchedule("retry-2"));

    // Assess
    await expect(duplicate).rejects.toBeInstanceOf(ConflictException);
  });

  it("fires a due schedule as its event on the target bus, put by its role, and deletes it", async () => {
    // Prepare
    const client = new SchedulerClient({});
    await client.send(createSchedule("retry-3", "2031-06-01T12:00:00"));

    // Act
    const early = aws.fireDue(new Date("2031-06-01T11:59:59Z"));
    const due = aws.fireDue(new Date("2031-06-01T12:00:00Z"));

    // Assess
    const arn = scheduleArn("retries", "retry-3");
    expect(early.map((event) => event.scheduleArn)).not.toContain(arn);
    expect(due.find((event) => event.scheduleArn === arn)).toMatchObject({
      Source: "kiro-scim-sync",
      DetailType: "GroupChanged",
      Detail: '{"groupId":"00g1"}',
      busArn: busArn("kiro-bus"),
      principal: roleArn,
    });
    expect(aws.schedules().map((schedule) => schedule.Name)).not.toContain("retry-3");
    expect(aws.evidence()).toContainEqual({
      principal: roleArn,
      action: "events:PutEvents",
      resource: busArn("kiro-bus"),
    });
  });

  it("answers GetScheduleGroup for a registered group and ResourceNotFoundException for any other", async () => {
    // Prepare
    const client = new SchedulerClient({});

    // Act
    const known = await client.send(new GetScheduleGroupCommand({ Name: "retries" }));
    const unknown = client.send(new GetScheduleGroupCommand({ Name: "missing" }));

    // Assess
    expect(known).toMatchObject({ Name: "retries", State: "ACTIVE", Arn: scheduleGroupArn("retries") });
    await expect(unknown).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    expect(evidenceOf(caller)).toContainEqual({
      principal: caller,
      action: "scheduler:GetScheduleGroup",
      resource: scheduleGroupArn("retries"),
    });
  });
});

describe("Secrets Manager endpoint", () => {
  it("returns a secret's JSON value and evidences its ARN as registered, whether asked by ARN or name", async () => {
    // Prepare
    aws.putSecret(secretArn, { token: "kiro-1" });
    const client = new SecretsManagerClient({});

    // Act
    const byArn = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    const byName = await client.send(new GetSecretValueCommand({ SecretId: "kiro-token" }));

    // Assess
    expect(JSON.parse(byArn.SecretString ?? "")).toEqual({ token: "kiro-1" });
    expect(byName.ARN).toBe(secretArn);
    expect(
      evidenceOf(caller).filter((entry) => entry.action === "secretsmanager:GetSecretValue"),
    ).toContainEqual({ principal: caller, action: "secretsmanager:GetSecretValue", resource: secretArn });
  });

  it("answers ResourceNotFoundException for a secret that has no value yet, as Secrets Manager does", async () => {
    // Prepare
    aws.putSecret(emptySecretArn, undefined);
    const client = new SecretsManagerClient({});

    // Act
    const answer = client.send(new GetSecretValueCommand({ SecretId: emptySecretArn }));

    // Assess
    await expect(answer).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(answer).rejects.toThrow(
      "can't find the specified secret value for staging label: AWSCURRENT",
    );
  });

  it("answers ResourceNotFoundException for a secret it does not know", async () => {
    // Prepare
    const client = new SecretsManagerClient({});

    // Act
    const answer = client.send(new GetSecretValueCommand({ SecretId: "never-registered" }));

    // Assess
    await expect(answer).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe("calls no endpoint implements", () => {
  it("answers each with an AWS error its client maps by name, and records it with the signed service", async () => {
    // Prepare
    const scheduler = new SchedulerClient({});
    const secrets = new SecretsManagerClient({});
    const elsewhere = new DynamoDBClient({ endpoint: aws.endpoints.other });

    // Act
    const answers = await Promise.allSettled([
      scheduler.send(new DeleteScheduleCommand({ Name: "retry-1", GroupName: "retries" })),
      secrets.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: "{}" })),
      elsewhere.send(new ListTablesCommand({})),
    ]);

    // Assess
    expect(answers.map((answer) => answer.status === "rejected" && (answer.reason as Error).name)).toEqual([
      "UnknownOperationException",
      "UnknownOperationException",
      "UnknownOperationException",
    ]);
    expect(evidenceOf(caller)).toEqual(
      expect.arrayContaining([
        {
          principal: caller,
          action: "scheduler:DeleteSchedule",
          resource: scheduleArn("retries", "retry-1"),
        },
        { principal: caller, action: "secretsmanager:PutSecretValue", resource: "*" },
        { principal: caller, action: "dynamodb:ListTables", resource: "*" },
      ]),
    );
  });
});

describe("lambda runner", () => {
  const lambdas: LocalLambda[] = [];
  const start = async (name: string, timeoutMs?: number) => {
    const lambda = await startLambda({
      bundleDir: envClientsBundle,
      handler: "bundle.handler",
      name,
      env: aws.env(name),
      ...(timeoutMs ? { timeoutMs } : {}),
    });
    lambdas.push(lambda);
    return lambda;
  };

  afterAll(async () => {
    await Promise.all(lambdas.map((lambda) => lambda.stop()));
  });

  it("runs a bundle whose SDK clients reach every endpoint through environment variables alone", async () => {
    // Prepare
    const name = "fixture-env-clients";
    aws.putSecret(secretArn, { token: "kiro-2" });
    const lambda = await start(name);

    // Act
    const outcome = await lambda.invoke({
      op: "aws",
      tableName: table,
      busName: "kiro-bus",
      groupName: "retries",
      roleArn,
      busArn: busArn("kiro-bus"),
      secretId: secretArn,
    });

    // Assess
    expect(outcome).toMatchObject({
      result: {
        item: "from-bundle",
        failed: 0,
        scheduleArn: scheduleArn("retries", "from-bundle"),
        secret: '{"token":"kiro-2"}',
      },
    });
    expect(evidenceOf(name)).toEqual(
      expect.arrayContaining([
        { principal: name, action: "dynamodb:PutItem", resource: tableArn(table) },
        { principal: name, action: "dynamodb:GetItem", resource: tableArn(table) },
        { principal: name, action: "events:PutEvents", resource: busArn("kiro-bus") },
        {
          principal: name,
          action: "scheduler:CreateSchedule",
          resource: scheduleArn("retries", "from-bundle"),
        },
        { principal: name, action: "iam:PassRole", resource: roleArn },
        { principal: name, action: "secretsmanager:GetSecretValue", resource: secretArn },
      ]),
    );
  });

  it("reports init time and gives the handler Lambda's environment, context and nothing of the test's", async () => {
    // Prepare
    const name = "fixture-context";
    const lambda = await start(name);

    // Act
    const outcome = await lambda.invoke({ op: "context" }, { timeoutMs: 5_000 });

    // Assess
    expect(lambda.initMs).toBeGreaterThan(0);
    expect(lambda.nodeVersion).toMatch(/^v24\./);
    expect(outcome).toMatchObject({
      result: {
        tz: ":UTC",
        cwd: envClientsBundle,
        handler: "bundle.handler",
        inherited: null,
        functionName: name,
        memoryLimitInMB: "1024",
        invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
        awsRequestId: outcome.requestId,
      },
    });
    const { remainingMs } = (outcome as { result: { remainingMs: number } }).result;
    expect(remainingMs).toBeGreaterThan(0);
    expect(remainingMs).toBeLessThanOrEqual(5_000);
    expect(outcome.logs).toEqual(['{"level":"INFO","message":"context read"}', "to stderr"]);
    expect(lambda.logs()).toEqual(expect.arrayContaining(outcome.logs));
  });

  it("surfaces an error the handler throws as errorType and errorMessage", async () => {
    // Prepare
    const lambda = await start("fixture-fail");

    // Act
    const outcome = await lambda.invoke({ op: "fail", message: "the Kiro token expired" });

    // Assess
    expect(outcome).toMatchObject({
      error: { errorType: "TokenExpired", errorMessage: "the Kiro token expired" },
    });
  });

  it("times an invocation out like Lambda and starts a fresh sandbox for the next one", async () => {
    // Prepare
    const lambda = await start("fixture-timeout", 300);

    // Act
    const slow = await lambda.invoke({ op: "sleep", ms: 10_000 });
    const next = await lambda.invoke({ op: "sleep", ms: 1 });

    // Assess
    expect(slow).toMatchObject({ error: { errorType: "Sandbox.Timedout" } });
    expect(next).toMatchObject({ result: "slept" });
    expect(lambda.sandboxes).toBe(2);
  });

  it("rejects when the bundle fails to load, with the runtime's error", async () => {
    // Prepare
    const bundleDir = await mkdtemp(join(tmpdir(), "broken-bundle-"));
    await writeFile(
      join(bundleDir, "bundle.mjs"),
      [
        "import { createRequire as topLevelCreateRequire } from 'module';",
        "const require = topLevelCreateRequire(import.meta.url);",
        "import { fileURLToPath as topLevelFileUrlToPath } from 'url';",
        "import { dirname as topLevelDirname } from 'path';",
        "const __filename = topLevelFileUrlToPath(import.meta.url);",
        "const __dirname = topLevelDirname(__filename);",
        "const __dirname = '/var/task';",
        "export const handler = async () => ({ __dirname, require });",
      ].join("\n"),
    );

    // Act
    const starting = startLambda({ bundleDir, handler: "bundle.handler", name: "fixture-broken", env: {} });

    // Assess
    await expect(starting).rejects.toThrow(
      "Runtime.UserCodeSyntaxError: SyntaxError: Identifier '__dirname' has already been declared",
    );
    await rm(bundleDir, { recursive: true, force: true });
  });
});
