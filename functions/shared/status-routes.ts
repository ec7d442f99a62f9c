import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { ServiceConfig } from "../../core/config";
import type { GroupScope } from "../../core/domain/group-scope";
import { IdentitySourceSchema } from "../../core/domain/identity-source";
import type { Ledger } from "../../core/ports/ledger";
import type { ProvisioningLog } from "../../core/ports/provisioning-log";
import { buildStatusReport, type StatusReport } from "../../core/use-cases/build-status-report";
import { type Explained, explainGroup, explainUser } from "../../core/use-cases/explain-object";
import { readProvisioningLog } from "../../core/use-cases/read-provisioning-log";
import type { DirectoryDependencies } from "./directory-dependencies";
import { currentKiro, type KiroDependencies } from "./kiro-dependencies";
import { json, type Result, readFlags, retryReadFor, unlessUnavailable } from "./route-answers";
import type { SecretDependencies } from "./secret-dependencies";

export type StatusDependencies = {
  ledger: Ledger;
  log: ProvisioningLog;
  scope: GroupScope;
  config: Pick<ServiceConfig, "pendingAgeAlarmSeconds" | "logRetentionDays" | "retryPolicy">;
} & Pick<SecretDependencies, "statusToken"> &
  KiroDependencies &
  Pick<DirectoryDependencies, "directoryFor">;

/**
 * An uptime check or a load balancer may ask every few seconds; the verdict costs a status report's
 * queries, so a warm function answers from one at most this old.
 */
const healthCacheMs = 15_000;

/**
 * The reading routes: `/status` (the report), `/health` (the verdict only: 200 while it syncs, 503
 * when failing), `/log` (the provisioning log) and `/users/{id|login|email}`, `/groups/{id|name}`
 * (one object explained; `?live=true` also reads Kiro and the IdP now). The caller checks the token
 * for all but `/health`.
 */
export function statusRoutes() {
  let cached: { at: number; report: StatusReport } | undefined;
  const report = async (deps: StatusDependencies) => {
    const built = await buildStatusReport(
      deps.ledger,
      ["okta", "entra"],
      new Date(),
      undefined,
      deps.config.pendingAgeAlarmSeconds,
    );
    cached = { at: Date.now(), report: built };
    return built;
  };
  return {
    health: async (deps: StatusDependencies): Promise<Result> => {
      const { verdict } = (
        cached && Date.now() - cached.at <= healthCacheMs ? cached.report : await report(deps)
      ).health;
      return json(verdict === "failing" ? 503 : 200, { verdict });
    },
    answer: async (deps: StatusDependencies, event: APIGatewayProxyEventV2): Promise<Result> => {
      if (event.rawPath === "/log") {
        const answer = await readProvisioningLog(
          event.queryStringParameters ?? {},
          deps,
          deps.config.logRetentionDays,
        );
        return {
          statusCode: answer.status,
          headers: { "content-type": answer.contentType, "cache-control": "no-store" },
          body: answer.body,
        };
      }
      const object = /^\/(users|groups)\/([^/]+)$/.exec(event.rawPath);
      if (object) return explainRoute(deps, event, object[1] === "users" ? "user" : "group", object[2]!);
      return json(200, await report(deps));
    },
  };
}

/**
 * One object explained: 200, 404 for an identifier that names nothing, 409 with the candidates
 * when it names several, 503 when a live read meets a failing Kiro or IdP.
 */
async function explainRoute(
  deps: StatusDependencies,
  event: APIGatewayProxyEventV2,
  kind: "user" | "group",
  encoded: string,
): Promise<Result> {
  const query = readFlags(event, ["live"], ["source"]);
  if (!query.ok) return query.answer;
  const source =
    query.values.source === undefined ? undefined : IdentitySourceSchema.safeParse(query.values.source);
  if (source && !source.success) return json(400, { message: "source is okta or entra" });
  let identifier: string;
  try {
    identifier = decodeURIComponent(encoded);
  } catch {
    return json(400, { message: `the ${kind} in the path is not valid URL encoding` });
  }
  const policy = deps.config.retryPolicy;
  return unlessUnavailable(policy, async () => {
    const live = query.flags.live
      ? {
          scim: (await currentKiro(deps)).scim,
          directoryFor: deps.directoryFor,
          retryRead: retryReadFor(policy),
        }
      : undefined;
    const explainDeps = { ...deps, logRetentionDays: deps.config.logRetentionDays };
    const answer: Explained<unknown> =
      kind === "user"
        ? await explainUser(identifier, source?.data, explainDeps, live)
        : await explainGroup(identifier, source?.data, explainDeps, live);
    if (answer.outcome === "found") return json(200, answer.explanation);
    if (answer.outcome === "unknown") return json(404, { message: answer.message });
    return json(409, { message: answer.message, candidates: answer.candidates });
  });
}
