import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type SettingName, settingOrigins, tuningSettings } from "../../core/config";
import { metricsNamespace, serviceName } from "../../core/domain/telemetry";
import { syncHealthMetric } from "../../core/use-cases/sync-health";
import { adminRoutes } from "../../functions/shared/admin-routes";
import { httpRoutes } from "../../functions/shared/http-routes";
import { buildLikeSst } from "../../local/tooling/sst-build";
import { startLambda } from "../support/lambda-runner";
import { allows, evaluateStage, type StackModel } from "../support/stack-model";

/**
 * sst.config.ts as `sst deploy` evaluates it, under Pulumi's mocks, for the three shapes a
 * customer deploys: Okta only, Entra only, and both with tuning settings from the shell.
 */
const root = resolve(import.meta.dirname, "../..");
let oktaOnly: StackModel;
let entraOnly: StackModel;
let both: StackModel;
const tuningValues = { RUN_CHUNK_SIZE: "123", REMOVAL_HOLD_SHARE: "0.2" };

beforeAll(async () => {
  [oktaOnly, entraOnly, both] = await Promise.all([
    evaluateStage("okta-only", { OKTA_ORG_URL: "https://example.okta.com", OKTA_APP_ID: "0oa1" }),
    evaluateStage("entra-only", { ENTRA_ENABLED: "true" }),
    evaluateStage("both", {
      OKTA_ORG_URL: "https://example.okta.com",
      ENTRA_ENABLED: "true",
      ...tuningValues,
    }),
  ]);
}, 240_000);

const stages = () => ({ oktaOnly, entraOnly, both });
const hookSources = ["functions/okta-events", "functions/entra-notify"];

describe("what SST builds", () => {
  it("builds every function without an error, for the Lambda runtime the tests run on", () => {
    // Prepare
    const functions = both.functions;
    // Act
    const failures = functions.filter((fn) => fn.bundle.errors.length > 0);
    // Assess
    expect(functions.length).toBeGreaterThanOrEqual(12);
    expect(failures).toEqual([]);
    for (const fn of functions) expect(fn.runtime, fn.id).toBe("nodejs24.x");
  });

  it("loads every function also built unminified, SST's default, so no bundled module may redeclare __dirname", async () => {
    // Prepare
    const builds = both.stack.builds;
    const out = join(root, ".sst/test-artifacts/unminified");
    // Act
    const failures: string[] = [];
    for (const { input } of builds) {
      const properties = { ...input.properties, minify: false };
      const output = await buildLikeSst({ ...input, properties }, root, out);
      try {
        const lambda = await startLambda({
          bundleDir: output.out,
          handler: output.handler,
          name: input.functionID,
          env: {},
        });
        await lambda.stop();
      } catch (error) {
        failures.push(`${input.functionID}: ${(error as Error).message.split("\n")[0]}`);
      }
    }
    // Assess
    expect(builds.length).toBeGreaterThanOrEqual(12);
    expect(failures).toEqual([]);
  }, 180_000);

  it("keeps the hook bundles under 1.5 MB and every bundle under 8 MB", () => {
    // Prepare
    const functions = both.functions;
    // Act
    const sizes = Object.fromEntries(functions.map((fn) => [fn.source, fn.bundle.bytes]));
    // Assess
    for (const source of hookSources) expect(sizes[source], source).toBeLessThanOrEqual(1.5e6);
    for (const [source, bytes] of Object.entries(sizes)) expect(bytes, source).toBeLessThanOrEqual(8e6);
  });
});

describe("routes", () => {
  it("gives every route of the route table a deployed function that serves it, and no route without one", () => {
    for (const [stage, model] of Object.entries(stages())) {
      // Prepare
      const deployedSources = new Set(model.functions.map((fn) => fn.source));
      const expected = Object.entries(httpRoutes)
        .filter(([, source]) => deployedSources.has(`functions/${source}`))
        .map(([key]) => key)
        .sort();
      // Act
      const routes = model.routes;
      // Assess
      expect(routes.map((route) => route.key).sort(), stage).toEqual(expected);
      for (const route of routes) {
        const fn = model.functions.find((each) => each.arn === route.functionArn);
        expect(fn?.source, `${stage} ${route.key}`).toBe(
          `functions/${httpRoutes[route.key as keyof typeof httpRoutes]}`,
        );
      }
    }
  });

  it("routes every path the admin handler serves, and serves every admin path routed", () => {
    // Prepare
    const adminPaths = both.routes
      .filter((route) => route.key.startsWith("POST /admin/"))
      .map((route) => route.key.replace(/^POST /, "").replace(/\{\w+\}/g, "run-1"));
    // Act
    const unserved = adminPaths.filter((path) => !adminRoutes.some(([pattern]) => pattern.test(path)));
    const unrouted = adminRoutes.filter(([pattern]) => !adminPaths.some((path) => pattern.test(path)));
    // Assess
    expect(adminPaths).toContain("/admin/redrive");
    expect(unserved).toEqual([]);
    expect(unrouted.map(([pattern]) => String(pattern))).toEqual([]);
  });

  it("stops every API function before API Gateway's 30 s integration limit", () => {
    // Prepare
    const routed = new Set(both.routes.map((route) => route.functionArn));
    // Act
    const api = both.functions.filter((fn) => routed.has(fn.arn));
    // Assess
    expect(api.map((fn) => fn.source)).toContain("functions/admin");
    for (const fn of api) expect(fn.timeoutSeconds, fn.id).toBeLessThanOrEqual(29);
  });
});

describe("configuration", () => {
  it("sets every stack variable core/config.ts reads on every function, and each configures without error", () => {
    for (const [stage, model] of Object.entries(stages())) {
      for (const fn of model.functions) {
        // Prepare
        const stackSettings = (Object.keys(settingOrigins) as SettingName[]).filter(
          (name) => settingOrigins[name] === "stack",
        );
        // Act
        const missing = stackSettings.filter((name) => fn.environment[name] === undefined);
        // Assess
        expect(missing, `${stage} ${fn.id}`).toEqual([]);
        expect(() => loadConfig(fn.environment), `${stage} ${fn.id}`).not.toThrow();
      }
    }
  });

  it("holds every secret-held variable's secret id on the functions of the stage that uses it", () => {
    // Prepare
    const secretIdOf = (name: string) =>
      name.startsWith("OKTA_")
        ? "OKTA_SECRET_ID"
        : name.startsWith("ENTRA_")
          ? "ENTRA_SECRET_ID"
          : name.startsWith("STATUS_")
            ? "STATUS_TOKEN_SECRET_ID"
            : name.startsWith("ADMIN_")
              ? "ADMIN_TOKEN_SECRET_ID"
              : "KIRO_SCIM_SECRET_ID";
    const secretHeld = (Object.keys(settingOrigins) as SettingName[]).filter(
      (name) => settingOrigins[name] === "secret",
    );
    // Act
    const admin = both.fn("admin");
    // Assess
    for (const name of secretHeld)
      expect(admin?.environment[secretIdOf(name)], name).toMatch(/^arn:aws:secretsmanager:/);
  });

  it("lets only the Admin function read the AdminToken secret, in every stage", () => {
    for (const [stage, model] of Object.entries(stages())) {
      // Prepare
      const adminSecret = model.functions[0]!.environment.ADMIN_TOKEN_SECRET_ID!;
      // Act
      const readers = model.functions.filter((fn) =>
        allows(fn.role.statements, "secretsmanager:GetSecretValue", adminSecret),
      );
      // Assess
      expect(adminSecret, stage).toMatch(/^arn:aws:secretsmanager:/);
      expect(model.ofType("aws:secretsmanager/secret:Secret").map((each) => each.name)).toContain(
        "AdminToken",
      );
      expect(
        readers.map((fn) => fn.source),
        stage,
      ).toEqual(["functions/admin"]);
    }
  });

  it("passes tuning settings through from the deploying shell, and only when set", () => {
    // Prepare
    const set = both.functions;
    const unset = oktaOnly.functions;
    // Act
    const passed = set.map((fn) => ({ id: fn.id, value: fn.environment.RUN_CHUNK_SIZE }));
    // Assess
    expect(tuningSettings).toContain("RUN_CHUNK_SIZE");
    for (const each of passed) expect(each.value, each.id).toBe(tuningValues.RUN_CHUNK_SIZE);
    for (const fn of unset) expect(fn.environment.RUN_CHUNK_SIZE, fn.id).toBeUndefined();
  });

  it("deploys nothing of Entra in an Okta-only stage: no secret, function, route, schedule or setting", () => {
    // Prepare
    const model = oktaOnly;
    // Act
    const entraFunctions = model.functions.filter((fn) => fn.source.includes("entra"));
    const entraSettings = model.functions.flatMap((fn) =>
      Object.keys(fn.environment).filter((name) => name.startsWith("ENTRA_")),
    );
    const schedules = model.ofType("aws:scheduler/schedule:Schedule").map((each) => each.name);
    // Assess
    expect(entraFunctions).toEqual([]);
    expect(entraSettings).toEqual([]);
    expect(schedules.some((name) => name.includes("Entra"))).toBe(false);
    expect(model.routes.some((route) => route.key.includes("/entra/"))).toBe(false);
    expect(model.ofType("aws:secretsmanager/secret:Secret").map((each) => each.name)).not.toContain("Entra");
  });

  it("deploys nothing of Okta in an Entra-only stage", () => {
    // Prepare
    const model = entraOnly;
    // Act
    const oktaSettings = model.functions.flatMap((fn) =>
      Object.keys(fn.environment).filter((name) => name.startsWith("OKTA_")),
    );
    // Assess
    expect(model.fn("okta-events")).toBeUndefined();
    expect(model.fn("okta-ingest")).toBeUndefined();
    expect(oktaSettings).toEqual([]);
    expect(model.routes.some((route) => route.key.includes("/okta/"))).toBe(false);
    expect(model.ofType("aws:secretsmanager/secret:Secret").map((each) => each.name)).not.toContain("Okta");
    expect(model.fn("entra-subscriptions")).toBeDefined();
  });

  it("reserves no concurrency unless the deploying shell asks for it", () => {
    // Prepare
    const functions = both.functions;
    // Act
    const reserved = functions.filter((fn) => fn.reservedConcurrency !== undefined);
    // Assess
    expect(reserved.map((fn) => fn.id)).toEqual([]);
  });
});

describe("failure paths and hardening", () => {
  it("lets each function's role reach its on-failure destination", () => {
    // Prepare
    const configs = both.ofType("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig");
    // Act
    const checked = configs.map((config) => {
      const fn = both.functions.find((each) => each.physicalName === config.inputs.functionName);
      const destination = String(
        (config.inputs.destinationConfig as { onFailure?: { destination?: string } } | undefined)?.onFailure
          ?.destination,
      );
      const action = destination.startsWith("arn:aws:sqs:") ? "sqs:SendMessage" : "lambda:InvokeFunction";
      return {
        fn: fn?.id,
        destination,
        allowed: fn ? allows(fn.role.statements, action, destination) : false,
      };
    });
    // Assess
    expect(checked.length).toBeGreaterThanOrEqual(6);
    for (const each of checked)
      expect(each, `${each.fn} → ${each.destination}`).toMatchObject({ allowed: true });
  });

  it("ends every asynchronous path in an alarmed dead-letter queue or the failure recorder", () => {
    // Prepare
    const recorder = both.fn("async-failure");
    const invokeConfigs = both.ofType("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig");
    const destinationOf = (physicalName: string) =>
      (
        invokeConfigs.find((config) => config.inputs.functionName === physicalName)?.inputs
          .destinationConfig as { onFailure?: { destination?: string } } | undefined
      )?.onFailure?.destination;
    const endsSafely = (arn: string | undefined): boolean =>
      arn !== undefined &&
      (both.isAlarmedQueue(arn) ||
        (arn === recorder?.arn && both.isAlarmedQueue(String(destinationOf(recorder.physicalName)))));
    // Act
    const busTargets = both.ofType("aws:cloudwatch/eventTarget:EventTarget");
    const schedules = both.ofType("aws:scheduler/schedule:Schedule");
    const asyncFunctions = [
      ...busTargets.map((target) => String(target.inputs.arn)),
      ...schedules.map((schedule) => String((schedule.inputs.target as { arn: string }).arn)),
      String(recorder?.arn),
    ].map((arn) => both.functions.find((fn) => fn.arn === arn));
    // Assess
    expect(busTargets.length).toBe(3);
    expect(schedules.length).toBe(4);
    for (const target of busTargets)
      expect(both.isAlarmedQueue(String((target.inputs.deadLetterConfig as { arn: string }).arn))).toBe(true);
    for (const schedule of schedules) {
      const target = schedule.inputs.target as { deadLetterConfig?: { arn: string }; retryPolicy?: object };
      expect(target.retryPolicy, schedule.name).toBeDefined();
      expect(both.isAlarmedQueue(String(target.deadLetterConfig?.arn)), schedule.name).toBe(true);
    }
    for (const fn of asyncFunctions) {
      expect(fn).toBeDefined();
      expect(endsSafely(destinationOf(String(fn?.physicalName))), fn?.id).toBe(true);
    }
  });

  it("watches every function's Errors and Throttles with an alarm that notifies the alerts topic", () => {
    // Prepare
    const topic = both.ofType("aws:sns/topic:Topic")[0]?.state.arn;
    // Act
    const unwatched = both.functions.flatMap((fn) =>
      ["Errors", "Throttles"].flatMap((metric) => {
        const alarms = both.alarmsOn("AWS/Lambda", metric, "FunctionName", fn.physicalName);
        const notifying = alarms.filter((alarm) =>
          (alarm.inputs.alarmActions as string[]).includes(String(topic)),
        );
        return notifying.length === 0 ? [`${fn.id} ${metric}`] : [];
      }),
    );
    // Assess
    expect(topic).toBeDefined();
    expect(unwatched).toEqual([]);
  });

  it("pages within a minute or two when Kiro fails most calls or a hook keeps refusing requests, and again when it clears", () => {
    // Prepare
    const topic = String(both.ofType("aws:sns/topic:Topic")[0]?.state.arn);
    // Act
    const alarms = [syncHealthMetric.kiroFailedCalls, syncHealthMetric.hookRejections].map((metric) => ({
      metric,
      alarms: both.alarmsOn(metricsNamespace, metric, "service", serviceName),
    }));
    // Assess
    for (const { metric, alarms: found } of alarms) {
      expect(found, metric).toHaveLength(1);
      expect(found[0]!.inputs, metric).toMatchObject({
        period: 60,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
        alarmActions: [topic],
        okActions: [topic],
      });
    }
  });

  it("lets only Lambda of this account assume function roles, and only Scheduler of this account the schedule roles", () => {
    // Prepare
    const roles = both.ofType("aws:iam/role:Role");
    // Act
    const trusts = roles.map((role) => ({
      role: role.name,
      statements: (
        JSON.parse(String(role.inputs.assumeRolePolicy)) as { Statement: Record<string, unknown>[] }
      ).Statement,
    }));
    // Assess
    expect(trusts.length).toBe(both.functions.length + 1 + 4);
    for (const { role, statements } of trusts) {
      for (const statement of statements) {
        const principal = statement.Principal as Record<string, unknown>;
        expect(Object.keys(principal), role).toEqual(["Service"]);
        expect(JSON.stringify(statement.Condition), role).toContain('"aws:SourceAccount":"123456789012"');
      }
    }
  });

  it("lets only our own rules write to a queue through its resource policy", () => {
    // Prepare
    const policies = both.ofType("aws:sqs/queuePolicy:QueuePolicy");
    // Act
    const statements = policies.flatMap(
      (policy) =>
        (JSON.parse(String(policy.inputs.policy)) as { Statement: Record<string, unknown>[] }).Statement,
    );
    // Assess
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      const sources = JSON.stringify((statement.Condition as Record<string, unknown> | undefined) ?? {});
      expect(sources).toContain("aws:SourceArn");
      expect(sources).toContain(":rule/");
    }
  });
});
