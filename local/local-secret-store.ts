import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { ServiceConfig } from "../core/config";
import { SyncError } from "../core/domain/errors";
import type { SecretStore } from "../core/ports/secret-store";

/** The secrets the local runtime keeps in the file, named and shaped as the AWS secrets are. */
const kiroSecret = "KiroScim";
const statusTokenSecret = "StatusToken";
const adminTokenSecret = "AdminToken";

/**
 * The local runtime's secrets: a JSON file holding the `KiroScim`, `StatusToken` and `AdminToken` secrets in their
 * AWS shapes, resolved by the same code as Secrets Manager's. It is read again on every use (a file
 * read costs nothing next to a SCIM call), so an edited token counts from the next request, as a
 * rotated secret does in AWS once the cache expires. The Okta and Entra credentials stay in the
 * environment: their clients are built once, in AWS too, so a file would not make them rotate.
 */
export class LocalSecretStore implements SecretStore {
  private constructor(
    readonly file: string,
    private readonly temporaryDir: string | undefined,
  ) {}

  /** The named file, or one of this runtime's own (removed at stop), so parallel runtimes never share one. */
  static async open(file: string | undefined): Promise<LocalSecretStore> {
    if (file) return new LocalSecretStore(resolve(file), undefined);
    const dir = await mkdtemp(join(tmpdir(), "kiro-scim-sync-secrets-"));
    return new LocalSecretStore(join(dir, "secrets.json"), dir);
  }

  async getSecretJson(secretId: string): Promise<unknown> {
    const value = (await this.read())[secretId];
    if (value === undefined)
      throw new SyncError("CONFIG.SECRET_EMPTY", `secret ${secretId} is not in ${this.file}`, {
        retryable: false,
      });
    return value;
  }

  /**
   * Sets these secrets and keeps the others. Written whole and renamed into place, so a reader never
   * meets half a file; owner-only, like any file holding a token.
   */
  async put(secrets: Record<string, unknown>): Promise<void> {
    const current = await this.read().catch(() => ({}));
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    const partial = `${this.file}.${process.pid}.tmp`;
    await writeFile(partial, `${JSON.stringify({ ...current, ...secrets }, null, 2)}\n`, { mode: 0o600 });
    await rename(partial, this.file);
  }

  /**
   * Writes the Kiro endpoint and the status and admin tokens the runtime starts with (the
   * environment's, or the emulator's and generated ones) and answers the configuration that reads
   * them from this file.
   * The environment seeds the file at each start; while the runtime runs, the file is what counts.
   */
  async seed(config: ServiceConfig): Promise<ServiceConfig> {
    await this.put({
      ...(config.kiroScim ? { [kiroSecret]: config.kiroScim } : {}),
      ...(config.statusToken ? { [statusTokenSecret]: { token: config.statusToken } } : {}),
      ...(config.adminToken ? { [adminTokenSecret]: { token: config.adminToken } } : {}),
    });
    return {
      ...config,
      kiroScim: undefined,
      kiroScimSecretId: config.kiroScim ? kiroSecret : config.kiroScimSecretId,
      statusToken: undefined,
      statusTokenSecretId: config.statusToken ? statusTokenSecret : config.statusTokenSecretId,
      adminToken: undefined,
      adminTokenSecretId: config.adminToken ? adminTokenSecret : config.adminTokenSecretId,
    };
  }

  async stop(): Promise<void> {
    if (this.temporaryDir) await rm(this.temporaryDir, { recursive: true, force: true });
  }

  /**
   * A file that is missing is a setup problem; one that is not JSON is usually an editor halfway
   * through saving it, so that failure is retryable and the next attempt reads the whole file.
   */
  private async read(): Promise<Record<string, unknown>> {
    const text = await readFile(this.file, "utf8").catch((error: unknown) => {
      throw new SyncError("CONFIG.SECRET_EMPTY", `the local secrets file ${this.file} cannot be read`, {
        retryable: false,
        cause: error,
      });
    });
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch (error) {
      throw new SyncError("CONFIG.SECRET_NOT_JSON", `the local secrets file ${this.file} is not JSON`, {
        retryable: true,
        cause: error,
      });
    }
    throw new SyncError("CONFIG.SECRET_SHAPE", `the local secrets file ${this.file} is not a JSON object`, {
      retryable: false,
    });
  }
}
