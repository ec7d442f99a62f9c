import { type ChildProcessByStdio, execSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { isAlive } from "../support/processes";

/* As a newcomer runs it: the default log level, and a secrets file of this run's own, so a test
   never rewrites the one of an `npm start` someone runs in this checkout. */
const { POWERTOOLS_LOG_LEVEL: _testLogLevel, ...inherited } = process.env;
const secretsDir = mkdtempSync(join(tmpdir(), "npm-start-test-"));
let runs = 0;
afterAll(() => rmSync(secretsDir, { recursive: true, force: true }));

interface NpmStart {
  child: ChildProcessByStdio<null, Readable, Readable>;
  output: () => string;
  secretsFile: string;
}

/** `npm start` in its own process group, with its output collected. */
function npmStart(): NpmStart {
  runs += 1;
  const secretsFile = join(secretsDir, `secrets-${runs}.json`);
  const env = {
    ...inherited,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    PORT: "0",
    LOCAL_SECRETS_FILE: secretsFile,
  };
  const child = spawn("npm", ["start"], { detached: true, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { child, output: () => output, secretsFile };
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** A process that exited but was not reaped yet (a zombie) runs nothing: it counts as gone. */
function running(pid: number): boolean {
  try {
    return isAlive(pid) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** The process and every descendant it has now, read from `ps`, with their command lines. */
function processTree(root: number): { pid: number; command: string }[] {
  const rows = execSync("ps -e -o pid=,ppid=,args=", { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .map((match) => ({ pid: Number(match?.[1]), ppid: Number(match?.[2]), command: match?.[3] ?? "" }));
  const tree = rows.filter((row) => row.pid === root);
  for (let index = 0; index < tree.length; index++)
    tree.push(...rows.filter((row) => row.ppid === tree[index]!.pid));
  return tree.map(({ pid, command }) => ({ pid, command }));
}

const isDynamoDbLocal = ({ command }: { command: string }) => command.includes("DynamoDBLocal.jar");

/** Whatever of a tree a failing test left running is killed by pid, so no java outlives the test. */
function killLeftovers(tree: { pid: number }[]): void {
  for (const { pid } of tree) if (running(pid)) process.kill(pid, "SIGKILL");
}

describe("npm start", () => {
  it("prints the URLs and a curl that puts the newcomer into the Kiro group, logs that sync at INFO by the group's name; Ctrl-C leaves no java behind", async () => {
    // Prepare
    const { child, output, secretsFile } = npmStart();
    await waitFor(() => output().includes("ready.") || child.exitCode !== null, 60_000);
    const javaPid = Number(/DynamoDB Local\s+\S+\s+\(pid (\d+)/.exec(output())?.[1]);
    const curl = /^\s*(curl -si -X POST .*)$/m.exec(output())?.[1] ?? "";
    const stateUrl = /see the member in Kiro:\s+curl -s (\S+)/.exec(output())?.[1] ?? "";
    const newcomer = /Okta says (\S+) joined (\S+)\./.exec(output());
    const hookStatus = execSync(curl, { encoding: "utf8" }).split("\n")[0];
    let state: {
      users: { id: string; userName: string }[];
      groups: { displayName: string; members: string[] }[];
    } = {
      users: [],
      groups: [],
    };
    const isMember = () => {
      const user = state.users.find((candidate) => candidate.userName === newcomer?.[1]);
      return state.groups.some(
        (group) => group.displayName === newcomer?.[2] && user && group.members.includes(user.id),
      );
    };
    for (let poll = 0; poll < 50 && !isMember(); poll++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      state = (await (await fetch(stateUrl)).json()) as typeof state;
    }
    const syncLine = new RegExp(
      `"level":"INFO","message":"group ${newcomer?.[2]} synced: [^"]*1 member added`,
    );
    await waitFor(() => syncLine.test(output()), 5_000);

    // Act
    const exited = once(child, "exit");
    process.kill(-child.pid!, "SIGINT");
    await exited;
    await new Promise((resolve) => setTimeout(resolve, 500));

    // Assess
    expect(output()).toMatch(/DynamoDB Local\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(output()).toContain(`Secrets file       ${secretsFile}`);
    expect(hookStatus).toMatch(/^HTTP\/1\.1 204/);
    expect(isMember()).toBe(true);
    expect(output()).toMatch(syncLine);
    expect(output()).not.toContain("No application metrics");
    expect(javaPid).toBeGreaterThan(0);
    expect(isAlive(javaPid)).toBe(false);
    expect(output()).toContain("stopped.");
  }, 90_000);

  it.each(["SIGTERM", "SIGINT"] as const)(
    "%s to the npm process alone (not its group) stops every child: it prints stopped. and leaves no process of its tree running",
    async (signal) => {
      // Prepare
      const { child, output } = npmStart();
      await waitFor(() => output().includes("ready.") || child.exitCode !== null, 60_000);
      const tree = processTree(child.pid!);

      try {
        // Act
        const exited = once(child, "exit");
        process.kill(child.pid!, signal);
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
        await waitFor(() => !tree.some(({ pid }) => running(pid)), 5_000);

        // Assess
        expect(output()).toContain("ready.");
        expect(tree.filter(isDynamoDbLocal)).toHaveLength(1);
        expect(child.exitCode ?? child.signalCode, "npm exited").not.toBeNull();
        expect(output()).toContain("stopped.");
        expect(tree.filter(({ pid }) => running(pid))).toEqual([]);
      } finally {
        killLeftovers(tree);
      }
    },
    90_000,
  );

  it("SIGTERM to the npm process while it is still starting (DynamoDB Local already up) stops it all the same", async () => {
    // Prepare
    const { child, output } = npmStart();
    let tree = processTree(child.pid!);
    await waitFor(() => {
      tree = processTree(child.pid!);
      return tree.some(isDynamoDbLocal) || child.exitCode !== null;
    }, 60_000);

    try {
      // Act
      const exited = once(child, "exit");
      process.kill(child.pid!, "SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
      await waitFor(() => !tree.some(({ pid }) => running(pid)), 5_000);

      // Assess
      expect(tree.filter(isDynamoDbLocal)).toHaveLength(1);
      expect(output()).not.toContain("ready.");
      expect(child.exitCode ?? child.signalCode, "npm exited").not.toBeNull();
      expect(output()).toContain("stopped.");
      expect(tree.filter(({ pid }) => running(pid))).toEqual([]);
    } finally {
      killLeftovers(tree);
    }
  }, 90_000);

  it("explains that Java is needed when java is not on PATH", async () => {
    // Prepare
    const child = spawn(process.execPath, ["--import", "tsx", "local/start.ts"], {
      env: {
        ...inherited,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        PORT: "0",
        PATH: "/nonexistent",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });

    // Act
    const [code] = await once(child, "exit");

    // Assess
    expect(code).toBe(1);
    expect(output).toContain("DynamoDB Local needs Java 17+, but `java` was not found on PATH");
  }, 30_000);
});
