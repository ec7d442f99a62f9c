import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { planReconcile } from "../../core/use-cases/plan-reconcile";
import { ProvisionRequestSchema, provisionOnDemand } from "../../core/use-cases/provision-on-demand";
import { logOperatorRequest } from "../../core/use-cases/provisioning-activity";
import { approveHeldRemovals, reconcileGroups } from "../../core/use-cases/reconcile";
import { RedriveRequestSchema, redriveQuarantined } from "../../core/use-cases/redrive";
import { reprovision } from "../../core/use-cases/reprovision";
import { describeRun } from "../../core/use-cases/run-progress";
import { admitAdmin } from "./http";
import { currentKiro } from "./kiro-dependencies";
import { logger } from "./powertools";
import { runDoctor } from "./preflight-probes";
import { json, type Result, readFlags, readJsonBody, retryReadFor, unlessUnavailable } from "./route-answers";
import type { ServiceDependencies } from "./service-dependencies";

type Route = (
  deps: ServiceDependencies,
  event: APIGatewayProxyEventV2,
  match: RegExpExecArray,
) => Promise<Result>;

/**
 * A reconcile started while the sync is paused would only queue work behind the pause, and one
 * started beside a running run doubles every read and write (20 requests made 20 runs and 460 SCIM
 * calls): both are refused with what the operator needs to know instead.
 */
async function reconcileRefusal(deps: ServiceDependencies): Promise<Result | undefined> {
  return (await pauseRefusal(deps, "reconcile")) ?? runInProgressRefusal(deps);
}

/**
 * One reconcile or re-provisioning run at a time: a second would read and write everything again
 * beside the first. A re-provisioning is not refused for a pause, since a new Kiro token is
 * usually what it follows.
 */
async function runInProgressRefusal(deps: ServiceDependencies): Promise<Result | undefined> {
  const running = (await deps.ledger.listRuns(20)).find(
    (run) => run.step !== undefined && run.finishedAt === undefined && run.error === undefined,
  );
  if (running)
    return json(409, {
      message: `${running.kind} run ${running.runId} is ${describeRun(running)}; one run at a time`,
      code: "RUN.IN_PROGRESS",
      runId: running.runId,
    });
  return undefined;
}

/** Work that writes to Kiro waits for the pause to lift: the operator learns why and what to do. */
async function pauseRefusal(deps: ServiceDependencies, then = "try again"): Promise<Result | undefined> {
  const pause = await deps.ledger.getSyncPause();
  if (!pause) return undefined;
  return json(409, {
    message: `the sync is paused: ${pause.reason} (${pause.errorCode}); it tries again at ${pause.probeAt}. Fix the cause (see /status), then ${then}`,
    code: "SYNC.PAUSED",
  });
}

const answeringUnavailable =
  (route: Route): Route =>
  (deps, event, match) =>
    unlessUnavailable(deps.config.retryPolicy, () => route(deps, event, match));

/**
 * The operator routes, by path. All answer 202 once the work is started, except a dry run's plan,
 * the doctor's report (200; a failing check is a finding, not a server error) and a provisioning
 * on demand (200 with its steps, once done). What a route must read from Kiro or an IdP before
 * answering goes through the inline retry.
 */
const routes: [RegExp, Route][] = [
  [/^\/admin\/doctor$/, async (deps) => json(200, await runDoctor(deps))],
  [
    /^\/admin\/approve\/([\w-]{1,64})$/,
    async (deps, _event, match) => {
      const approval = await approveHeldRemovals(deps, match[1]!);
      if (approval.outcome === "approved") return json(202, { removalsApproved: approval.removalsApproved });
      return approval.outcome === "unknown-run"
        ? json(404, { message: `no run ${match[1]}` })
        : json(409, { message: `run ${match[1]} holds no removals: already approved, or it held none` });
    },
  ],
  [
    /^\/admin\/reprovision$/,
    async (deps) => {
      const refusal = await runInProgressRefusal(deps);
      if (refusal) return refusal;
      const endpoint = await deps.kiroCredentials({ fresh: true });
      const target = await deps.ledger.getKiroTarget();
      const sources = ["okta", "entra"] as const;
      return json(202, await reprovision({ ...deps, sources }, "requested by an operator", endpoint, target));
    },
  ],
  [
    /^\/admin\/redrive$/,
    async (deps, event) => {
      const request = readJsonBody(event, RedriveRequestSchema);
      if (!request.ok) return request.answer;
      return json(202, await redriveQuarantined(deps, request.body.items));
    },
  ],
  [
    /^\/admin\/provision$/,
    async (deps, event) => {
      const request = readJsonBody(event, ProvisionRequestSchema);
      if (!request.ok) return request.answer;
      const refusal = await pauseRefusal(deps);
      if (refusal) return refusal;
      const provisioned = await provisionOnDemand(request.body, {
        ...deps,
        scim: (await currentKiro(deps)).scim,
        directories: await deps.configuredDirectories(),
        removalPolicy: deps.config.removalPolicy,
        removalHoldShare: deps.config.removalHoldShare,
        retryRead: retryReadFor(deps.config.retryPolicy),
      });
      if (provisioned.outcome === "done") return json(200, provisioned.answer);
      if (provisioned.outcome === "unknown") return json(404, { message: provisioned.message });
      if (provisioned.outcome === "ambiguous")
        return json(409, { message: provisioned.message, candidates: provisioned.candidates });
      const { outcome: _busy, ...busy } = provisioned;
      return json(409, { code: "GROUP.BUSY", ...busy });
    },
  ],
  [
    /^\/admin\/reconcile$/,
    async (deps, event) => {
      const query = readFlags(event, ["dryRun", "deep"]);
      if (!query.ok) return query.answer;
      const { flags } = query;
      const directories = await deps.configuredDirectories();
      if (flags.dryRun) {
        const { removalPolicy, removalHoldShare } = deps.config;
        const plan = () => planReconcile({ ...deps, directories, removalPolicy, removalHoldShare });
        return json(200, await retryReadFor(deps.config.retryPolicy)(plan));
      }
      const refusal = await reconcileRefusal(deps);
      if (refusal) return refusal;
      const kiro = await currentKiro(deps);
      const deep = flags.deep;
      const retryRead = retryReadFor(deps.config.retryPolicy);
      return json(202, await reconcileGroups({ ...deps, directories, kiro, retryRead }, { deep }));
    },
  ],
];

export const adminRoutes: [RegExp, Route][] = routes.map(([path, route]) => [
  path,
  answeringUnavailable(route),
]);

/** The largest request body kept in the log entry; past it only its size is. */
const loggedBodyBytes = 4096;

/** The query and the JSON body of a request, as the log entry's parameters. */
function parametersOf(event: APIGatewayProxyEventV2): Record<string, unknown> {
  const parameters: Record<string, unknown> = { ...(event.queryStringParameters ?? {}) };
  const body = event.body
    ? event.isBase64Encoded
      ? Buffer.from(event.body, "base64").toString()
      : event.body
    : undefined;
  if (body === undefined) return parameters;
  if (Buffer.byteLength(body) > loggedBodyBytes) return { ...parameters, bodyBytes: Buffer.byteLength(body) };
  try {
    return { ...parameters, body: JSON.parse(body) };
  } catch {
    return { ...parameters, bodyBytes: Buffer.byteLength(body) };
  }
}

function answerBody(answer: Result): unknown {
  try {
    return JSON.parse(answer.body ?? "{}");
  } catch {
    return {};
  }
}

async function route(deps: ServiceDependencies, event: APIGatewayProxyEventV2): Promise<Result> {
  for (const [pattern, serve] of adminRoutes) {
    const match = pattern.exec(event.requestContext.http.path);
    if (match) return serve(deps, event, match);
  }
  return json(404, { message: "not found" });
}

/**
 * One operator request: the admin token checked (the status token only reads), the route run, and
 * the request written to the provisioning log with who (role, token fingerprint) and what (route,
 * parameters, status, the run it started). A log that cannot be written does not undo the action;
 * it is an error in the function's log instead.
 */
export async function answerAdminRequest(
  deps: ServiceDependencies,
  event: APIGatewayProxyEventV2,
): Promise<Result> {
  const admission = await admitAdmin(event, deps);
  if ("refusal" in admission) return admission.refusal;
  const request = `${event.requestContext.http.method} ${event.requestContext.http.path}`;
  const startedAt = new Date();
  const record = async (status: number, answer: unknown) => {
    const entry = await logOperatorRequest(deps.log, {
      actor: admission.caller,
      request,
      parameters: parametersOf(event),
      status,
      answer,
      startedAt,
      finishedAt: new Date(),
    }).catch((error: unknown) => {
      logger.error("admin request not written to the provisioning log", {
        request,
        status,
        error: error as Error,
      });
      return undefined;
    });
    logger.info("admin request", { ...(entry ?? { request, status, actor: admission.caller }) });
  };
  let answer: Result;
  try {
    answer = await route(deps, event);
  } catch (error) {
    await record(500, { message: "internal error" });
    throw error;
  }
  await record(answer.statusCode ?? 200, answerBody(answer));
  return answer;
}
