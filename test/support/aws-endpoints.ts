import { randomUUID } from "node:crypto";
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

export const localRegion = "us-east-1";
export const localAccount = "123456789012";

/** One permission IAM evaluates for a call: what a function's policy has to allow. */
export interface Authorization {
  action: string;
  resource: string;
}

/** One request an endpoint received, attributed to the access key id that signed it. */
export interface AwsCall {
  principal: string;
  /** The API operation called, `service:Operation`. */
  action: string;
  resources: string[];
  /**
   * What IAM checks for the call. Usually `action` on each resource, but not always: a DynamoDB
   * transaction is authorised per item as PutItem/UpdateItem/DeleteItem/ConditionCheckItem/GetItem,
   * and CreateSchedule also needs `iam:PassRole` on the role the schedule will assume.
   */
  authorizations: Authorization[];
  status: number;
}

export interface Evidence extends Authorization {
  principal: string;
}

/** An event as EventBridge accepted it, by PutEvents or by a fired schedule. */
export interface BusEvent {
  id: string;
  time: string;
  Source: string;
  DetailType: string;
  Detail: string;
  /** As the caller gave it: a name, an ARN, or `default` when absent. */
  EventBusName: string;
  busArn: string;
  /** The access key id that put it, or the role ARN of the schedule that fired it. */
  principal: string;
  /** The schedule that put it, when one did. */
  scheduleArn?: string;
}

export interface LocalSchedule {
  Name: string;
  GroupName: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone?: string;
  ActionAfterCompletion?: string;
  FlexibleTimeWindow: { Mode: string; MaximumWindowInMinutes?: number };
  Target: {
    Arn: string;
    RoleArn: string;
    Input?: string;
    EventBridgeParameters?: { DetailType: string; Source: string };
    RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  };
  arn: string;
  /** When an `at(...)` schedule runs; undefined for `rate(...)` and `cron(...)`, which never fire here. */
  runsAt: Date | undefined;
  principal: string;
}

export interface LocalAwsOptions {
  /** DynamoDB Local, which the proxy forwards every request to. */
  dynamoEndpoint: string;
  /**
   * The access key id the proxy signs as towards DynamoDB Local, which keeps one database per key
   * id (it runs without `-sharedDb`) and takes only letters and digits: the tests' `local`, so a
   * function sees the tables the test made. DynamoDB Local checks no signature.
   */
  dynamoAccessKeyId?: string;
  /** Buses DescribeEventBus knows, by name; `default` always exists. */
  eventBuses?: string[];
  /** Groups schedules may be created in, by name; `default` always exists. */
  scheduleGroups?: string[];
}

export interface LocalAws {
  endpoints: {
    dynamodb: string;
    eventbridge: string;
    scheduler: string;
    secretsManager: string;
    other: string;
  };
  /** The environment a function process needs so that `new XClient({})` signs as `principal` and calls here. */
  env(principal: string): Record<string, string>;
  calls(): AwsCall[];
  /** Every permission exercised, once per principal, action and resource, in first-use order. */
  evidence(): Evidence[];
  events(): BusEvent[];
  /** Calls `listener` with each event as it is put; returns the unsubscribe. */
  onEvent(listener: (event: BusEvent) => void): () => void;
  putSecret(arnOrName: string, value: unknown): void;
  schedules(): LocalSchedule[];
  /**
   * Runs every `at(...)` schedule due by `now` the way Scheduler does: the target's Input becomes an
   * event with EventBridgeParameters' DetailType and Source on the target bus, put by the schedule's
   * role; a schedule with ActionAfterCompletion DELETE is then deleted, any other is only spent.
   */
  fireDue(now?: Date): BusEvent[];
  stop(): Promise<void>;
}

export const tableArn = (name: string) =>
  name.startsWith("arn:") ? name : `arn:aws:dynamodb:${localRegion}:${localAccount}:table/${name}`;
export const busArn = (nameOrArn: string) =>
  nameOrArn.startsWith("arn:")
    ? nameOrArn
    : `arn:aws:events:${localRegion}:${localAccount}:event-bus/${nameOrArn}`;
export const scheduleArn = (group: string, name: string) =>
  `arn:aws:scheduler:${localRegion}:${localAccount}:schedule/${group}/${name}`;
export const scheduleGroupArn = (name: string) =>
  `arn:aws:scheduler:${localRegion}:${localAccount}:schedule-group/${name}`;

/**
 * The EventBridge event a Lambda target receives for `event`, so a test can hand a put event to the
 * worker the bus rule would invoke.
 */
export function toEventBridgeEvent(event: BusEvent) {
  return {
    version: "0",
    id: event.id,
    "detail-type": event.DetailType,
    source: event.Source,
    account: localAccount,
    time: event.time,
    region: localRegion,
    resources: [] as string[],
    detail: JSON.parse(event.Detail) as unknown,
  };
}

/** The operation a JSON-protocol call names in `X-Amz-Target` (`AWSEvents.PutEvents` → `PutEvents`). */
function operationOf(req: IncomingMessage): string | undefined {
  const target = String(req.headers["x-amz-target"] ?? "");
  return target ? target.slice(target.lastIndexOf(".") + 1) : undefined;
}

/** The access key id from a SigV4 `Authorization` header: the function name, as `env()` sets it. */
function principalOf(req: IncomingMessage): string {
  const credential = /Credential=([^/,\s]+)\//.exec(req.headers.authorization ?? "");
  return credential?.[1] ?? "anonymous";
}

/** The service a request was signed for (`Credential=<AKID>/<date>/<region>/<service>/aws4_request`). */
function signedServiceOf(req: IncomingMessage): string | undefined {
  return /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? "")?.[1];
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    const value = JSON.parse(body.toString() || "{}") as unknown;
    return value && typeof value === "object" ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function reply(res: ServerResponse, status: number, contentType: string, body: unknown): void {
  res.writeHead(status, { "content-type": contentType, "x-amzn-requestid": randomUUID() });
  res.end(JSON.stringify(body));
}

/**
 * The shape every AWS JSON protocol error takes, which the SDK maps to its modelled exception
 * class by the `x-amzn-ErrorType` header (or `__type`): `message` and `Message` both, since
 * services differ in which one their model names.
 */
function replyError(res: ServerResponse, status: number, contentType: string, type: string, message: string) {
  res.writeHead(status, {
    "content-type": contentType,
    "x-amzn-errortype": type,
    "x-amzn-requestid": randomUUID(),
  });
  res.end(JSON.stringify({ __type: type, message, Message: message }));
}

const json11 = "application/x-amz-json-1.1";
const restJson = "application/json";

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * The resources IAM evaluates a DynamoDB request against. A Query or Scan on an index is
 * authorised on the index ARN, not the table's; a transaction on each item's own action.
 */
function dynamoAuthorizations(action: string, body: Record<string, unknown>): Authorization[] {
  const transactActions: Record<string, string> = {
    Put: "dynamodb:PutItem",
    Update: "dynamodb:UpdateItem",
    Delete: "dynamodb:DeleteItem",
    ConditionCheck: "dynamodb:ConditionCheckItem",
    Get: "dynamodb:GetItem",
  };
  if (Array.isArray(body.TransactItems)) {
    return (body.TransactItems as Record<string, { TableName?: string }>[]).flatMap((item) =>
      Object.entries(item).map(([kind, operation]) => ({
        action: transactActions[kind] ?? `dynamodb:${kind}`,
        resource: tableArn(operation?.TableName ?? "*"),
      })),
    );
  }
  if (body.RequestItems && typeof body.RequestItems === "object") {
    return Object.keys(body.RequestItems).map((table) => ({ action, resource: tableArn(table) }));
  }
  if (typeof body.TableName === "string") {
    const table = tableArn(body.TableName);
    const resource = typeof body.IndexName === "string" ? `${table}/index/${body.IndexName}` : table;
    return [{ action, resource }];
  }
  return [{ action, resource: "*" }];
}

function uniqueResources(authorizations: Authorization[]): string[] {
  return [...new Set(authorizations.map((authorization) => authorization.resource))];
}

/**
 * DynamoDB, EventBridge, EventBridge Scheduler and Secrets Manager on loopback ports, for bundles
 * that reach them through `AWS_ENDPOINT_URL_*`. Every call is attributed to the access key id that
 * signed it, so each function process (whose key id is its name) leaves evidence of the
 * permissions it exercised. Any other service lands on `other`, which answers an error and records
 * the call, so no function quietly reaches real AWS.
 */
export async function startLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  const recorded: AwsCall[] = [];
  const busEvents: BusEvent[] = [];
  const listeners = new Set<(event: BusEvent) => void>();
  const buses = new Set(["default", ...(options.eventBuses ?? [])]);
  const groups = new Set(["default", ...(options.scheduleGroups ?? [])]);
  const scheduled = new Map<string, LocalSchedule>();
  const secrets = new Map<string, { arn: string; name: string; value: string | undefined }>();

  const record = (principal: string, action: string, authorizations: Authorization[], status: number) => {
    recorded.push({ principal, action, resources: uniqueResources(authorizations), authorizations, status });
  };
  const on = (action: string, resources: string[]) => resources.map((resource) => ({ action, resource }));

  const putEvent = (event: Omit<BusEvent, "id" | "time" | "busArn">): BusEvent => {
    const accepted = {
      ...event,
      id: randomUUID(),
      time: new Date().toISOString(),
      busArn: busArn(event.EventBusName),
    };
    busEvents.push(accepted);
    for (const listener of listeners) listener(accepted);
    return accepted;
  };

  const dynamoTarget = new URL(options.dynamoEndpoint);
  const dynamoAccessKeyId = options.dynamoAccessKeyId ?? "local";
  const dynamoAgent = new Agent({ keepAlive: true });
  const dynamodb = createServer(async (req, res) => {
    const body = await readBody(req);
    const action = `dynamodb:${operationOf(req) ?? "Unknown"}`;
    const authorizations = dynamoAuthorizations(action, parseJson(body));
    const forward = httpRequest(
      {
        host: dynamoTarget.hostname,
        port: dynamoTarget.port,
        method: req.method,
        path: req.url,
        headers: req.rawHeaders.map((value, index) =>
          index % 2 === 1 && req.rawHeaders[index - 1]?.toLowerCase() === "authorization"
            ? value.replace(/Credential=[^/]+\//, `Credential=${dynamoAccessKeyId}/`)
            : value,
        ),
        agent: dynamoAgent,
      },
      (answer) => {
        record(principalOf(req), action, authorizations, answer.statusCode ?? 0);
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    forward.on("error", (error) => {
      record(principalOf(req), action, authorizations, 500);
      replyError(
        res,
        500,
        "application/x-amz-json-1.0",
        "InternalServerError",
        `DynamoDB Local: ${error.message}`,
      );
    });
    forward.end(body);
  });

  const eventbridge = createServer(async (req, res) => {
    const body = parseJson(await readBody(req));
    const principal = principalOf(req);
    const operation = operationOf(req) ?? "Unknown";
    const action = `events:${operation}`;
    if (operation === "PutEvents") {
      const entries = (body.Entries ?? []) as Partial<
        Omit<BusEvent, "id" | "time" | "busArn" | "principal">
      >[];
      const named = entries.map((entry) => entry.EventBusName ?? "default");
      record(principal, action, on(action, [...new Set(named.map(busArn))]), 200);
      const accepted = entries.map((entry, index) =>
        putEvent({
          Source: entry.Source ?? "",
          DetailType: entry.DetailType ?? "",
          Detail: entry.Detail ?? "{}",
          EventBusName: named[index] ?? "default",
          principal,
        }),
      );
      reply(res, 200, json11, {
        FailedEntryCount: 0,
        Entries: accepted.map((event) => ({ EventId: event.id })),
      });
      return;
    }
    if (operation === "DescribeEventBus") {
      const requested = typeof body.Name === "string" ? body.Name : "default";
      const arn = busArn(requested);
      const name = arn.slice(arn.lastIndexOf("/") + 1);
      const known = buses.has(name) && arn === busArn(name);
      record(principal, action, on(action, [arn]), known ? 200 : 400);
      if (!known) {
        replyError(res, 400, json11, "ResourceNotFoundException", `Event bus ${requested} does not exist.`);
        return;
      }
      reply(res, 200, json11, { Name: name, Arn: arn });
      return;
    }
    record(principal, action, on(action, ["*"]), 400);
    replyError(
      res,
      400,
      json11,
      "UnknownOperationException",
      `local EventBridge does not implement ${operation}`,
    );
  });

  const schedulerRoutes: [string, RegExp, string][] = [
    ["POST", /^\/schedules\/([^/]+)$/, "CreateSchedule"],
    ["GET", /^\/schedules\/([^/]+)$/, "GetSchedule"],
    ["PUT", /^\/schedules\/([^/]+)$/, "UpdateSchedule"],
    ["DELETE", /^\/schedules\/([^/]+)$/, "DeleteSchedule"],
    ["GET", /^\/schedules$/, "ListSchedules"],
    ["POST", /^\/schedule-groups\/([^/]+)$/, "CreateScheduleGroup"],
    ["GET", /^\/schedule-groups\/([^/]+)$/, "GetScheduleGroup"],
    ["DELETE", /^\/schedule-groups\/([^/]+)$/, "DeleteScheduleGroup"],
    ["GET", /^\/schedule-groups$/, "ListScheduleGroups"],
    ["GET", /^\/tags\/(.+)$/, "ListTagsForResource"],
    ["POST", /^\/tags\/(.+)$/, "TagResource"],
    ["DELETE", /^\/tags\/(.+)$/, "UntagResource"],
  ];
  const scheduler = createServer(async (req, res) => {
    const body = parseJson(await readBody(req));
    const principal = principalOf(req);
    const url = new URL(req.url ?? "/", "http://local");
    const route = schedulerRoutes
      .map(([method, pattern, operation]) => ({ method, match: pattern.exec(url.pathname), operation }))
      .find(({ method, match }) => method === req.method && match);
    const operation = route?.operation ?? "Unknown";
    const action = `scheduler:${operation}`;
    const pathName = decodeURIComponent(route?.match?.[1] ?? "");

    if (operation === "CreateSchedule") {
      const schedule = body as unknown as Omit<LocalSchedule, "Name" | "arn" | "runsAt" | "principal">;
      const group = schedule.GroupName ?? "default";
      const arn = scheduleArn(group, pathName);
      const roleArn = schedule.Target?.RoleArn;
      const authorizations = [
        { action, resource: arn },
        ...(roleArn ? [{ action: "iam:PassRole", resource: roleArn }] : []),
      ];
      const fail = (status: number, type: string, message: string) => {
        record(principal, action, authorizations, status);
        replyError(res, status, restJson, type, message);
      };
      if (!schedule.ScheduleExpression || !schedule.FlexibleTimeWindow || !schedule.Target?.Arn || !roleArn) {
        fail(400, "ValidationException", "ScheduleExpression, FlexibleTimeWindow and Target are required.");
        return;
      }
      if (!groups.has(group)) {
        fail(404, "ResourceNotFoundException", `Schedule group ${group} does not exist.`);
        return;
      }
      const key = `${group}/${pathName}`;
      if (scheduled.has(key)) {
        fail(409, "ConflictException", `Schedule ${pathName} already exists.`);
        return;
      }
      const at = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(schedule.ScheduleExpression);
      scheduled.set(key, {
        ...schedule,
        Name: pathName,
        GroupName: group,
        arn,
        runsAt: at ? new Date(`${at[1]}Z`) : undefined,
        principal,
      });
      record(principal, action, authorizations, 200);
      reply(res, 200, restJson, { ScheduleArn: arn });
      return;
    }
    if (operation === "GetScheduleGroup") {
      const arn = scheduleGroupArn(pathName);
      const known = groups.has(pathName);
      record(principal, action, on(action, [arn]), known ? 200 : 404);
      if (!known) {
        replyError(
          res,
          404,
          restJson,
          "ResourceNotFoundException",
          `Schedule group ${pathName} does not exist.`,
        );
        return;
      }
      reply(res, 200, restJson, {
        Arn: arn,
        Name: pathName,
        State: "ACTIVE",
        CreationDate: 0,
        LastModificationDate: 0,
      });
      return;
    }
    const group = url.searchParams.get("groupName") ?? "default";
    const resource =
      route?.match?.[1] === undefined
        ? "*"
        : operation.endsWith("ScheduleGroup")
          ? scheduleGroupArn(pathName)
          : operation.endsWith("Schedule")
            ? scheduleArn(group, pathName)
            : pathName;
    record(principal, action, on(action, [resource]), 400);
    replyError(
      res,
      400,
      restJson,
      "UnknownOperationException",
      `local Scheduler does not implement ${route ? operation : `${req.method} ${url.pathname}`}`,
    );
  });

  const findSecret = (secretId: string) =>
    [...secrets.values()].find(
      (secret) =>
        secret.arn === secretId ||
        secret.name === secretId ||
        (secretId.startsWith("arn:") && secret.arn.startsWith(`${secretId}-`)),
    );
  const secretsManager = createServer(async (req, res) => {
    const body = parseJson(await readBody(req));
    const principal = principalOf(req);
    const operation = operationOf(req) ?? "Unknown";
    const action = `secretsmanager:${operation}`;
    if (operation === "GetSecretValue") {
      const secretId = String(body.SecretId ?? "");
      const secret = findSecret(secretId);
      const arn =
        secret?.arn ??
        (secretId.startsWith("arn:")
          ? secretId
          : `arn:aws:secretsmanager:${localRegion}:${localAccount}:secret:${secretId}`);
      record(principal, action, on(action, [arn]), secret?.value === undefined ? 400 : 200);
      if (!secret) {
        replyError(
          res,
          400,
          json11,
          "ResourceNotFoundException",
          "Secrets Manager can't find the specified secret.",
        );
        return;
      }
      if (secret.value === undefined) {
        replyError(
          res,
          400,
          json11,
          "ResourceNotFoundException",
          "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
        );
        return;
      }
      reply(res, 200, json11, {
        ARN: secret.arn,
        Name: secret.name,
        SecretString: secret.value,
        VersionId: "00000000-0000-0000-0000-000000000001",
        VersionStages: ["AWSCURRENT"],
        CreatedDate: 0,
      });
      return;
    }
    record(principal, action, on(action, ["*"]), 400);
    replyError(
      res,
      400,
      json11,
      "UnknownOperationException",
      `local Secrets Manager does not implement ${operation}`,
    );
  });

  const other = createServer(async (req, res) => {
    const body = await readBody(req);
    const operation =
      operationOf(req) ??
      new URLSearchParams(body.toString()).get("Action") ??
      `${req.method} ${new URL(req.url ?? "/", "http://local").pathname}`;
    const action = `${signedServiceOf(req) ?? "unknown"}:${operation}`;
    record(principalOf(req), action, on(action, ["*"]), 400);
    replyError(res, 400, restJson, "UnknownOperationException", `no local endpoint serves ${action}`);
  });

  const servers = { dynamodb, eventbridge, scheduler, secretsManager, other };
  const endpoints = {
    dynamodb: await listen(dynamodb),
    eventbridge: await listen(eventbridge),
    scheduler: await listen(scheduler),
    secretsManager: await listen(secretsManager),
    other: await listen(other),
  };

  return {
    endpoints,
    env(principal) {
      if (!/^[\w.@+=,-]+$/.test(principal)) throw new Error(`${principal} cannot be an access key id`);
      return {
        AWS_ENDPOINT_URL: endpoints.other,
        AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
        AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge,
        AWS_ENDPOINT_URL_SCHEDULER: endpoints.scheduler,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
        AWS_REGION: localRegion,
        AWS_DEFAULT_REGION: localRegion,
        AWS_ACCESS_KEY_ID: principal,
        AWS_SECRET_ACCESS_KEY: "local",
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      };
    },
    calls: () => [...recorded],
    evidence() {
      const seen = new Map<string, Evidence>();
      for (const call of recorded) {
        for (const { action, resource } of call.authorizations) {
          const key = JSON.stringify([call.principal, action, resource]);
          if (!seen.has(key)) seen.set(key, { principal: call.principal, action, resource });
        }
      }
      return [...seen.values()];
    },
    events: () => [...busEvents],
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    putSecret(arnOrName, value) {
      const isArn = arnOrName.startsWith("arn:");
      const name = isArn
        ? arnOrName.slice(arnOrName.indexOf(":secret:") + 8).replace(/-[A-Za-z0-9]{6}$/, "")
        : arnOrName;
      const arn = isArn
        ? arnOrName
        : `arn:aws:secretsmanager:${localRegion}:${localAccount}:secret:${name}-local0`;
      const stored = value === undefined || typeof value === "string" ? value : JSON.stringify(value);
      secrets.set(arn, { arn, name, value: stored });
    },
    schedules: () => [...scheduled.values()],
    fireDue(now = new Date()) {
      const fired: BusEvent[] = [];
      for (const [key, schedule] of scheduled) {
        if (!schedule.runsAt || schedule.runsAt > now) continue;
        const { Arn, RoleArn, Input, EventBridgeParameters } = schedule.Target;
        if (!Arn.startsWith("arn:aws:events:") || !EventBridgeParameters) {
          throw new Error(`schedule ${key} targets ${Arn}; only event bus targets are delivered here`);
        }
        const action = "events:PutEvents";
        record(RoleArn, action, on(action, [Arn]), 200);
        fired.push(
          putEvent({
            Source: EventBridgeParameters.Source,
            DetailType: EventBridgeParameters.DetailType,
            Detail: Input ?? "{}",
            EventBusName: Arn,
            principal: RoleArn,
            scheduleArn: schedule.arn,
          }),
        );
        if (schedule.ActionAfterCompletion === "DELETE") scheduled.delete(key);
        else schedule.runsAt = undefined;
      }
      return fired;
    },
    async stop() {
      dynamoAgent.destroy();
      await Promise.all(Object.values(servers).map(close));
    },
  };
}
