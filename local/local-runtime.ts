import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, BlockList, isIP } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { createLedgerTable } from "../core/adapters/dynamo/create-ledger-table";
import { loadConfig, type ServiceConfig } from "../core/config";
import { asError } from "../core/domain/errors";
import type { IdentitySource } from "../core/domain/identity-source";
import type { SourceHealth } from "../core/ports/ledger-records";
import { recordAsyncFailure } from "../core/use-cases/deliver-with-retries";
import type { PreflightReport } from "../core/use-cases/run-preflight";
import { resendWaitingDeliveries, type SweepReport, sweepStranded } from "../core/use-cases/sweep-stranded";
import { createAdminHandler } from "../functions/admin";
import { createEntraLifecycleHandler } from "../functions/entra-lifecycle";
import { createEntraNotifyHandler } from "../functions/entra-notify";
import { createEntraSubscriptionsHandler } from "../functions/entra-subscriptions";
import { createOktaEventsHandler } from "../functions/okta-events";
import { createOktaIngestHandler } from "../functions/okta-ingest";
import { createRunChunkHandler } from "../functions/run-chunk";
import { type HttpFunction, type HttpRoute, httpRoutes } from "../functions/shared/http-routes";
import { checkDependencies } from "../functions/shared/preflight-probes";
import {
  createServiceDependencies,
  type ServiceDependencies,
} from "../functions/shared/service-dependencies";
import { createStatusHandler } from "../functions/status";
import { createSweepHandler } from "../functions/sweep";
import { createSyncGroupHandler } from "../functions/sync-group";
import { type DynamoDbLocal, localAwsConfig, startDynamoDbLocal } from "./dynamodb-local";
import { GraphTenantServer } from "./graph/graph-tenant-server";
import { seedSampleTenant } from "./graph/sample-tenant";
import { localContext, toApiGatewayEvent } from "./lambda-invoke";
import { LocalBus } from "./local-bus";
import { LocalSecretStore } from "./local-secret-store";
import { OktaOrgServer } from "./okta-org/okta-org-server";
import { seedSampleOrg } from "./okta-org/sample-org";
import { KiroScimEmulator } from "./scim-emulator/kiro-scim-emulator";
import { ensureLocalTls, trustsLocalTls } from "./tls/local-tls";

export interface LocalRuntime {
  url: string;
  /**
   * The settings it started with. Its Kiro endpoint and status and admin tokens are the ones
   * `secrets` was seeded with: the service reads them from `secrets`, which is where they are rotated.
   */
  config: ServiceConfig;
  secrets: LocalSecretStore;
  dependencies: ServiceDependencies;
  dynamo: DynamoDbLocal;
  /** Absent when KIRO_SCIM_URL/KIRO_SCIM_TOKEN point at a real Kiro profile. */
  emulator: KiroScimEmulator | undefined;
  /** Absent when OKTA_ORG_URL points at a real Okta org. */
  oktaOrg: OktaOrgServer | undefined;
  sample: ReturnType<typeof seedSampleOrg> | undefined;
  /** The local Graph tenant; absent with real Entra settings, or when the process does not trust the local CA. */
  graphTenant: GraphTenantServer | undefined;
  /**
   * The scheduled Entra job (subscriptions, then one delta round), run on demand; it also runs at
   * start and every ENTRA_DELTA_INTERVAL_SECONDS while an Entra source is configured.
   */
  runEntraMaintenance(): Promise<unknown>;
  /** The scheduled sweep (every minute locally), run on demand. */
  runSweep(): Promise<SweepReport & { deliveries: number }>;
  /** Each configured source as last read (the Entra job, the dependency check): `/status` names a degraded one. */
  sourceHealth(): Promise<Partial<Record<IdentitySource, SourceHealth>>>;
  /**
   * The start's check of Kiro, each configured IdP and the SYNC_GROUPS entries (the doctor's probes,
   * 5 s each at most): `npm start` prints a line for each. A failing one is checked again every
   * minute until it passes; the ledger keeps the latest, so `/status` health says it.
   */
  dependencyChecks: PreflightReport;
  /** That check again, on demand (as the minute's timer does while one fails); the ledger keeps its findings. */
  runDependencyCheck(): Promise<PreflightReport>;
  bus: LocalBus;
  stop(): Promise<void>;
}

type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

const maxRequestBytes = 10 * 1024 * 1024;

/**
 * The whole service on one machine: DynamoDB Local with the ledger table, the Kiro SCIM emulator
 * and the sample Okta org (unless real ones are configured), the in-process bus, and an HTTP server
 * whose routes call the very handlers deployed to Lambda with API Gateway-shaped events.
 */
export async function startLocalRuntime(
  env: Record<string, string | undefined> = process.env,
  options: {
    /** Told the dependency check's outcome as soon as it is in, before the rest of the start. */
    onDependenciesChecked?: (report: PreflightReport) => void;
  } = {},
): Promise<LocalRuntime> {
  const base = loadConfig(env);
  const dynamo = base.dynamoDbEndpoint ? externalDynamo(base.dynamoDbEndpoint) : await startDynamoDbLocal();
  const started: { stop(): Promise<void> }[] = [dynamo];
  try {
    await createLedgerTable(dynamo.client, base.ledgerTableName);
    const emulator = base.kiroScim ? undefined : await KiroScimEmulator.start();
    if (emulator) started.push(emulator);
    /* The sample directories exist for the demo and the tests: their users may only ever reach the
       emulator. With a real Kiro profile configured, a source that is not configured is off. */
    const samplesAllowed = emulator !== undefined;
    const oktaOrg = !base.okta.orgUrl && samplesAllowed ? await OktaOrgServer.start() : undefined;
    if (oktaOrg) started.push(oktaOrg);
    const sample = oktaOrg ? seedSampleOrg(oktaOrg) : undefined;
    const graphTenant =
      samplesAllowed && !base.entra.tenantId && !base.entra.secretId && trustsLocalTls()
        ? await GraphTenantServer.start(await ensureLocalTls())
        : undefined;
    if (graphTenant) {
      started.push(graphTenant);
      seedSampleTenant(graphTenant);
    }
    const config: ServiceConfig = {
      ...base,
      dynamoDbEndpoint: dynamo.endpoint,
      kiroScim: base.kiroScim ?? { url: emulator!.profile.scimUrl, token: emulator!.profile.token },
      okta: {
        ...base.okta,
        orgUrl: base.okta.orgUrl ?? oktaOrg?.orgUrl,
        apiToken: base.okta.orgUrl ? base.okta.apiToken : oktaOrg?.apiToken,
        hookSecret: base.okta.hookSecret ?? `local-${randomBytes(18).toString("base64url")}`,
      },
      statusToken: base.statusToken ?? generatedToken(),
      adminToken: base.adminToken ?? generatedToken(),
      entra: graphTenant
        ? {
            ...base.entra,
            tenantId: graphTenant.tenantId,
            clientId: graphTenant.clientId,
            clientSecret: graphTenant.clientSecret,
            clientState: `local-${randomBytes(24).toString("base64url")}`,
            authorityHost: graphTenant.url,
            graphUrl: `${graphTenant.url}/`,
          }
        : base.entra,
    };
    const bus = new LocalBus(async (event, error) => {
      const reason = error instanceof Error ? error.message : String(error);
      console.error("event handler failed after the async retries", { type: event.type, reason });
      await recordAsyncFailure(event, reason, dependencies.ledger);
    });
    const secrets = await LocalSecretStore.open(config.localSecretsFile);
    started.push(secrets);
    const dependencies = createServiceDependencies(await secrets.seed(config), {
      bus,
      retries: bus,
      secrets,
      dynamo: dynamo.client,
    });
    /* The parser middleware types the handler by its parsed input; the bus hands it the raw
       EventBridge envelope, exactly as Lambda does. */
    const syncGroup = createSyncGroupHandler(() => dependencies) as unknown as (
      event: unknown,
      context: Context,
    ) => Promise<unknown>;
    bus.subscribe("GroupChanged", (event) => syncGroup(event, localContext("sync-group")));
    const runChunk = createRunChunkHandler(() => dependencies) as unknown as (
      event: unknown,
      context: Context,
    ) => Promise<unknown>;
    bus.subscribe("RunChunk", (event) => runChunk(event, localContext("run-chunk")));
    const oktaIngest = createOktaIngestHandler(() => dependencies) as unknown as (
      event: unknown,
      context: Context,
    ) => Promise<unknown>;
    /* Here every function shares one DynamoDB Local on the same cores: one ingest at a time keeps
       the hook's put from queueing behind ten 100-item transactions (hook p99 under load 0.6–1.7 s
       with ten, 0.41–0.46 s with one). In AWS the ingest scales out, and DynamoDB with it. */
    bus.subscribe("DeliveryReceived", (event) => oktaIngest(event, localContext("okta-ingest")), 1);
    const handlers: Record<HttpFunction, HttpHandler> = {
      "okta-events": createOktaEventsHandler(() => dependencies),
      "entra-notify": createEntraNotifyHandler(() => dependencies),
      "entra-lifecycle": createEntraLifecycleHandler(() => dependencies),
      status: createStatusHandler(() => dependencies),
      admin: createAdminHandler(() => dependencies),
    };
    const routes = Object.fromEntries(
      (Object.entries(httpRoutes) as [HttpRoute, HttpFunction][]).map(([key, name]) => [
        key.replace(/\{\w+\}/g, "*"),
        handlers[name],
      ]),
    );
    const server = await listen(config.port, routes);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (graphTenant) config.entra.notificationBaseUrl ??= url;
    /* The sample tenant delivers to the local URL; real Graph only to a public HTTPS one (a tunnel). */
    const subscriptions = graphTenant !== undefined || isPublicHttpsUrl(config.entra.notificationBaseUrl);
    const entraJob = createEntraSubscriptionsHandler(() => dependencies, { subscriptions }) as unknown as (
      event: unknown,
      context: Context,
    ) => Promise<unknown>;
    const runEntraMaintenance = async () => {
      const result = await entraJob({}, localContext("entra-subscriptions"));
      const dropped = (result as { deltaLinksDropped?: DroppedLink[] }).deltaLinksDropped ?? [];
      for (const { link, reason } of dropped)
        console.log(`Entra: dropped the stored ${link} delta link (${reason}); a full delta round followed`);
      await bus.idle();
      return result;
    };
    const every = describeInterval(config.entra.deltaIntervalMs);
    let entraRound: Promise<void> | undefined;
    /* One round at a time: a tick that finds the previous round still running skips. */
    const scheduledEntraRound = () => {
      entraRound ??= runEntraMaintenance()
        .then(
          () => undefined,
          (error: unknown) =>
            console.error(
              `Entra maintenance round failed (the next one runs in ${every}): ${asError(error).message}`,
            ),
        )
        .finally(() => {
          entraRound = undefined;
        });
      return entraRound;
    };
    const checkAgain = () =>
      checkDependencies(dependencies, { secrets, timeoutMs: dependencyCheckTimeoutMs });
    const dependencyChecks = await checkAgain();
    options.onDependenciesChecked?.(dependencyChecks);
    let failingChecks = !dependencyChecks.ok;
    const kiroAnswered = dependencyChecks.checks.some(
      (check) => check.id === "kiro-scim" && check.result === "pass",
    );
    const entraConfigured = Boolean(graphTenant || config.entra.tenantId || config.entra.secretId);
    let entraTimer: NodeJS.Timeout | undefined;
    if (entraConfigured) {
      if (!subscriptions) {
        const base = config.entra.notificationBaseUrl;
        const why = base ? `${base} is not a public HTTPS URL Graph can reach` : "is not set";
        console.log(
          `Entra notifications are off (ENTRA_NOTIFICATION_BASE_URL ${why}): no Graph subscriptions; a delta round every ${every} carries the sync`,
        );
      }
      /* Its groups would only wait out retries against a Kiro that does not answer: the start does
         not wait for them (the lines say why), the round goes on behind it. */
      if (kiroAnswered) await scheduledEntraRound();
      else void scheduledEntraRound();
      entraTimer = setInterval(() => void scheduledEntraRound(), config.entra.deltaIntervalMs);
      entraTimer.unref();
    }
    const sweepJob = createSweepHandler(() => dependencies) as unknown as (
      event: unknown,
      context: Context,
    ) => Promise<SweepReport & { deliveries: number }>;
    const runSweep = () => sweepJob({}, localContext("sweep"));
    const sweepTimer = setInterval(() => {
      void runSweep().catch(() => undefined);
      if (failingChecks)
        void checkAgain().then(
          (report) => {
            failingChecks = !report.ok;
          },
          () => undefined,
        );
    }, 60_000);
    sweepTimer.unref();
    /*
     * A previous process's scheduled retries and in-flight deliveries lived only in its memory; the
     * ledger still says what waits. Everything pending, every due retry and every unfinished run
     * goes back on the bus now (a group a dead worker still leases is re-checked when it ends).
     */
    await sweepStranded(dependencies, { olderThanMs: 0 });
    await resendWaitingDeliveries(dependencies, { olderThanMs: 0 });
    return {
      url,
      config,
      secrets,
      dependencies,
      dynamo,
      emulator,
      oktaOrg,
      sample,
      graphTenant,
      runEntraMaintenance,
      runSweep,
      sourceHealth: () => dependencies.ledger.getSourceHealth(),
      dependencyChecks,
      runDependencyCheck: async () => {
        const report = await checkAgain();
        failingChecks = !report.ok;
        return report;
      },
      bus,
      stop: async () => {
        clearInterval(sweepTimer);
        clearInterval(entraTimer);
        /* The bus first: a round still pushing into a Kiro that never answers would otherwise hold
           the stop through every retry. The round's own reads end on their own. */
        bus.stop();
        await entraRound;
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        for (const service of started.reverse()) await service.stop();
      },
    };
  } catch (error) {
    for (const service of started.reverse()) await service.stop();
    throw error;
  }
}

type DroppedLink = { link: string; reason: string };

/** An unreachable host must not hold the start: each dependency's check answers within this. */
const dependencyCheckTimeoutMs = 5_000;

/** A status or admin token for a local run: 24 random bytes, 38 characters with the prefix. */
const generatedToken = () => `local-${randomBytes(24).toString("base64url")}`;

const privateAddresses = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
] as const)
  privateAddresses.addSubnet(network, prefix, "ipv4");
for (const [network, prefix] of [
  ["::", 127],
  ["fc00::", 7],
  ["fe80::", 10],
] as const)
  privateAddresses.addSubnet(network, prefix, "ipv6");

/**
 * Graph validates a subscription's URLs by calling them and delivers only over HTTPS, so a base URL
 * that is plain HTTP, loopback or on a private network would only fail every subscription attempt.
 */
function isPublicHttpsUrl(value: string | undefined): boolean {
  if (!value) return false;
  const { protocol, hostname } = new URL(value);
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (protocol !== "https:" || host === "localhost" || host.endsWith(".localhost")) return false;
  const family = isIP(host);
  return family === 0 || !privateAddresses.check(host, family === 6 ? "ipv6" : "ipv4");
}

/** The printed lines name the interval as people set it: the default reads "30 minutes", a test's "1 s". */
function describeInterval(ms: number): string {
  const seconds = ms / 1000;
  if (seconds % 60 !== 0) return `${seconds} s`;
  return seconds === 60 ? "1 minute" : `${seconds / 60} minutes`;
}

/** An already running DynamoDB (Local) named by DYNAMODB_ENDPOINT: used, never stopped. */
function externalDynamo(endpoint: string): DynamoDbLocal {
  const client = new DynamoDBClient({ ...localAwsConfig, endpoint });
  return {
    endpoint,
    port: Number(new URL(endpoint).port),
    pid: undefined,
    client,
    stop: async () => client.destroy(),
  };
}

async function listen(port: number, routes: Record<string, HttpHandler>): Promise<Server> {
  const server = createServer((req, res) => {
    route(req, res, routes).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: `local runtime error: ${String(error)}` }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return server;
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  routes: Record<string, HttpHandler>,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const exact = `${req.method} ${url.pathname}`;
  const routeKey = routes[exact] ? exact : `${req.method} ${url.pathname.replace(/\/[^/]+$/, "/*")}`;
  const handler = routes[routeKey];
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxRequestBytes) {
      res
        .writeHead(413, { "content-type": "application/json" })
        .end('{"message":"Request Entity Too Large"}');
      return;
    }
    chunks.push(chunk as Buffer);
  }
  if (!handler) {
    res.writeHead(404, { "content-type": "application/json" }).end('{"message":"Not Found"}');
    return;
  }
  const event = toApiGatewayEvent(req, url, Buffer.concat(chunks).toString("utf8"), routeKey);
  const result = await handler(event, localContext(routeKey));
  res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string> | undefined);
  res.end(result.body ?? "");
}
