import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRuntime } from "../../local/local-runtime";
import {
  addOktaUser,
  kiroMembersByExternalId,
  startTestRuntime,
  stopTestRuntime,
  syncNewGroup,
} from "../support/runtime-fixture";

const dir = mkdtempSync(join(tmpdir(), "local-secrets-test-"));
const file = join(dir, "secrets.json");
let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({ LOCAL_SECRETS_FILE: file });
});
afterAll(async () => {
  await stopTestRuntime(runtime);
  rmSync(dir, { recursive: true, force: true });
});

/** The file as an operator edits it: the whole JSON object, with one secret changed. */
function editSecretsFile(changes: Record<string, unknown>): void {
  const current = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : {};
  writeFileSync(file, JSON.stringify({ ...current, ...changes }, null, 2));
}

describe("the local secrets file (LOCAL_SECRETS_FILE)", () => {
  it("is written at start with the Kiro endpoint and the status and admin tokens the runtime uses, for its owner only", () => {
    // Act
    const secrets = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;

    // Assess
    expect(secrets).toEqual({
      KiroScim: { url: runtime.emulator!.profile.scimUrl, token: runtime.emulator!.profile.token },
      StatusToken: { token: runtime.config.statusToken },
      AdminToken: { token: runtime.config.adminToken },
    });
    expect(runtime.config.statusToken!.length).toBeGreaterThanOrEqual(32);
    expect(runtime.config.adminToken!.length).toBeGreaterThanOrEqual(32);
    expect(runtime.config.adminToken).not.toBe(runtime.config.statusToken);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("takes a rotated Kiro token without a restart: a sync after the rotation reaches Kiro", async () => {
    // Prepare
    const emulator = runtime.emulator!;
    const before = await syncNewGroup(runtime, "BeforeRotation", [addOktaUser(runtime)]);
    const oldToken = emulator.profile.token;
    const rotated = emulator.addToken();
    emulator.revokeToken(oldToken);
    const person = addOktaUser(runtime);

    // Act
    editSecretsFile({ KiroScim: { url: emulator.profile.scimUrl, token: rotated } });
    const after = await syncNewGroup(runtime, "AfterRotation", [person]);

    // Assess
    expect(kiroMembersByExternalId(runtime, before.name)).toHaveLength(1);
    expect(kiroMembersByExternalId(runtime, after.name)).toEqual([person.id]);
    expect(
      emulator.requests().filter((entry) => entry.status === 401),
      "no request went out with the revoked token",
    ).toEqual([]);
  }, 60_000);

  it("takes a rotated status token without a restart, and refuses the old one", async () => {
    // Prepare
    const oldToken = runtime.config.statusToken;
    const newToken = "rotated-status-token-0123456789abcdef";
    const status = (token: string | undefined) =>
      fetch(`${runtime.url}/status`, { headers: { authorization: `Bearer ${token}` } });

    // Act
    editSecretsFile({ StatusToken: { token: newToken } });
    const withNew = await status(newToken);
    const withOld = await status(oldToken);

    // Assess
    expect(withNew.status).toBe(200);
    expect(withOld.status).toBe(401);
  });

  it.each([
    ["StatusToken", "GET", "/status"],
    ["AdminToken", "POST", "/admin/reconcile?dryRun=true"],
  ])(
    "treats a %s under 32 characters as not set: 503 naming the secret to fill, the short token never accepted",
    async (secret, method, path) => {
      // Prepare
      const current = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
      const short = "short-but-16-plus-chars";

      // Act
      editSecretsFile({ [secret]: { token: short } });
      const answer = await fetch(`${runtime.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${short}` },
      }).finally(() => editSecretsFile({ [secret]: current[secret] }));
      const body = (await answer.json()) as { message: string };

      // Assess
      expect(short.length).toBeLessThan(32);
      expect(answer.status).toBe(503);
      expect(body.message).toContain(`the ${secret} secret`);
      expect(body.message).toContain("at least 32");
    },
  );
});
