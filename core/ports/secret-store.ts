/** Reads a secret's JSON value. Adapters may cache, so a rotated value shows up within minutes. */
export interface SecretStore {
  getSecretJson(secretId: string): Promise<unknown>;
}
