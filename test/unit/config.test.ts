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
});
