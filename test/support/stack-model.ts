import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { EvaluatedStack, StackResource } from "../../local/tooling/sst-eval";

const root = resolve(import.meta.dirname, "../..");

/** Every deploy-time variable the stacks read; a stage sets only the ones it is given. */
const deploySettings =
  /^(OKTA_ORG_URL|OKTA_APP_ID|ENTRA_ENABLED|SYNC_GROUPS|REMOVAL_POLICY|ALERT_EMAIL|SYNC_WORKER_CONCURRENCY|ALARM_.*|REMOVAL_HOLD_SHARE|MAX_HOOK_BODY_BYTES|SCIM_REQUEST_TIMEOUT_MS|RETRY_.*|RUN_CHUNK_SIZE|SWEEP_GRACE_SECONDS|PAUSE_PROBE_SECONDS)$/;

/**
 * Evaluates sst.config.ts for one stage under Pulumi's mocks, in a child process of its own (the
 * Pulumi runtime is global), with exactly the deploy-time settings given, and bundles every
 * function it defines the way SST does.
 */
export async function evaluateStage(stage: string, settings: Record<string, string>): Promise<StackModel> {
  const artifacts = join(root, ".sst/test-artifacts", stage);
  mkdirSync(artifacts, { recursive: true });
  const result = join(artifacts, "stack.json");
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined && !deploySettings.test(name)) env[name] = value;
  const child = spawn(
    join(root, "node_modules/.bin/tsx"),
    ["local/tooling/sst-eval.ts", stage, artifacts, result],
    { cwd: root, env: { ...env, ...settings }, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const code = await new Promise<number | null>((done) => child.once("close", done));
  if (code !== 0) throw new Error(`evaluating stage ${stage} failed (${code}):\n${stderr}`);
  return new StackModel(JSON.parse(readFileSync(result, "utf8")) as EvaluatedStack);
}

export interface PolicyStatement {
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Principal?: Record<string, string | string[]>;
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface DeployedFunction {
  /** SST's function id (`Admin`, `SyncBusSubscriberSyncGroupFunction`, …). */
  id: string;
  /** The source file of its handler, e.g. `functions/admin`. */
  source: string;
  physicalName: string;
  arn: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  runtime: string;
  reservedConcurrency: number | undefined;
  role: { arn: string; trust: PolicyStatement[]; statements: PolicyStatement[] };
  bundle: { dir: string; handler: string; bytes: number; errors: string[] };
}

const list = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** A read-only view of an evaluated stage: its functions with roles and bundles, routes and alarms. */
export class StackModel {
  constructor(readonly stack: EvaluatedStack) {}

  ofType(type: string): StackResource[] {
    return this.stack.resources.filter((resource) => resource.type === type);
  }

  named(type: string, name: string): StackResource | undefined {
    return this.ofType(type).find((resource) => resource.name === name);
  }

  byArn(arn: string): StackResource | undefined {
    return this.stack.resources.find((resource) => resource.state.arn === arn);
  }

  get functions(): DeployedFunction[] {
    return this.stack.builds.map(({ input, output }) => {
      const lambda = this.named("aws:lambda/function:Function", `${input.functionID}Function`);
      if (!lambda) throw new Error(`no Lambda function for ${input.functionID}`);
      const role = this.ofType("aws:iam/role:Role").find((each) => each.state.arn === lambda.inputs.role);
      if (!role) throw new Error(`no role for ${input.functionID}`);
      const inline = (role.inputs.inlinePolicies as { policy: string }[] | undefined) ?? [];
      return {
        id: input.functionID,
        source: input.handler.replace(/\.[^.]+$/, ""),
        physicalName: String(lambda.state.name),
        arn: String(lambda.state.arn),
        environment: ((lambda.inputs.environment as { variables?: Record<string, string> } | undefined)
          ?.variables ?? {}) as Record<string, string>,
        timeoutSeconds: Number(lambda.inputs.timeout),
        runtime: String(lambda.inputs.runtime),
        reservedConcurrency:
          lambda.inputs.reservedConcurrentExecutions === undefined ||
          Number(lambda.inputs.reservedConcurrentExecutions) < 0
            ? undefined
            : Number(lambda.inputs.reservedConcurrentExecutions),
        role: {
          arn: String(role.state.arn),
          trust: (JSON.parse(String(role.inputs.assumeRolePolicy)) as { Statement: PolicyStatement[] })
            .Statement,
          statements: inline.flatMap(
            (policy) => (JSON.parse(policy.policy) as { Statement: PolicyStatement[] }).Statement,
          ),
        },
        bundle: { dir: output.out, handler: output.handler, bytes: output.bytes, errors: output.errors },
      };
    });
  }

  fn(source: string): DeployedFunction | undefined {
    return this.functions.find((each) => each.source === `functions/${source}`);
  }

  /** API routes, each with the function its integration invokes. */
  get routes(): { key: string; functionArn: string }[] {
    return this.ofType("aws:apigatewayv2/route:Route").map((route) => {
      const integrationId = String(route.inputs.target).replace(/^integrations\//, "");
      const integration = this.ofType("aws:apigatewayv2/integration:Integration").find(
        (each) => each.state.id === integrationId,
      );
      return { key: String(route.inputs.routeKey), functionArn: String(integration?.inputs.integrationUri) };
    });
  }

  alarmsOn(namespace: string, metricName: string, dimension: string, value: string): StackResource[] {
    return this.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").filter(
      (alarm) =>
        alarm.inputs.namespace === namespace &&
        alarm.inputs.metricName === metricName &&
        (alarm.inputs.dimensions as Record<string, string> | undefined)?.[dimension] === value,
    );
  }

  /** A queue with an alarm on its first visible message. */
  isAlarmedQueue(arn: string): boolean {
    const queue = this.byArn(arn);
    return (
      queue?.type === "aws:sqs/queue:Queue" &&
      this.alarmsOn("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", String(queue.state.name))
        .length > 0
    );
  }
}

/** Whether `statements` allow `action` on `resource` (IAM's `*` wildcards in both). */
export function allows(statements: PolicyStatement[], action: string, resource: string): boolean {
  const matches = (pattern: string, value: string) =>
    new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test(value);
  return statements.some(
    (statement) =>
      statement.Effect === "Allow" &&
      list(statement.Action).some((each) => matches(each, action)) &&
      list(statement.Resource).some((each) => matches(each, resource)),
  );
}

/** Every (action, resource) pair the statements grant, with wildcards as written. */
export function grants(statements: PolicyStatement[]): { action: string; resource: string }[] {
  return statements
    .filter((statement) => statement.Effect === "Allow")
    .flatMap((statement) =>
      list(statement.Action).flatMap((action) =>
        list(statement.Resource).map((resource) => ({ action, resource })),
      ),
    );
}
