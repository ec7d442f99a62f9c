import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface LambdaError {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

export type InvokeOutcome = ({ result: unknown } | { error: LambdaError }) & {
  requestId: string;
  durationMs: number;
  /** The lines the function wrote while handling this invocation, stdout and stderr in arrival order. */
  logs: string[];
};

export interface LambdaOptions {
  /** The directory the bundle was built into: LAMBDA_TASK_ROOT and the working directory. */
  bundleDir: string;
  /** Lambda's handler setting, `<file>.<export>`: `bundle.handler` imports bundle.mjs and calls `handler`. */
  handler: string;
  name: string;
  /** The function's whole environment; nothing is inherited from the test process but PATH and NODE_EXTRA_CA_CERTS. */
  env: Record<string, string>;
  memoryMb?: number;
  /** The function's timeout, for invocations that do not set their own. */
  timeoutMs?: number;
  /** The node that runs the bundle; the test's own node (Node 24, as vitest.config.ts insists) unless set. */
  nodePath?: string;
}

export interface LocalLambda {
  readonly name: string;
  /** How long importing the bundle took in the current sandbox: the cold start's init phase. */
  readonly initMs: number;
  readonly nodeVersion: string;
  /** How many sandboxes have been started: a timed-out or crashed one is replaced on the next invocation. */
  readonly sandboxes: number;
  invoke(event: unknown, options?: { timeoutMs?: number }): Promise<InvokeOutcome>;
  logs(): string[];
  stop(): Promise<void>;
}

/** Every live sandbox, killed with the test process so a crashed run leaves no node behind. */
const liveChildren = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of liveChildren) child.kill("SIGKILL");
});

const runtimeScript = fileURLToPath(new URL("./lambda-runtime.mjs", import.meta.url));
const marker = "\u0000lambda-runner:";

type ChildMessage =
  | { type: "ready"; initMs: number; nodeVersion: string }
  | { type: "init-error"; error: LambdaError }
  | { type: "result"; requestId: string; payload: string }
  | { type: "error"; requestId: string; error: LambdaError };

interface Sandbox {
  child: ChildProcess;
  initMs: number;
  nodeVersion: string;
  /** Resolves with the reply to `tag` once both streams have delivered everything written before it. */
  reply(tag: string): Promise<ChildMessage | { type: "exit"; description: string }>;
  /** Lines each stream delivered before its `tag` marker and after the previous one. */
  linesBefore(tag: string): string[];
  kill(): Promise<void>;
}

/**
 * A Lambda container for one function: a fresh `node` that imports the bundle untouched, the way
 * the nodejs24.x runtime does, and then takes invocations one at a time. Its environment is only
 * what the function would get in Lambda, so a bundle that works here does not lean on the test
 * process.
 */
export async function startLambda(options: LambdaOptions): Promise<LocalLambda> {
  const bundleDir = resolve(options.bundleDir);
  const memoryMb = options.memoryMb ?? 1024;
  const allLines: string[] = [];
  let sandbox: Sandbox | undefined = await boot();
  let sandboxes = 1;
  let initMs = sandbox.initMs;
  const nodeVersion = sandbox.nodeVersion;
  let queue: Promise<unknown> = Promise.resolve();
  let stopped = false;

  function boot(): Promise<Sandbox> {
    const logStream = `${new Date().toISOString().slice(0, 10).replaceAll("-", "/")}/[$LATEST]${randomBytes(16).toString("hex")}`;
    const child = spawn(options.nodePath ?? process.execPath, [runtimeScript], {
      cwd: bundleDir,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      env: {
        PATH: process.env.PATH ?? "",
        ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
        AWS_REGION: "us-east-1",
        AWS_DEFAULT_REGION: "us-east-1",
        LANG: "en_US.UTF-8",
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${options.name}`,
        AWS_LAMBDA_LOG_STREAM_NAME: logStream,
        AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
        ...options.env,
        AWS_LAMBDA_FUNCTION_NAME: options.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
        AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
        AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
        _HANDLER: options.handler,
        LAMBDA_TASK_ROOT: bundleDir,
        TZ: ":UTC",
      },
    });
    liveChildren.add(child);
    child.on("error", () => undefined);
    const exited = new Promise<{ type: "exit"; description: string }>((done) =>
      child.once("close", (code, signal) => {
        liveChildren.delete(child);
        done({ type: "exit", description: signal ? `signal: ${signal}` : `exit status ${code}` });
      }),
    );

    let sequence = 0;
    let unassigned: { stream: number; sequence: number; text: string }[] = [];
    const segments = new Map<string, typeof unassigned>();
    const markers = new Map<string, number>();
    const markerWaiters = new Map<string, () => void>();
    const messages = new Map<string, ChildMessage>();
    const messageWaiters = new Map<string, () => void>();
    for (const [stream, pipe] of [child.stdout, child.stderr].entries()) {
      let partial = "";
      pipe?.setEncoding("utf8");
      pipe?.on("data", (chunk: string) => {
        const lines = (partial + chunk).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) {
          const at = line.indexOf(marker);
          const text = at < 0 ? line : line.slice(0, at);
          if (text) {
            allLines.push(text);
            unassigned.push({ stream, sequence: sequence++, text });
          }
          if (at < 0) continue;
          const tag = line.slice(at + marker.length);
          segments.set(tag, [
            ...(segments.get(tag) ?? []),
            ...unassigned.filter((entry) => entry.stream === stream),
          ]);
          unassigned = unassigned.filter((entry) => entry.stream !== stream);
          markers.set(tag, (markers.get(tag) ?? 0) + 1);
          if (markers.get(tag) === 2) markerWaiters.get(tag)?.();
        }
      });
    }
    child.on("message", (message: ChildMessage) => {
      const tag = "requestId" in message ? message.requestId : "init";
      messages.set(tag, message);
      messageWaiters.get(tag)?.();
    });
    const reply = async (tag: string) => {
      const flushed = new Promise<void>((done) =>
        markers.get(tag) === 2 ? done() : markerWaiters.set(tag, done),
      );
      const answered = new Promise<void>((done) =>
        messages.has(tag) ? done() : messageWaiters.set(tag, done),
      );
      const exit = await Promise.race([Promise.all([flushed, answered]).then(() => undefined), exited]);
      markerWaiters.delete(tag);
      messageWaiters.delete(tag);
      const message = messages.get(tag);
      messages.delete(tag);
      return message ?? exit ?? { type: "exit" as const, description: "no reply" };
    };
    const kill = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    };
    const linesBefore = (tag: string) => {
      const lines = segments.get(tag) ?? unassigned.splice(0);
      segments.delete(tag);
      return lines.sort((a, b) => a.sequence - b.sequence).map((entry) => entry.text);
    };

    return reply("init").then(async (message) => {
      if (message.type === "ready") {
        return { child, initMs: message.initMs, nodeVersion: message.nodeVersion, reply, linesBefore, kill };
      }
      await kill();
      const why =
        message.type === "init-error"
          ? `${message.error.errorType}: ${message.error.errorMessage}`
          : `Runtime.ExitError: the runtime exited during init (${"description" in message ? message.description : message.type})`;
      throw new Error(`${options.name} failed to initialise: ${why}\n${allLines.join("\n")}`);
    });
  }

  async function run(event: unknown, timeoutMs: number): Promise<InvokeOutcome> {
    if (stopped) throw new Error(`${options.name} was stopped`);
    if (sandbox && !sandbox.child.connected) {
      await sandbox.kill();
      sandbox = undefined;
    }
    if (!sandbox) {
      sandbox = await boot();
      sandboxes++;
      initMs = sandbox.initMs;
    }
    const current = sandbox;
    const requestId = randomUUID();
    const traceId = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=0`;
    const started = performance.now();
    current.child.send({ requestId, event, deadline: Date.now() + timeoutMs, traceId });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((done) => {
      timer = setTimeout(() => done("timeout"), timeoutMs);
    });
    const answer = await Promise.race([current.reply(requestId), timedOut]);
    clearTimeout(timer);
    const durationMs = performance.now() - started;
    const common = { requestId, durationMs };
    if (answer === "timeout" || answer.type === "exit") {
      sandbox = undefined;
      await current.kill();
      const error =
        answer === "timeout"
          ? {
              errorType: "Sandbox.Timedout",
              errorMessage: `RequestId: ${requestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
            }
          : {
              errorType: "Runtime.ExitError",
              errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${answer.description}`,
            };
      return { ...common, logs: current.linesBefore(requestId), error };
    }
    const logs = current.linesBefore(requestId);
    if (answer.type === "result") return { ...common, logs, result: JSON.parse(answer.payload) as unknown };
    if (answer.type === "error") return { ...common, logs, error: answer.error };
    throw new Error(`unexpected ${answer.type} from ${options.name}`);
  }

  return {
    name: options.name,
    get initMs() {
      return initMs;
    },
    nodeVersion,
    get sandboxes() {
      return sandboxes;
    },
    invoke(event, invokeOptions = {}) {
      const next = queue.then(() => run(event, invokeOptions.timeoutMs ?? options.timeoutMs ?? 20_000));
      queue = next.catch(() => undefined);
      return next;
    },
    logs: () => [...allLines],
    async stop() {
      stopped = true;
      await sandbox?.kill();
      await queue;
    },
  };
}
