/** Reads a secret's JSON value. Adapters may cache, so a rotated value shows up within minutes. */
export interface SecretStore {
  /** `fresh` skips any cache: a check of credentials someone may just have fixed must see the fix. */
  getSecretJson(secretId: string, options?: { fresh?: boolean }): Promise<unknown>;
}
