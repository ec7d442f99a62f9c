import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SyncError } from "../../domain/errors";
import type { SecretStore } from "../../ports/secret-store";

/**
 * Secrets Manager with a short in-memory cache: a warm Lambda does not pay a call per invocation,
 * and a rotated Kiro token is picked up within `ttlMs` without a redeploy.
 */
export class SecretsManagerStore implements SecretStore {
  private readonly cache = new Map<string, { value: unknown; expiresAt: number }>();

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  async getSecretJson(secretId: string, options: { fresh?: boolean } = {}): Promise<unknown> {
    const cached = this.cache.get(secretId);
    if (cached && cached.expiresAt > Date.now() && !options.fresh) return cached.value;
    const result = await this.client
      .send(new GetSecretValueCommand({ SecretId: secretId }))
      .catch((error: { name?: string }) => {
        /* A secret the stack created but nobody filled yet has no AWSCURRENT version. */
        if (error.name !== "ResourceNotFoundException") throw error;
        throw new SyncError(
          "CONFIG.SECRET_EMPTY",
          `secret ${secretId} has no value yet; put one with put-secret-value (see the README's deploy steps)`,
          { retryable: false, cause: error },
        );
      });
    if (!result.SecretString) {
      throw new SyncError(
        "CONFIG.SECRET_EMPTY",
        `secret ${secretId} has no value yet; put one with put-secret-value`,
        {
          retryable: false,
        },
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(result.SecretString);
    } catch (error) {
      throw new SyncError("CONFIG.SECRET_NOT_JSON", `secret ${secretId} is not JSON`, {
        retryable: false,
        cause: error,
      });
    }
    this.cache.set(secretId, { value, expiresAt: Date.now() + this.ttlMs });
    return value;
  }
}
