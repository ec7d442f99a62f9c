import { existsSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

/*
 * What Lambda's Node.js runtime does inside the sandbox, run by lambda-runner.ts with bare node so
 * the bundle loads exactly as deployed: import `_HANDLER` from `LAMBDA_TASK_ROOT`, then call the
 * handler once per invocation message, one at a time.
 */

const marker = "\u0000lambda-runner:";

/**
 * Stdout and stderr reach the parent on their own pipes, apart from the IPC channel: a marker on
 * both tells it every line written before this reply has arrived.
 */
function flush(tag) {
  process.stdout.write(`${marker}${tag}\n`);
  process.stderr.write(`${marker}${tag}\n`);
}

/** Lambda's own error shape: errorType is the error's name, or `typeof` for a thrown non-error. */
function toLambdaError(error) {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? "").split("\n") };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

/** The runtime names load failures with its own types, so a broken bundle reads as one. */
function toInitError(error) {
  if (error instanceof SyntaxError) {
    return {
      errorType: "Runtime.UserCodeSyntaxError",
      errorMessage: `${error.name}: ${error.message}`,
      trace: [],
    };
  }
  if (error?.code === "ERR_MODULE_NOT_FOUND") {
    return { errorType: "Runtime.ImportModuleError", errorMessage: `Error: ${error.message}`, trace: [] };
  }
  return toLambdaError(error);
}

async function loadHandler() {
  const setting = process.env._HANDLER ?? "";
  const taskRoot = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
  const slash = setting.lastIndexOf("/");
  const dot = setting.indexOf(".", slash + 1);
  if (dot < 0) {
    throw Object.assign(new Error(`Bad handler ${setting}`), { name: "Runtime.MalformedHandlerName" });
  }
  const modulePath = setting.slice(0, dot);
  const handlerPath = setting.slice(dot + 1).split(".");
  const file = [".js", ".mjs", ".cjs"]
    .map((extension) => join(taskRoot, `${modulePath}${extension}`))
    .find((candidate) => existsSync(candidate));
  if (!file) {
    throw Object.assign(new Error(`Cannot find module '${modulePath}'`), { code: "ERR_MODULE_NOT_FOUND" });
  }
  const module = await import(pathToFileURL(file).href);
  const handler = handlerPath.reduce((value, key) => value?.[key], module);
  if (typeof handler !== "function") {
    throw Object.assign(new Error(`${setting} is undefined or not exported`), {
      name: "Runtime.HandlerNotFound",
    });
  }
  return handler;
}

const started = performance.now();
let handler;
try {
  handler = await loadHandler();
} catch (error) {
  flush("init");
  process.send({ type: "init-error", error: toInitError(error) });
  process.disconnect();
  process.exitCode = 1;
}

if (handler) {
  const initMs = performance.now() - started;
  const name = process.env.AWS_LAMBDA_FUNCTION_NAME;
  process.on("message", async ({ requestId, event, deadline, traceId }) => {
    process.env._X_AMZN_TRACE_ID = traceId;
    const context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: name,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:123456789012:function:${name}`,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      awsRequestId: requestId,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    let answer;
    try {
      const result = await handler(event, context);
      answer = { type: "result", requestId, payload: JSON.stringify(result ?? null) };
    } catch (error) {
      answer = { type: "error", requestId, error: toLambdaError(error) };
    }
    flush(requestId);
    process.send(answer);
  });
  flush("init");
  process.send({ type: "ready", initMs, nodeVersion: process.version });
}
