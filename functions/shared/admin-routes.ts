import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { SyncError } from "../../core/domain/errors";
import { planReconcile } from "../../core/use-cases/plan-reconcile";
import { inlineRetry, retryAfterSeconds } from "../../core/use-cases/read-with-retries";
import { approveHeldRemovals, reconcileGroups } from "../../core/use-cases/reconcile";
import { RedriveRequestSchema, redriveQuarantined } from "../../core/use-cases/redrive";
import { reprovision } from "../../core/use-cases/reprovision";
import { describeRun } from "../../core/use-cases/run-progress";
import { currentKiro } from "./kiro-dependencies";
import { logger } from "./powertools";
import { runDoctor } from "./preflight-probes";
import type { ServiceDependencies } from "./service-dependencies";

type Result = APIGatewayProxyStructuredResultV2;
type Route = (
  deps: ServiceDependencies,
  event: APIGatewayProxyEventV2,
  match: RegExpExecArray,
) => Promise<Result>;

const json = (statusCode: number, body: unknown): Result => ({
  statusCode,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body ?? {}),
});

/** A few quick attempts, answered well inside the 29 s the Admin function and API Gateway give a request. */
const inlineAttempts = 3;
const inlineBudgetMs = 20_000;

const retryReadFor = (deps: ServiceDependencies) =>
  inlineRetry({ policy: deps.config.retryPolicy, maxAttempts: inlineAttempts, budgetMs: inlineBudgetMs });

/**
 * Kiro or an IdP failing under a request is the dependency's fault, not ours: the operator gets 503,
 * the stable code and, while trying again can help, a Retry-After; a 500 would read as a bug here.
 */
function unavailable(deps: ServiceDependencies, error: SyncError): Result {
  logger.warn("admin request met a failing dependency", { code: error.code, error });
  const retryAfter = retryAfterSeconds(deps.config.retryPolicy, inlineAttempts, error);
  return {
    statusCode: 503,
    headers: {
      "content-type": "application/json",
      ...(error.retryable ? { "retry-after": String(retryAfter) } : {}),
    },
    body: JSON.stringify({
      message: error.retryable
        ? "a dependency is unavailable; try again later"
        : "a dependency refused the call",
      code: error.code,
      retryable: error.retryable,
      cause: error.message,
    }),
  };
}

/**
 * The route's query flags, each `true` or `false` and nothing else, and no other parameter: a
 * `?dryRun=TRUE` or a misspelt `?dryrun=true` once started a real reconcile that writes to Kiro.
 */
function readFlags<Name extends string>(
  event: { queryStringParameters?: Record<string, string | undefined> | null },
  names: readonly Name[],
): { ok: true; flags: Record<Name, boolean> } | { ok: false; answer: Result } {
  const query = event.queryStringParameters ?? {};
  const unknown = Object.keys(query).filter((key) => !(names as readonly string[]).includes(key));
  if (unknown.length > 0)
    return {
      ok: false,
      answer: json(400, {
        message: `unknown query parameter ${unknown[0]}; this route takes ${names.join(", ")}`,
      }),
    };
  const flags = {} as Record<Name, boolean>;
  for (const name of names) {
    const value = query[name];
    if (value !== undefined && value !== "true" && value !== "false")
      return { ok: false, answer: json(400, { message: `${name} must be true or false` }) };
    flags[name] = value === "true";
  }
  return { ok: true, flags };
}

/**
 * A reconcile started while the sync is paused would only queue work behind the pause, and one
 * started beside a running run doubles every read and write (20 requests made 20 runs and 460 SCIM
 * calls): both are refused with what the operator needs to know instead.
 */
async function reconcileRefusal(deps: ServiceDependencies): Promise<Result | undefined> {
  const pause = await deps.ledger.getSyncPause();
  if (pause)
    return json(409, {
      message: `the sync is paused: ${pause.reason} (${pause.errorCode}); it tries again at ${pause.probeAt}. Fix the cause (see /status), then reconcile`,
      code: "SYNC.PAUSED",
    });
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

const answeringUnavailable =
  (route: Route): Route =>
  async (deps, event, match) => {
    try {
      return await route(deps, event, match);
    } catch (error) {
      if (error instanceof SyncError) return unavailable(deps, error);
      throw error;
    }
  };

/**
 * The operator routes, by path. All answer 202 once the work is started, except a dry run's plan
 * and the doctor's report (200; a failing check is a finding, not a server error). What a route
 * must read from Kiro or an IdP before answering goes through the inline retry.
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
      const endpoint = await deps.kiroCredentials({ fresh: true });
      const target = await deps.ledger.getKiroTarget();
      const sources = ["okta", "entra"] as const;
      return json(202, await reprovision({ ...deps, sources }, "requested by an operator", endpoint, target));
    },
  ],
  [
    /^\/admin\/redrive$/,
    async (deps, event) => {
      let body: unknown = {};
      try {
        body = event.body
          ? JSON.parse(event.isBase64Encoded ? Buffer.from(event.body, "base64").toString() : event.body)
          : {};
      } catch {
        return json(400, { message: "the body is not JSON" });
      }
      const request = RedriveRequestSchema.safeParse(body);
      if (!request.success) return json(400, { message: request.error.issues[0]?.message ?? "invalid body" });
      return json(202, await redriveQuarantined(deps, request.data.items));
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
        return json(200, await retryReadFor(deps)(plan));
      }
      const refusal = await reconcileRefusal(deps);
      if (refusal) return refusal;
      const kiro = await currentKiro(deps);
      const deep = flags.deep;
      const retryRead = retryReadFor(deps);
      return json(202, await reconcileGroups({ ...deps, directories, kiro, retryRead }, { deep }));
    },
  ],
];

export const adminRoutes: [RegExp, Route][] = routes.map(([path, route]) => [
  path,
  answeringUnavailable(route),
]);
