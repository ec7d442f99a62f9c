import { describe, expect, it } from "vitest";
import { ScimError, SyncError } from "../../core/domain/errors";
import { type PreflightProbe, requireLength, runPreflight } from "../../core/use-cases/run-preflight";

const failing = (check: PreflightProbe["check"], error: unknown): PreflightProbe => ({
  check,
  configured: true,
  run: async () => {
    throw error;
  },
});

const passing = (check: PreflightProbe["check"], detail = "ok"): PreflightProbe => ({
  check,
  configured: true,
  run: async () => detail,
});

describe("runPreflight", () => {
  it("reports a probe's warning with its fix and keeps the report ok; a failure carries its code", async () => {
    // Prepare
    const warning: PreflightProbe = {
      check: "sync-groups",
      configured: true,
      run: async () => ({
        warning: "SYNC_GROUPS entry `x` matches no okta group",
        fix: "Correct SYNC_GROUPS.",
      }),
    };

    // Act
    const warned = await runPreflight([warning, passing("kiro-scim")]);
    const failed = await runPreflight([
      warning,
      failing("kiro-scim", new SyncError("SCIM.AUTH", "Kiro SCIM 401", { retryable: false })),
    ]);

    // Assess
    expect(warned.ok).toBe(true);
    expect(warned.checks[0]).toEqual({
      id: "sync-groups",
      check: "Sync groups",
      result: "warn",
      detail: "SYNC_GROUPS entry `x` matches no okta group",
      fix: "Correct SYNC_GROUPS.",
    });
    expect(failed.ok).toBe(false);
    expect(failed.checks[1]).toMatchObject({ id: "kiro-scim", result: "fail", code: "SCIM.AUTH" });
  });

  it("skips an unconfigured check without running it, and a skip does not fail the report", async () => {
    // Prepare
    let ran = false;
    const probe: PreflightProbe = {
      check: "entra-graph",
      configured: false,
      run: async () => {
        ran = true;
        return "ran";
      },
    };

    // Act
    const report = await runPreflight([probe, passing("kiro-scim")]);

    // Assess
    expect(ran).toBe(false);
    expect(report.ok).toBe(true);
    expect(report.checks[0]).toMatchObject({ check: "Microsoft Graph", result: "skipped" });
    expect(report.checks[0]?.detail).toContain("ENTRA_TENANT_ID");
    expect(report.checks[1]).toEqual({
      id: "kiro-scim",
      check: "Kiro SCIM token",
      result: "pass",
      detail: "ok",
    });
  });

  it("fails a check that does not answer within its deadline, and still reports the others", async () => {
    // Prepare
    const hung: PreflightProbe = { check: "okta-api", configured: true, run: () => new Promise(() => {}) };

    // Act
    const report = await runPreflight([hung, passing("status-token")], { timeoutMs: 50 });

    // Assess
    expect(report.ok).toBe(false);
    expect(report.checks[0]).toMatchObject({ check: "Okta API token", result: "fail" });
    expect(report.checks[0]?.detail).toContain("PREFLIGHT.TIMEOUT");
    expect(report.checks[0]?.fix).toMatch(/^No answer within 50 ms/);
    expect(report.checks[1]?.result).toBe("pass");
  });

  it("runs the checks at the same time, not one after another", async () => {
    // Prepare
    const started: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const waiting = (check: PreflightProbe["check"]): PreflightProbe => ({
      check,
      configured: true,
      run: async () => {
        started.push(check);
        if (started.length === 2) release();
        await gate;
        return "ok";
      },
    });

    // Act
    const report = await runPreflight([waiting("event-bus"), waiting("scheduler")], { timeoutMs: 1_000 });

    // Assess
    expect(report.ok).toBe(true);
    expect(started).toEqual(["event-bus", "scheduler"]);
  });

  it("tells a revoked Kiro token to be replaced in the KiroScim secret", async () => {
    // Act
    const report = await runPreflight([
      failing("kiro-scim", new ScimError("auth", "The security token is invalid.", { status: 401 })),
    ]);

    // Assess
    expect(report.checks[0]?.result).toBe("fail");
    expect(report.checks[0]?.fix).toContain("wrong or revoked");
    expect(report.checks[0]?.fix).toContain("KiroScim secret as {url, token}");
  });

  it("tells a wrong Kiro URL apart from an unreachable host", async () => {
    // Act
    const report = await runPreflight([
      failing("kiro-scim", new ScimError("not-found", "Not found.", { status: 404 })),
      failing("kiro-scim", new ScimError("connection", "connection failed (ENOTFOUND)")),
    ]);

    // Assess
    expect(report.checks[0]?.fix).toContain("The Kiro SCIM URL is wrong");
    expect(report.checks[1]?.fix).toContain("unreachable");
  });

  it("names the Okta scopes and admin role when Okta answers 403, and a new token when it answers 401", async () => {
    // Act
    const report = await runPreflight([
      failing("okta-api", new SyncError("IDP.FORBIDDEN", "403", { retryable: false })),
      failing("okta-api", new SyncError("IDP.AUTH", "401", { retryable: false })),
    ]);

    // Assess
    expect(report.checks[0]?.fix).toContain("okta.groups.read and okta.users.read");
    expect(report.checks[0]?.fix).toContain("Read-Only Administrator");
    expect(report.checks[1]?.fix).toContain("create a new API token");
  });

  it("asks for Group.Read.All with admin consent when Graph refuses the group read", async () => {
    // Act
    const report = await runPreflight([
      failing("entra-graph", new SyncError("IDP.FORBIDDEN", "403", { retryable: false })),
    ]);

    // Assess
    expect(report.checks[0]?.fix).toContain("Group.Read.All");
    expect(report.checks[0]?.fix).toContain("admin consent");
  });

  it("explains a secret that has no value yet with the secret's name and shape", async () => {
    // Prepare
    const noValue = Object.assign(new Error("can't find the specified secret value"), {
      name: "ResourceNotFoundException",
    });

    // Act
    const report = await runPreflight([failing("status-token", noValue)]);

    // Assess
    expect(report.checks[0]?.detail).toMatch(/^ResourceNotFoundException: /);
    expect(report.checks[0]?.fix).toContain("StatusToken secret");
  });

  it("turns a probe that throws synchronously or throws a non-error into a failed row", async () => {
    // Prepare
    const synchronous: PreflightProbe = {
      check: "event-bus",
      configured: true,
      run: () => {
        throw new Error("boom");
      },
    };

    // Act
    const report = await runPreflight([synchronous, failing("scheduler", "just a string")]);

    // Assess
    expect(report.ok).toBe(false);
    expect(report.checks.map((check) => check.result)).toEqual(["fail", "fail"]);
    expect(report.checks[0]?.fix).toContain("EventBridge did not answer");
    expect(report.checks[1]?.detail).toBe("UNKNOWN: just a string");
  });

  it("keeps the values it was told about out of details, whatever a service echoes", async () => {
    // Prepare
    const token = "tok-0123456789abcdef";
    const echoed = new ScimError("auth", `token ${token} is not valid`, { status: 401 });

    // Act
    const report = await runPreflight(
      [failing("kiro-scim", echoed), passing("status-token", `is ${token}`)],
      {
        secrets: () => [token],
      },
    );

    // Assess
    expect(JSON.stringify(report)).not.toContain(token);
    expect(report.checks[0]?.detail).toContain("[redacted]");
  });
});

describe("requireLength", () => {
  it("accepts a clientState of 16 to 128 characters and refuses one outside", () => {
    // Act
    const tooShort = () => requireLength("clientState", "x".repeat(15), 16, 128);
    const tooLong = () => requireLength("clientState", "x".repeat(129), 16, 128);
    const fine = () => requireLength("clientState", "x".repeat(16), 16, 128);

    // Assess
    expect(tooShort).toThrow(expect.objectContaining({ code: "CONFIG.SECRET_LENGTH" }));
    expect(tooLong).toThrow(/16–128/);
    expect(fine).not.toThrow();
  });
});
