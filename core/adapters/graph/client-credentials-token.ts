import type { AuthenticationProvider } from "@microsoft/microsoft-graph-client";
import { SyncError } from "../../domain/errors";
import type { GraphCredentials } from "../../ports/identity-directory";

const defaultAuthority = "https://login.microsoftonline.com";
const graphScope = "https://graph.microsoft.com/.default";
/** MSAL's own renewal offset: a token this close to expiry can run out during a long paged read. */
const refreshMarginMs = 5 * 60_000;
/** A Lambda invocation must not sit on a hung authority until its own timeout hides the cause. */
const requestTimeoutMs = 10_000;

/** Where each setting lives when it comes from Secrets Manager instead of the environment. */
const secretField: Record<string, string> = {
  ENTRA_TENANT_ID: "tenantId",
  ENTRA_CLIENT_ID: "clientId",
  ENTRA_CLIENT_SECRET: "clientSecret",
};

interface TokenAnswer {
  access_token?: unknown;
  expires_in?: unknown;
  error?: unknown;
  error_description?: unknown;
  error_codes?: unknown;
}

/**
 * App-only Graph tokens by the OAuth 2.0 client credentials grant, done by hand: this flow is one
 * form POST, and Azure's identity SDK (MSAL, `open`) both bloats every Lambda bundle and breaks it
 * on load with a second top-level `__dirname`. One instance per credential set: the token is cached
 * and callers arriving while it is being fetched share that one request, so a burst of Graph calls
 * on a cold Lambda does not hit the authority once per call.
 */
export class ClientCredentialsToken implements AuthenticationProvider {
  private cached: { token: string; refreshAt: number } | undefined;
  private inFlight: Promise<string> | undefined;

  constructor(
    private readonly credentials: Pick<
      GraphCredentials,
      "tenantId" | "clientId" | "clientSecret" | "authorityHost"
    >,
  ) {}

  async getAccessToken(): Promise<string> {
    if (this.cached && Date.now() < this.cached.refreshAt) return this.cached.token;
    this.inFlight ??= this.requestToken().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async requestToken(): Promise<string> {
    const authority = (this.credentials.authorityHost ?? defaultAuthority).replace(/\/+$/, "");
    const url = `${authority}/${encodeURIComponent(this.credentials.tenantId)}/oauth2/v2.0/token`;
    const requestedAt = Date.now();
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({
          client_id: this.credentials.clientId,
          client_secret: this.credentials.clientSecret,
          grant_type: "client_credentials",
          scope: graphScope,
        }),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
    } catch (error) {
      throw new SyncError("IDP.UNAVAILABLE", `Entra token authority ${authority}: ${networkFailure(error)}`, {
        retryable: true,
        cause: error,
      });
    }
    const answer = await readAnswer(response);
    if (!response.ok) throw this.refusal(response.status, answer);
    const lifetimeMs = Number(answer?.expires_in) * 1000;
    if (typeof answer?.access_token !== "string" || !answer.access_token || !(lifetimeMs > 0)) {
      throw new SyncError(
        "IDP.UNAVAILABLE",
        `Entra token authority answered ${response.status} without an access_token and expires_in`,
        { retryable: true },
      );
    }
    /* Half the lifetime caps the margin so a short-lived token (a test tenant's) is still reused. */
    const margin = Math.min(refreshMarginMs, lifetimeMs / 2);
    this.cached = { token: answer.access_token, refreshAt: requestedAt + lifetimeMs - margin };
    return answer.access_token;
  }

  /**
   * 400/401 means the settings are wrong, and asking again will not fix them: not retryable, and
   * the message names the setting to check, because AADSTS codes mean nothing to whoever reads the
   * alarm. Throttling and outages of the authority are retryable like any IdP outage.
   */
  private refusal(status: number, answer: TokenAnswer | undefined): SyncError {
    const error = typeof answer?.error === "string" ? answer.error : undefined;
    const description =
      typeof answer?.error_description === "string"
        ? (answer.error_description.split(/\r?\n/)[0] ?? "").trim()
        : undefined;
    const detail = this.redact([error, description].filter(Boolean).join(": ") || "no error detail");
    if (status === 429)
      return new SyncError("IDP.THROTTLED", `Entra token authority throttled us (429): ${detail}`, {
        retryable: true,
      });
    if (status >= 500 || status === 408)
      return new SyncError("IDP.UNAVAILABLE", `Entra token authority failed (${status}): ${detail}`, {
        retryable: true,
      });
    const settings = settingsToCheck(status, error, description, answer?.error_codes);
    const where = settings.map((setting) =>
      secretField[setting] ? `${setting} (${secretField[setting]} in the Entra secret)` : setting,
    );
    return new SyncError(
      "IDP.AUTH",
      `Entra refused the client credentials (${status} ${detail}); check ${where.join(", ")}`,
      { retryable: false },
    );
  }

  /** Entra never echoes the secret, but a proxy or a future error format might. */
  private redact(text: string): string {
    return this.credentials.clientSecret ? text.replaceAll(this.credentials.clientSecret, "***") : text;
  }
}

async function readAnswer(response: Response): Promise<TokenAnswer | undefined> {
  const text = await response.text().catch(() => "");
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === "object" ? (parsed as TokenAnswer) : undefined;
  } catch {
    return undefined;
  }
}

/** A timeout reads better as such than as "This operation was aborted". */
function networkFailure(error: unknown): string {
  if ((error as Error).name === "TimeoutError") return `no answer within ${requestTimeoutMs / 1000} s`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const message = (error as Error).message ?? String(error);
  return cause?.code || cause?.message ? `${message} (${cause.code ?? cause.message})` : message;
}

/** The AADSTS codes a client-credentials request meets when one of the three settings is wrong. */
function settingsToCheck(
  status: number,
  error: string | undefined,
  description: string | undefined,
  codes: unknown,
): string[] {
  const aadsts = Array.isArray(codes)
    ? Number(codes[0])
    : Number(/AADSTS(\d+)/.exec(description ?? "")?.[1] ?? Number.NaN);
  if ([7000215, 7000218, 7000222].includes(aadsts)) return ["ENTRA_CLIENT_SECRET"];
  if (aadsts === 700016) return ["ENTRA_CLIENT_ID", "ENTRA_TENANT_ID"];
  if ([90002, 900023].includes(aadsts)) return ["ENTRA_TENANT_ID"];
  if (error === "invalid_client") return ["ENTRA_CLIENT_SECRET"];
  if (error === "unauthorized_client") return ["ENTRA_CLIENT_ID"];
  if (status === 404) return ["ENTRA_TENANT_ID", "ENTRA_AUTHORITY_HOST"];
  return ["ENTRA_TENANT_ID", "ENTRA_CLIENT_ID", "ENTRA_CLIENT_SECRET"];
}
