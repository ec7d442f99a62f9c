import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";
import { buildLikeSst, type SstBuildInput, type SstBuildOutput } from "./sst-build";

/** One resource the program registered, with its inputs as Pulumi resolved them. */
export interface StackResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** The state the mock gave back (id, arn, name): what other resources saw as its outputs. */
  state: Record<string, unknown>;
}

/** A function SST built while the program ran: the arguments it sent `Runtime.Build`, and the result. */
export interface StackBuild {
  input: SstBuildInput;
  output: SstBuildOutput;
}

export interface EvaluatedStack {
  app: { name: string; stage: string };
  resources: StackResource[];
  builds: StackBuild[];
  outputs: Record<string, unknown>;
}

const root = resolve(import.meta.dirname, "../..");
const platform = join(root, ".sst/platform");

/**
 * Runs `sst.config.ts` the way `sst deploy` evaluates it (sst/sst `pkg/project/run.go` and
 * `pkg/js/js.go`: one esbuild bundle with the `$app`/`$cli`/`$dev` defines, the `shim/run.js`
 * inject and the provider namespaces prepended to every project file), but against Pulumi's mocks
 * instead of AWS. Our own RPC server stands in for the CLI: `Runtime.Build` bundles each function
 * with `buildLikeSst`, from the very `handler` and `nodejs` options the stacks passed, so the
 * bundles the tests run are the ones this configuration would deploy. Runs once per process:
 * Pulumi's runtime is global, so each configuration is evaluated in a child process.
 */
export async function evaluateStack(stage: string, artifacts: string): Promise<EvaluatedStack> {
  if (!existsSync(join(platform, "config.d.ts")))
    throw new Error("no .sst/platform: run `npm run typecheck` once (it runs the offline `sst install`)");
  process.chdir(root);
  const app = await evaluateApp(stage);
  const builds: StackBuild[] = [];
  const server = await startRpcServer(async (method, params) => {
    if (process.env.SST_EVAL_DEBUG) console.error("rpc", method);
    if (method === "Runtime.Build") {
      const input = params as SstBuildInput;
      const output = await buildLikeSst(input, root, artifacts);
      builds.push({ input, output });
      return {
        handler: output.handler,
        out: output.out,
        errors: output.errors,
        sourcemaps: output.sourcemaps,
      };
    }
    if (method === "Provider.Aws.Bootstrap")
      return {
        asset: "mock-sst-asset-bucket",
        assetEcrRegistryId: "123456789012",
        assetEcrUrl: "mock.ecr/sst",
      };
    throw new Error(`rpc: can't find method ${method}`);
  });
  process.env.SST_SERVER = `http://127.0.0.1:${server.address().port}`;
  const resources: StackResource[] = [];
  const pulumi = createRequire(join(platform, "package.json"))("@pulumi/pulumi") as PulumiModule;
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const state = mockState(args.type, args.name, args.inputs, app);
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, state });
        return { id: `${args.name}-id`, state };
      },
      call: (args) => mockCall(args.token, args.inputs),
    },
    app.name,
    stage,
    false,
  );
  const program = await bundleProgram(app);
  try {
    /* The CLI's automation program runs inside Pulumi's root stack; so must the mocked one. */
    const outputs = (await pulumi.runtime.runInPulumiStack(
      async () => (await import(pathToFileURL(program).href)).default,
    )) as Record<string, unknown>;
    await settled(() => (server.busy() ? -1 : resources.length + builds.length));
    return { app: { name: app.name, stage }, resources, builds, outputs: await resolveOutputs(outputs) };
  } finally {
    rmSync(program, { force: true });
    rmSync(`${program}.map`, { force: true });
    server.close();
  }
}

interface PulumiModule {
  runtime: {
    setMocks(
      mocks: {
        newResource(args: { type: string; name: string; inputs: Record<string, unknown> }): {
          id: string;
          state: Record<string, unknown>;
        };
        call(args: { token: string; inputs: Record<string, unknown> }): Record<string, unknown>;
      },
      project: string,
      stack: string,
      preview: boolean,
    ): Promise<void>;
    runInPulumiStack(init: () => Promise<unknown>): Promise<unknown>;
  };
}

interface App {
  name: string;
  stage: string;
  removal: string;
  protect: boolean;
  home: string;
  providers: Record<string, unknown>;
}

/** The CLI's first step: evaluate `app()` alone for the name, removal policy and providers. */
async function evaluateApp(stage: string): Promise<App> {
  const out = join(platform, `sst.app.${process.pid}.mjs`);
  await build({
    entryPoints: [join(root, "sst.config.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: out,
    banner: { js: "const $config = (input) => input;" },
    logLevel: "silent",
  });
  try {
    const config = (await import(pathToFileURL(out).href)).default as {
      app(input: { stage: string }): Partial<App>;
    };
    const app = config.app({ stage });
    return {
      name: app.name ?? "app",
      stage,
      removal: app.removal ?? "retain",
      protect: app.protect ?? false,
      home: app.home ?? "aws",
      providers: app.providers ?? { aws: {} },
    };
  } finally {
    rmSync(out, { force: true });
  }
}

/** `pkg/js/js.go` `Build` with the options `pkg/project/run.go` passes it, as an ESM file beside the platform. */
async function bundleProgram(app: App): Promise<string> {
  const lock = JSON.parse(readFileSync(join(root, ".sst/provider-lock.json"), "utf8")) as {
    alias: string;
    package: string;
  }[];
  const globals = [
    ...lock.map((entry) => `import * as ${entry.alias} from "${entry.package}";`),
    `import * as sst from "${join(platform, "src/components")}";`,
  ].join("\n");
  const injectGlobals: Plugin = {
    name: "InjectGlobals",
    setup(builder) {
      builder.onLoad({ filter: /\.(js|ts|jsx|tsx)$/ }, (args) => {
        if (args.path.includes(".sst")) return undefined;
        return { contents: `${globals}\n${readFileSync(args.path, "utf8")}`, loader: "default" };
      });
    },
  };
  const cli = {
    command: "deploy",
    dev: false,
    paths: { home: join(root, ".sst/home"), root, work: join(root, ".sst"), platform },
    state: { version: {} },
  };
  const outfile = join(platform, `sst.config.${process.pid}.mjs`);
  await build({
    banner: {
      js: [
        "import { createRequire as topLevelCreateRequire } from 'module';",
        "const require = topLevelCreateRequire(import.meta.url);",
        'import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"',
        "const __filename = topLevelFileUrlToPath(import.meta.url)",
        'const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))',
      ].join("\n"),
    },
    mainFields: ["module", "main"],
    format: "esm",
    platform: "node",
    sourcemap: "linked",
    stdin: {
      contents: [
        `import { run } from "${join(platform, "src/auto/run.ts")}";`,
        `import mod from "${join(root, "sst.config.ts")}";`,
        "const result = await run(mod.run);",
        "export default result;",
      ].join("\n"),
      resolveDir: root,
      sourcefile: "eval.ts",
      loader: "ts",
    },
    nodePaths: [join(platform, "node_modules")],
    plugins: [injectGlobals],
    external: [
      "@pulumi/*",
      "undici",
      "@pulumiverse/*",
      "@sst-provider/*",
      "@aws-sdk/*",
      "esbuild",
      "archiver",
      "glob",
      "vite",
    ],
    define: { $app: JSON.stringify(app), $cli: JSON.stringify(cli), $dev: "false" },
    inject: [join(platform, "src/shim/run.js")],
    outfile,
    bundle: true,
    logLevel: "silent",
  });
  return outfile;
}

/** Every resource gets the outputs other resources read from it: a name, an ARN in AWS's format, a URL. */
function mockState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  app: App,
): Record<string, unknown> {
  const physical =
    typeof inputs.name === "string"
      ? inputs.name
      : typeof inputs.namePrefix === "string"
        ? `${inputs.namePrefix}mock`
        : `${app.name}-${app.stage}-${name}`;
  const at = "us-east-1:123456789012";
  const arns: Record<string, string> = {
    "aws:dynamodb/table:Table": `arn:aws:dynamodb:${at}:table/${physical}`,
    "aws:cloudwatch/eventBus:EventBus": `arn:aws:events:${at}:event-bus/${physical}`,
    "aws:cloudwatch/eventRule:EventRule": `arn:aws:events:${at}:rule/${String(inputs.eventBusName ?? "default")}/${physical}`,
    "aws:scheduler/scheduleGroup:ScheduleGroup": `arn:aws:scheduler:${at}:schedule-group/${physical}`,
    "aws:scheduler/schedule:Schedule": `arn:aws:scheduler:${at}:schedule/${String(inputs.groupName ?? "default")}/${physical}`,
    "aws:secretsmanager/secret:Secret": `arn:aws:secretsmanager:${at}:secret:${physical}-AbCdEf`,
    "aws:sqs/queue:Queue": `arn:aws:sqs:${at}:${physical}`,
    "aws:sns/topic:Topic": `arn:aws:sns:${at}:${physical}`,
    "aws:lambda/function:Function": `arn:aws:lambda:${at}:function:${physical}`,
    "aws:iam/role:Role": `arn:aws:iam::123456789012:role/${physical}`,
    "aws:cloudwatch/metricAlarm:MetricAlarm": `arn:aws:cloudwatch:${at}:alarm:${physical}`,
  };
  return {
    ...inputs,
    name: physical,
    arn: arns[type] ?? `arn:aws:mock:${at}:${type}/${physical}`,
    url:
      type === "aws:sqs/queue:Queue"
        ? `https://sqs.us-east-1.amazonaws.com/123456789012/${physical}`
        : inputs.url,
    apiEndpoint: `https://${name.toLowerCase()}.execute-api.us-east-1.amazonaws.com`,
    executionArn: `arn:aws:execute-api:${at}:${name}`,
    invokeArn: `arn:aws:apigateway:us-east-1:lambda:path/functions/${name}/invocations`,
    qualifiedArn: `${arns["aws:lambda/function:Function"]}:1`,
    id: `${name}-id`,
  };
}

function mockCall(token: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (token) {
    case "aws:index/getRegion:getRegion":
      return { name: "us-east-1", region: "us-east-1", id: "us-east-1" };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: "123456789012", arn: "arn:aws:iam::123456789012:user/ci", userId: "ci" };
    case "aws:iam/getPolicyDocument:getPolicyDocument":
      return {
        json: policyJson(inputs.statements as PolicyStatementInput[] | undefined),
        statements: inputs.statements,
      };
    default:
      return {};
  }
}

interface PolicyStatementInput {
  effect?: string;
  actions?: string[];
  resources?: string[];
  principals?: { type: string; identifiers: string[] }[];
  conditions?: { test: string; variable: string; values: string[] }[];
}

/** `aws.iam.getPolicyDocument`'s JSON for the statements SST builds a function's role policy from. */
function policyJson(statements: PolicyStatementInput[] = []): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((statement) => ({
      Effect: statement.effect ?? "Allow",
      Action: statement.actions ?? [],
      Resource: statement.resources ?? [],
      ...(statement.principals
        ? {
            Principal: Object.fromEntries(
              statement.principals.map((principal) => [principal.type, principal.identifiers]),
            ),
          }
        : {}),
      ...(statement.conditions?.length
        ? {
            Condition: Object.fromEntries(
              statement.conditions.map((condition) => [
                condition.test,
                { [condition.variable]: condition.values },
              ]),
            ),
          }
        : {}),
    })),
  });
}

/** Pulumi registers resources from callbacks; the program is done once nothing new arrives for a while. */
async function settled(count: () => number, quietMs = 1500, limitMs = 120_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  let last = -1;
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    const now = count();
    if (now < 0 || now !== last) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= quietMs) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error("the SST program kept registering resources for two minutes");
}

async function resolveOutputs(outputs: Record<string, unknown>): Promise<Record<string, unknown>> {
  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(outputs)) {
    const output = value as { apply?: (fn: (v: unknown) => unknown) => unknown };
    resolved[key] =
      typeof output?.apply === "function"
        ? await new Promise((done) => output.apply?.((inner) => done(inner)))
        : value;
  }
  return resolved;
}

async function startRpcServer(
  handle: (method: string, params: unknown) => Promise<unknown>,
): Promise<{ address(): AddressInfo; busy(): boolean; close(): void }> {
  let inFlight = 0;
  const server = createServer(async (req: IncomingMessage, res) => {
    inFlight += 1;
    res.once("close", () => {
      inFlight -= 1;
    });
    let body = "";
    for await (const chunk of req) body += chunk;
    const request = JSON.parse(body) as { method: string; params: unknown[] };
    try {
      const result = await handle(request.method, request.params[0]);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ result }));
    } catch (error) {
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ error: String((error as Error).message) }));
    }
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    address: () => server.address() as AddressInfo,
    busy: () => inFlight > 0,
    close: () => server.close(),
  };
}

/** `tsx local/tooling/sst-eval.ts <stage> <artifacts dir> <result.json>`: one evaluation, written as JSON. */
if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const [stage = "test", artifacts = join(root, ".sst/test-artifacts", stage), result] =
    process.argv.slice(2);
  mkdirSync(artifacts, { recursive: true });
  evaluateStack(stage, artifacts)
    .then((stack) => {
      const json = JSON.stringify(stack, null, 1);
      if (result) writeFileSync(result, json);
      else console.log(json);
      process.exit(0);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
