import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createLedgerTable } from "../../core/adapters/dynamo/create-ledger-table";
import { localAwsConfig } from "../../local/dynamodb-local";
import { GraphTenantServer } from "../../local/graph/graph-tenant-server";
import { seedSampleTenant } from "../../local/graph/sample-tenant";
import { toApiGatewayEvent } from "../../local/lambda-invoke";
import { OktaOrgServer } from "../../local/okta-org/okta-org-server";
import { seedSampleOrg } from "../../local/okta-org/sample-org";
import { KiroScimEmulator } from "../../local/scim-emulator/kiro-scim-emulator";
import { ensureLocalTls } from "../../local/tls/local-tls";
import {
  type BusEvent,
  type Evidence,
  type LocalAws,
  startLocalAws,
  toEventBridgeEvent,
} from "./aws-endpoints";
import { type InvokeOutcome, type LocalLambda, startLambda } from "./lambda-runner";
import type { DeployedFunction, StackModel } from "./stack-model";

/** One invocation's outcome, by function, kept for assertions. */
export interface Invocation {
  fn: string;
  event: unknown;
  outcome: InvokeOutcome;
}

/**
 * The stack's bundles wired the way AWS wires them, on this machine: each function's bundle in its
 * own Node process with the environment the stack gives it (only the endpoints swapped for local
 * ones), API Gateway's routes in front of the HTTP functions, the bus rules' patterns and targets
 * delivering events to the workers with Lambda's async retries and on-failure destinations, and
 * the IdPs and Kiro as the emulators. Every AWS call a bundle makes is attributed to its function.
 */
export class DeployedService {
  readonly invocations: Invocation[] = [];
  readonly deadLetters: { queue: string; record: unknown }[] = [];
  private readonly serviceEvidence: Evidence[] = [];
  private inFlight = 0;
  /** Warm sandboxes per function: Lambda scales out, so a busy one never blocks another invocation. */
  private readonly warm = new Map<string, LocalLambda[]>();
  private readonly sandboxes: LocalLambda[] = [];
  private server: Server | undefined;
  url = "";

  private constructor(
    readonly model: StackModel,
    readonly aws: LocalAws,
    readonly emulator: KiroScimEmulator,
    readonly okta: OktaOrgServer | undefined,
    readonly graph: GraphTenantServer | undefined,
    readonly secrets: { hookSecret: string; statusToken: string; adminToken: string; clientState: string },
    private readonly dynamo: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  static async start(model: StackModel, dynamoEndpoint: string): Promise<DeployedService> {
    const sample = model.functions[0]!.environment;
    const aws = await startLocalAws({
      dynamoEndpoint,
      eventBuses: [sample.EVENT_BUS_NAME!],
      scheduleGroups: [sample.SCHEDULER_GROUP_NAME!],
    });
    const dynamo = new DynamoDBClient({ ...localAwsConfig, endpoint: dynamoEndpoint });
    await createLedgerTable(dynamo, sample.LEDGER_TABLE_NAME!);
    const emulator = await KiroScimEmulator.start();
    const okta = sample.OKTA_SECRET_ID ? await OktaOrgServer.start() : undefined;
    if (okta) seedSampleOrg(okta);
    const graph = sample.ENTRA_SECRET_ID ? await GraphTenantServer.start(await ensureLocalTls()) : undefined;
    if (graph) seedSampleTenant(graph);
    const secrets = {
      hookSecret: `Basic ${randomUUID()}`,
      statusToken: `status-${randomUUID()}`,
      adminToken: `admin-${randomUUID()}`,
      clientState: `state-${randomUUID()}`,
    };
    const service = new DeployedService(
      model,
      aws,
      emulator,
      okta,
      graph,
      secrets,
      dynamo,
      sample.LEDGER_TABLE_NAME!,
    );
    await service.listen();
    return service;
  }

  /** Fills the secrets the stack created, as the README's deploy steps do. */
  fillSecrets(): void {
    const env = this.model.functions[0]!.environment;
    this.aws.putSecret(env.KIRO_SCIM_SECRET_ID!, {
      url: this.emulator.profile.scimUrl,
      token: this.emulator.profile.token,
    });
    this.aws.putSecret(env.STATUS_TOKEN_SECRET_ID!, { token: this.secrets.statusToken });
    this.aws.putSecret(env.ADMIN_TOKEN_SECRET_ID!, { token: this.secrets.adminToken });
    if (env.OKTA_SECRET_ID && this.okta)
      this.aws.putSecret(env.OKTA_SECRET_ID, {
        hookSecret: this.secrets.hookSecret,
        apiToken: this.okta.apiToken,
      });
    if (env.ENTRA_SECRET_ID && this.graph)
      this.aws.putSecret(env.ENTRA_SECRET_ID, {
        tenantId: this.graph.tenantId,
        clientId: this.graph.clientId,
        clientSecret: this.graph.clientSecret,
        clientState: this.secrets.clientState,
      });
  }

  /** Starts every function's bundle, or those of `sources` (a cold start each); resolves with their init times. */
  async coldStart(sources?: readonly string[]): Promise<Record<string, number>> {
    const functions = sources
      ? this.model.functions.filter((fn) => sources.includes(fn.source.replace(/^functions\//, "")))
      : this.model.functions;
    const started = await Promise.all(functions.map((fn) => this.startSandbox(fn)));
    for (const lambda of started) this.warm.set(lambda.name, [lambda]);
    return Object.fromEntries(started.map((lambda) => [lambda.name, lambda.initMs]));
  }

  private async startSandbox(fn: DeployedFunction): Promise<LocalLambda> {
    const env: Record<string, string> = { ...fn.environment, ...this.aws.env(fn.id) };
    /* The deploying shell's Okta org and the Graph endpoints are the local ones here. */
    if (env.OKTA_ORG_URL && this.okta) env.OKTA_ORG_URL = this.okta.orgUrl;
    if (env.ENTRA_SECRET_ID && this.graph) {
      env.ENTRA_AUTHORITY_HOST = this.graph.url;
      env.ENTRA_GRAPH_URL = `${this.graph.url}/`;
    }
    /* In AWS the schedule gets the API URL from the stack and the lifecycle handler its request's
       domain (https); this gateway is plain http on loopback, so both are told its address. */
    if (env.ENTRA_SECRET_ID) env.ENTRA_NOTIFICATION_BASE_URL = this.url;
    const lambda = await startLambda({
      bundleDir: fn.bundle.dir,
      handler: fn.bundle.handler,
      name: fn.id,
      env,
      timeoutMs: fn.timeoutSeconds * 1000,
    });
    this.sandboxes.push(lambda);
    return lambda;
  }

  /** Invokes a function synchronously (API Gateway, or a test standing in for one). */
  async invoke(source: string, event: unknown): Promise<InvokeOutcome> {
    const fn = this.model.fn(source);
    if (!fn) throw new Error(`no deployed function ${source}`);
    this.inFlight += 1;
    const pool = this.warm.get(fn.id) ?? [];
    this.warm.set(fn.id, pool);
    const lambda = pool.pop() ?? (await this.startSandbox(fn));
    try {
      const outcome = await lambda.invoke(event);
      this.invocations.push({ fn: fn.id, event, outcome });
      return outcome;
    } finally {
      pool.push(lambda);
      this.inFlight -= 1;
    }
  }

  /**
   * An asynchronous invocation as Lambda runs it for EventBridge and Scheduler: the function's
   * configured retries, then its on-failure destination (a function gets the destination record,
   * a queue keeps it), the delivery made with the function's role.
   */
  async invokeAsync(source: string, event: unknown): Promise<InvokeOutcome> {
    const fn = this.model.fn(source);
    if (!fn) throw new Error(`no deployed function ${source}`);
    const config = this.model
      .ofType("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
      .find((each) => each.inputs.functionName === fn.physicalName);
    const retries = Number(config?.inputs.maximumRetryAttempts ?? 2);
    this.inFlight += 1;
    try {
      let outcome = await this.invoke(source, event);
      for (let attempt = 1; attempt <= retries && "error" in outcome; attempt++)
        outcome = await this.invoke(source, event);
      const destination = (
        config?.inputs.destinationConfig as { onFailure?: { destination?: string } } | undefined
      )?.onFailure?.destination;
      if ("error" in outcome && destination) {
        const record = {
          version: "1.0",
          timestamp: new Date().toISOString(),
          requestContext: {
            requestId: outcome.requestId,
            functionArn: `${fn.arn}:$LATEST`,
            condition: "RetriesExhausted",
            approximateInvokeCount: retries + 1,
          },
          requestPayload: event,
          responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
          responsePayload: outcome.error,
        };
        const target = this.model.functions.find((each) => each.arn === destination);
        this.serviceEvidence.push({
          principal: fn.id,
          action: target ? "lambda:InvokeFunction" : "sqs:SendMessage",
          resource: destination,
        });
        if (target) await this.invokeAsync(target.source.replace(/^functions\//, ""), record);
        else this.deadLetters.push({ queue: destination, record });
      }
      return outcome;
    } finally {
      this.inFlight -= 1;
    }
  }

  /** Delivers every put event to the targets of the rules whose pattern matches, as EventBridge does. */
  routeBusEvents(): () => void {
    return this.aws.onEvent((event) => {
      for (const source of this.targetsOf(event)) void this.invokeAsync(source, toEventBridgeEvent(event));
    });
  }

  private targetsOf(event: BusEvent): string[] {
    const rules = this.model.ofType("aws:cloudwatch/eventRule:EventRule").filter((rule) => {
      const pattern = JSON.parse(String(rule.inputs.eventPattern)) as {
        source?: string[];
        "detail-type"?: string[];
      };
      return (
        event.busArn.endsWith(`/${String(rule.inputs.eventBusName)}`) &&
        (pattern.source ?? [event.Source]).includes(event.Source) &&
        (pattern["detail-type"] ?? [event.DetailType]).includes(event.DetailType)
      );
    });
    return this.model
      .ofType("aws:cloudwatch/eventTarget:EventTarget")
      .filter((target) => rules.some((rule) => rule.state.name === target.inputs.rule))
      .flatMap((target) => {
        const fn = this.model.functions.find((each) => each.arn === target.inputs.arn);
        return fn ? [fn.source.replace(/^functions\//, "")] : [];
      });
  }

  /** Runs the one-time retry schedules that are due (or all, with a far `now`), then lets them settle. */
  async fireSchedules(now = new Date(Date.now() + 86_400_000)): Promise<BusEvent[]> {
    const fired = this.aws.fireDue(now);
    await this.idle();
    return fired;
  }

  /**
   * Lets time do what it does in AWS until `done`: due retry schedules fire (all of them, as if
   * their time had come) and the five-minute sweep runs, round after round. Rejects after
   * `timeoutMs` rather than guessing how long a slower machine needs.
   */
  async settle(done: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.idle();
      if (await done()) return;
      if (Date.now() > deadline) throw new Error(`not settled within ${timeoutMs} ms`);
      await this.fireSchedules();
      await this.runJob("sweep");
      await new Promise((wake) => setTimeout(wake, 250));
    }
  }

  /** A scheduled job's run, as its CronV2 schedule starts it (an async invocation with `{}`). */
  async runJob(source: string): Promise<InvokeOutcome> {
    const outcome = await this.invokeAsync(source, {});
    await this.idle();
    return outcome;
  }

  /** Resolves once no invocation is running and no event is on its way. */
  async idle(quietMs = 300): Promise<void> {
    let quietSince = Date.now();
    for (;;) {
      if (this.inFlight > 0) quietSince = Date.now();
      else if (Date.now() - quietSince >= quietMs) return;
      await new Promise((done) => setTimeout(done, 50));
    }
  }

  /** Every AWS permission each function exercised: its SDK calls, and what Lambda did with its role. */
  evidence(): Evidence[] {
    return [...this.aws.evidence(), ...this.serviceEvidence];
  }

  /** A request to the API, as a customer's curl or the IdP sends it. */
  async request(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; text: string; json: () => unknown }> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        ...(options.body === undefined ? {} : { "content-type": "application/json" }),
        ...options.headers,
      },
      ...(options.body === undefined
        ? {}
        : { body: typeof options.body === "string" ? options.body : JSON.stringify(options.body) }),
    });
    const text = await response.text();
    return { status: response.status, text, json: () => JSON.parse(text) };
  }

  /** API Gateway's HTTP API in front of the routed functions: route keys from the stack, payload 2.0. */
  private async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      void (async () => {
        const url = new URL(req.url ?? "/", "http://localhost");
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const route = this.model.routes.find((candidate) => {
          const [method, template] = candidate.key.split(" ") as [string, string];
          const pattern = new RegExp(`^${template.replace(/\{\w+\}/g, "[^/]+")}$`);
          return method === req.method && pattern.test(url.pathname);
        });
        const fn = route && this.model.functions.find((each) => each.arn === route.functionArn);
        if (!route || !fn) {
          res.writeHead(404, { "content-type": "application/json" }).end('{"message":"Not Found"}');
          return;
        }
        const event = toApiGatewayEvent(req, url, Buffer.concat(chunks).toString("utf8"), route.key);
        const outcome = await this.invoke(fn.source.replace(/^functions\//, ""), event);
        if ("error" in outcome) {
          res
            .writeHead(500, { "content-type": "application/json" })
            .end('{"message":"Internal Server Error"}');
          return;
        }
        const result = outcome.result as {
          statusCode?: number;
          headers?: Record<string, string>;
          body?: string;
        };
        res.writeHead(result.statusCode ?? 200, result.headers).end(result.body ?? "");
      })().catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(502).end(String(error));
      });
    });
    await new Promise<void>((done) => this.server?.listen(0, "127.0.0.1", done));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await Promise.all(this.sandboxes.map((lambda) => lambda.stop()));
    this.server?.closeAllConnections();
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
    await this.aws.stop();
    await this.emulator.stop();
    await this.okta?.stop();
    await this.graph?.stop();
    await this.dynamo.send(new DeleteTableCommand({ TableName: this.tableName })).catch(() => undefined);
    this.dynamo.destroy();
  }
}
