import { execSync, spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { isAlive } from "../support/processes";

const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", PORT: "0" };

describe("npm start", () => {
  it("prints the URLs and a curl that puts the newcomer into the Kiro group; Ctrl-C leaves no java behind", async () => {
    // Prepare
    const child = spawn("npm", ["start"], { detached: true, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const deadline = Date.now() + 60_000;
    while (!output.includes("ready.") && Date.now() < deadline && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const javaPid = Number(/DynamoDB Local\s+\S+\s+\(pid (\d+)/.exec(output)?.[1]);
    const curl = /^\s*(curl -si -X POST .*)$/m.exec(output)?.[1] ?? "";
    const stateUrl = /see the member in Kiro:\s+curl -s (\S+)/.exec(output)?.[1] ?? "";
    const newcomer = /Okta says (\S+) joined (\S+)\./.exec(output);
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

    // Act
    const exited = once(child, "exit");
    process.kill(-child.pid!, "SIGINT");
    await exited;
    await new Promise((resolve) => setTimeout(resolve, 500));

    // Assess
    expect(output).toMatch(/DynamoDB Local\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(hookStatus).toMatch(/^HTTP\/1\.1 204/);
    expect(isMember()).toBe(true);
    expect(javaPid).toBeGreaterThan(0);
    expect(isAlive(javaPid)).toBe(false);
    expect(output).toContain("stopped.");
  }, 90_000);

  it("explains that Java is needed when java is not on PATH", async () => {
    // Prepare
    const child = spawn(process.execPath, ["--import", "tsx", "local/start.ts"], {
      env: { ...env, PATH: "/nonexistent" },
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
