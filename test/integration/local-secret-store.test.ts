import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SyncError } from "../../core/domain/errors";
import { LocalSecretStore } from "../../local/local-secret-store";

const dir = mkdtempSync(join(tmpdir(), "local-secret-store-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = () => join(dir, `secrets-${++files}.json`);

describe("LocalSecretStore", () => {
  it("answers a secret as the file holds it now, and keeps the other secrets when one is put", async () => {
    // Prepare
    const file = newFile();
    const store = await LocalSecretStore.open(file);
    await store.put({ KiroScim: { url: "http://kiro.test/scim/v2", token: "first" }, Other: { a: 1 } });
    const first = await store.getSecretJson("KiroScim");

    // Act
    writeFileSync(file, JSON.stringify({ KiroScim: { url: "http://kiro.test/scim/v2", token: "second" } }));
    const edited = await store.getSecretJson("KiroScim");
    await store.put({ StatusToken: { token: "status-0123456789abcdef" } });

    // Assess
    expect(first).toEqual({ url: "http://kiro.test/scim/v2", token: "first" });
    expect(edited).toEqual({ url: "http://kiro.test/scim/v2", token: "second" });
    expect(await store.getSecretJson("KiroScim")).toEqual(edited);
    expect(await store.getSecretJson("StatusToken")).toEqual({ token: "status-0123456789abcdef" });
  });

  it("fails retryably on a file an editor is halfway through saving, so the next attempt reads it whole", async () => {
    // Prepare
    const file = newFile();
    const store = await LocalSecretStore.open(file);
    writeFileSync(file, '{"KiroScim": {"url": "http://kiro.test/sc');

    // Act
    const error = await store.getSecretJson("KiroScim").catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(SyncError);
    expect(error).toMatchObject({ code: "CONFIG.SECRET_NOT_JSON", retryable: true });
  });

  it("names the file when a secret is not in it", async () => {
    // Prepare
    const file = newFile();
    const store = await LocalSecretStore.open(file);
    await store.put({ StatusToken: { token: "status-0123456789abcdef" } });

    // Act
    const error = await store.getSecretJson("KiroScim").catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: "CONFIG.SECRET_EMPTY", retryable: false });
    expect((error as Error).message).toContain(file);
  });

  it("keeps a file of its own in the temp directory when none is named, and removes it at stop", async () => {
    // Prepare
    const store = await LocalSecretStore.open(undefined);
    await store.put({ StatusToken: { token: "status-0123456789abcdef" } });
    const existed = existsSync(store.file);

    // Act
    await store.stop();

    // Assess
    expect(store.file.startsWith(tmpdir())).toBe(true);
    expect(existed).toBe(true);
    expect(existsSync(store.file)).toBe(false);
  });
});
