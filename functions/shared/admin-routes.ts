import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { planReconcile } from "../../core/use-cases/plan-reconcile";
import { approveHeldRemovals, reconcileGroups } from "../../core/use-cases/reconcile";
import { RedriveRequestSchema, redriveQuarantined } from "../../core/use-cases/redrive";
import { reprovision } from "../../core/use-cases/reprovision";
import { currentKiro } from "./kiro-dependencies";
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

/**
 * The operator routes, by path. All answer 202 once the work is started, except a dry run's plan
 * and the doctor's report (200; a failing check is a finding, not a server error).
 */
export const adminRoutes: [RegExp, Route][] = [
  [/^\/admin\/doctor$/, async (deps) => json(200, await runDoctor(deps))],
  [
    /^\/admin\/approve\/([\w-]{1,64})$/,
    async (deps, _event, match) =>
      json(202, { removalsApproved: await approveHeldRemovals(deps, match[1]!) }),
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
      const directories = await deps.configuredDirectories();
      if (event.queryStringParameters?.dryRun === "true") {
        const { removalPolicy, removalHoldShare } = deps.config;
        return json(200, await planReconcile({ ...deps, directories, removalPolicy, removalHoldShare }));
      }
      const kiro = await currentKiro(deps);
      const deep = event.queryStringParameters?.deep === "true";
      return json(202, await reconcileGroups({ ...deps, directories, kiro }, { deep }));
    },
  ],
];
