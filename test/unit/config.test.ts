import { describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config";

describe("loadConfig", () => {
  it("runs on embedded defaults with an empty environment", () => {
    // Act
    const config = loadConfig({});

    // Assess
    expect(config).toMatchObject({
      port: 3000,
      ledgerTableName: "kiro-scim-sync-ledger",
      kiroScim: undefined,
      retryPolicy: { baseDelayMs: 1000, maxDelayMs: 900000, maxAttempts: 10 },
    });
  });

  it("takes real Kiro credentials only as a pair", () => {
    // Act
    const pair = loadConfig({
      KIRO_SCIM_URL: "https://scim.us-east-1.amazonaws.com/d-123/scim/v2",
      KIRO_SCIM_TOKEN: "t",
    });
    const half = () => loadConfig({ KIRO_SCIM_URL: "https://scim.us-east-1.amazonaws.com/d-123/scim/v2" });

    // Assess
    expect(pair.kiroScim).toEqual({ url: "https://scim.us-east-1.amazonaws.com/d-123/scim/v2", token: "t" });
    expect(half).toThrow("KIRO_SCIM_TOKEN: set both KIRO_SCIM_URL and KIRO_SCIM_TOKEN, or neither");
  });

  it("names every bad variable in one error", () => {
    // Act
    const attempt = () =>
      loadConfig({
        PORT: "not-a-port",
        KIRO_SCIM_URL: "nope",
        KIRO_SCIM_TOKEN: "t",
        RETRY_MAX_ATTEMPTS: "0",
      });

    // Assess
    expect(attempt).toThrow(/PORT: .*KIRO_SCIM_URL: .*RETRY_MAX_ATTEMPTS: /);
  });

  it.each([
    ["SYNC_GROUPS", ",,", "SYNC_GROUPS: names no group"],
    ["SYNC_GROUPS", " , ", "SYNC_GROUPS: names no group"],
    ["OKTA_HOOK_SECRET", "x", "OKTA_HOOK_SECRET: must be at least 16 characters"],
    ["STATUS_TOKEN", "status-token-of-31-characters--", "STATUS_TOKEN: must be at least 32 characters"],
    ["ADMIN_TOKEN", "admin-token-of-31-characters---", "ADMIN_TOKEN: must be at least 32 characters"],
    ["ENTRA_CLIENT_STATE", "state", "ENTRA_CLIENT_STATE: must be at least 16 characters"],
  ])("stops on %s=%j, naming the variable and the rule", (name, value, message) => {
    // Act
    const attempt = () => loadConfig({ [name]: value });

    // Assess
    expect(attempt).toThrow(message);
  });

  it("takes a scope of one group and secrets of the promised length", () => {
    // Act
    const config = loadConfig({
      SYNC_GROUPS: ",Kiro-*,",
      OKTA_HOOK_SECRET: "Basic 0123456789abcdef",
      STATUS_TOKEN: "status-token-of-32-characters---",
      ADMIN_TOKEN: "admin-token-of-32-characters----",
    });

    // Assess
    expect(config.syncGroups).toBe(",Kiro-*,");
    expect(config.okta.hookSecret).toBe("Basic 0123456789abcdef");
    expect(config.statusToken).toBe("status-token-of-32-characters---");
    expect(config.adminToken).toBe("admin-token-of-32-characters----");
  });

  it("stops when the admin token is the status token, naming ADMIN_TOKEN", () => {
    // Prepare
    const token = "one-token-for-reading-and-acting";

    // Act
    const attempt = () => loadConfig({ STATUS_TOKEN: token, ADMIN_TOKEN: token });

    // Assess
    expect(attempt).toThrow("ADMIN_TOKEN: must differ from STATUS_TOKEN");
  });

  it("runs the local Entra job every 30 minutes unless ENTRA_DELTA_INTERVAL_SECONDS says otherwise", () => {
    // Act
    const fallback = loadConfig({});
    const set = loadConfig({ ENTRA_DELTA_INTERVAL_SECONDS: "90" });

    // Assess
    expect(fallback.entra.deltaIntervalMs).toBe(30 * 60_000);
    expect(set.entra.deltaIntervalMs).toBe(90_000);
  });

  it.each(["0", "-30", "1.5", "half an hour"])(
    "stops on ENTRA_DELTA_INTERVAL_SECONDS=%j, naming the variable",
    (value) => {
      // Act
      const attempt = () => loadConfig({ ENTRA_DELTA_INTERVAL_SECONDS: value });

      // Assess
      expect(attempt).toThrow(/invalid configuration: ENTRA_DELTA_INTERVAL_SECONDS: /);
    },
  );

  it("makes the 03:00 UTC reconcile a deep audit unless DEEP_AUDIT_HOUR_UTC says another hour or off", () => {
    // Act
    const fallback = loadConfig({});
    const set = loadConfig({ DEEP_AUDIT_HOUR_UTC: "22" });
    const off = loadConfig({ DEEP_AUDIT_HOUR_UTC: "off" });

    // Assess
    expect(fallback.deepAuditHourUtc).toBe(3);
    expect(set.deepAuditHourUtc).toBe(22);
    expect(off.deepAuditHourUtc).toBeUndefined();
  });

  it.each(["24", "-1", "2.5", "nightly"])("stops on DEEP_AUDIT_HOUR_UTC=%j, naming the variable", (value) => {
    // Act
    const attempt = () => loadConfig({ DEEP_AUDIT_HOUR_UTC: value });

    // Assess
    expect(attempt).toThrow(/invalid configuration: DEEP_AUDIT_HOUR_UTC: /);
  });
});
