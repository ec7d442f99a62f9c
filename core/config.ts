import { z } from "zod";
import { SyncError } from "./domain/errors";
import { defaultRetryPolicy, type RetryPolicy } from "./domain/retry-policy";

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value?.trim() ? value.trim() : undefined));
const optionalUrl = optionalText.pipe(z.url().optional());
const integer = (fallback: number, min: number) => z.coerce.number().int().min(min).default(fallback);

/**
 * Every environment variable the service reads, in one place (the README's configuration table is
 * this schema in prose). In AWS the Kiro credentials come from Secrets Manager through
 * `KIRO_SCIM_SECRET_ID`; locally they come from `KIRO_SCIM_URL`/`KIRO_SCIM_TOKEN` or the emulator.
 */
const EnvSchema = z
  .object({
    PORT: integer(3000, 0).pipe(z.number().max(65535)),
    LEDGER_TABLE_NAME: z.string().min(3).default("kiro-scim-sync-ledger"),
    KIRO_SCIM_URL: optionalUrl,
    KIRO_SCIM_TOKEN: optionalText,
    KIRO_SCIM_SECRET_ID: optionalText,
    SCIM_REQUEST_TIMEOUT_MS: integer(10_000, 100),
    RETRY_BASE_DELAY_MS: integer(defaultRetryPolicy.baseDelayMs, 1),
    RETRY_MAX_DELAY_MS: integer(defaultRetryPolicy.maxDelayMs, 1),
    RETRY_MAX_ATTEMPTS: integer(defaultRetryPolicy.maxAttempts, 1),
  })
  .refine((env) => (env.KIRO_SCIM_URL === undefined) === (env.KIRO_SCIM_TOKEN === undefined), {
    message: "set both KIRO_SCIM_URL and KIRO_SCIM_TOKEN, or neither",
    path: ["KIRO_SCIM_TOKEN"],
  })
  .refine((env) => env.RETRY_MAX_DELAY_MS >= env.RETRY_BASE_DELAY_MS, {
    message: "must be at least RETRY_BASE_DELAY_MS",
    path: ["RETRY_MAX_DELAY_MS"],
  });

export interface ServiceConfig {
  port: number;
  ledgerTableName: string;
  kiroScim: { url: string; token: string } | undefined;
  kiroScimSecretId: string | undefined;
  scimRequestTimeoutMs: number;
  retryPolicy: RetryPolicy;
}

/** Reads and checks the environment once; every problem is reported together, by variable name. */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServiceConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "environment"}: ${issue.message}`,
    );
    throw new SyncError("CONFIG.INVALID", `invalid configuration: ${problems.join("; ")}`, {
      retryable: false,
    });
  }
  const values = parsed.data;
  return {
    port: values.PORT,
    ledgerTableName: values.LEDGER_TABLE_NAME,
    kiroScim:
      values.KIRO_SCIM_URL && values.KIRO_SCIM_TOKEN
        ? { url: values.KIRO_SCIM_URL, token: values.KIRO_SCIM_TOKEN }
        : undefined,
    kiroScimSecretId: values.KIRO_SCIM_SECRET_ID,
    scimRequestTimeoutMs: values.SCIM_REQUEST_TIMEOUT_MS,
    retryPolicy: {
      baseDelayMs: values.RETRY_BASE_DELAY_MS,
      maxDelayMs: values.RETRY_MAX_DELAY_MS,
      maxAttempts: values.RETRY_MAX_ATTEMPTS,
    },
  };
}
