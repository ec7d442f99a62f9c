import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";

const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("npm start", () => {
  it("prints the DynamoDB Local and emulator URLs, and Ctrl-C leaves no java behind", async () => {
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
    const scimUrl = /Kiro SCIM emulator\s+(\S+)/.exec(output)?.[1];
    const token = /emulator token\s+(\S+)/.exec(output)?.[1];
    const answer = await fetch(`${scimUrl}/Users?cursor`, { headers: { authorization: `Bearer ${token}` } });

    // Act
    const exited = once(child, "exit");
    process.kill(-child.pid!, "SIGINT");
    await exited;
    await new Promise((resolve) => setTimeout(resolve, 500));

    // Assess
    expect(output).toMatch(/DynamoDB Local\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(answer.status).toBe(200);
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
