import { ScimError, type ScimErrorKind } from "../../domain/errors";
import { type KiroUserProfile, kiroLimits, toScimUserResource } from "../../domain/kiro-user";
import {
  defaultRetryPolicy,
  hasAttemptsLeft,
  type RetryPolicy,
  retryDelayMs,
} from "../../domain/retry-policy";
import type { KiroScimPort, ScimGroup, ScimPage, ScimUser, ScimUserPatch } from "../../ports/kiro-scim";

export interface ScimHttpClientOptions {
  /** `https://scim.<region>.amazonaws.com/<tenant>/scim/v2` or the Kiro profile's SCIM endpoint. */
  baseUrl: string;
  token: string;
  requestTimeoutMs?: number;
  retryPolicy?: RetryPolicy;
  /**
   * Retryable failures are retried inside the call only while the policy's delay stays below this
   * bound; longer waits are handed to the caller (and so to the scheduler) instead of holding a
   * Lambda invocation open.
   */
  maxInProcessWaitMs?: number;
  maxInProcessAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Where the token comes from, read afresh: a refused token is looked up once more before the
   * refusal counts, so a token replaced in the secret (rotated, or revoked and re-issued) is used
   * at once rather than when a cache expires.
   */
  currentToken?: () => Promise<string>;
}

const patchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const groupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";

/**
 * The one SCIM client. fetch (undici) keeps connections alive by default, which matters because a
 * sync is hundreds of small requests to one host.
 */
export class ScimHttpClient implements KiroScimPort {
  private readonly baseUrl: string;
  private token: string;
  private readonly currentToken: (() => Promise<string>) | undefined;
  private readonly timeoutMs: number;
  private readonly policy: RetryPolicy;
  private readonly maxWaitMs: number;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  /**
   * Kiro throttles the tenant, not one request: after a 429 with Retry-After, nothing goes out
   * through this client before that time, whichever request asks.
   */
  private notBefore = 0;

  constructor(options: ScimHttpClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.token = options.token;
    this.currentToken = options.currentToken;
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.policy = options.retryPolicy ?? defaultRetryPolicy;
    this.maxWaitMs = options.maxInProcessWaitMs ?? 5_000;
    this.maxAttempts = options.maxInProcessAttempts ?? 3;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async createUser(profile: KiroUserProfile): Promise<ScimUser> {
    return toScimUser(await this.send("POST", "/Users", toScimUserResource(profile)));
  }

  async getUser(id: string): Promise<ScimUser | undefined> {
    const body = await this.sendOrUndefinedOn404("GET", `/Users/${encodeURIComponent(id)}`);
    return body === undefined ? undefined : toScimUser(body);
  }

  async findUserByUserName(userName: string): Promise<ScimUser | undefined> {
    return firstOf(await this.filter("/Users", eq("userName", userName)), toScimUser);
  }

  async findUserByExternalId(externalId: string): Promise<ScimUser | undefined> {
    return firstOf(await this.filter("/Users", eq("externalId", externalId)), toScimUser);
  }

  async patchUser(id: string, operations: ScimUserPatch[]): Promise<ScimUser> {
    const body = { schemas: [patchSchema], Operations: operations };
    return toScimUser(await this.send("PATCH", `/Users/${encodeURIComponent(id)}`, body));
  }

  async replaceUser(id: string, profile: KiroUserProfile): Promise<ScimUser> {
    const body = { ...toScimUserResource(profile), id };
    return toScimUser(await this.send("PUT", `/Users/${encodeURIComponent(id)}`, body));
  }

  async deleteUser(id: string): Promise<void> {
    await this.sendOrUndefinedOn404("DELETE", `/Users/${encodeURIComponent(id)}`);
  }

  async listUsers(cursor?: string): Promise<ScimPage<ScimUser>> {
    const page = await this.page("/Users", cursor);
    return { items: page.items.map(toScimUser), nextCursor: page.nextCursor };
  }

  async createGroup(group: { displayName: string; externalId: string }): Promise<ScimGroup> {
    const body = { schemas: [groupSchema], displayName: group.displayName, externalId: group.externalId };
    return toScimGroup(await this.send("POST", "/Groups", body));
  }

  async getGroup(id: string): Promise<ScimGroup | undefined> {
    const body = await this.sendOrUndefinedOn404("GET", `/Groups/${encodeURIComponent(id)}`);
    return body === undefined ? undefined : toScimGroup(body);
  }

  async findGroupByDisplayName(displayName: string): Promise<ScimGroup | undefined> {
    return firstOf(await this.filter("/Groups", eq("displayName", displayName)), toScimGroup);
  }

  async findGroupByExternalId(externalId: string): Promise<ScimGroup | undefined> {
    return firstOf(await this.filter("/Groups", eq("externalId", externalId)), toScimGroup);
  }

  async updateGroup(id: string, changes: { displayName?: string; externalId?: string }): Promise<void> {
    const Operations = Object.entries(changes)
      .filter(([, value]) => value !== undefined)
      .map(([path, value]) => ({ op: "replace", path, value }));
    if (Operations.length === 0) return;
    await this.send("PATCH", `/Groups/${encodeURIComponent(id)}`, { schemas: [patchSchema], Operations });
  }

  async addMembers(groupId: string, userIds: readonly string[]): Promise<void> {
    await this.patchMembers(groupId, "add", userIds);
  }

  async removeMembers(groupId: string, userIds: readonly string[]): Promise<void> {
    await this.patchMembers(groupId, "remove", userIds);
  }

  async deleteGroup(id: string): Promise<void> {
    await this.sendOrUndefinedOn404("DELETE", `/Groups/${encodeURIComponent(id)}`);
  }

  async listGroups(cursor?: string): Promise<ScimPage<ScimGroup>> {
    const page = await this.page("/Groups", cursor);
    return { items: page.items.map(toScimGroup), nextCursor: page.nextCursor };
  }

  async isMember(groupId: string, userId: string): Promise<boolean> {
    const found = await this.filter("/Groups", `${eq("id", groupId)} and ${eq("members", userId)}`);
    return found.length > 0;
  }

  async listGroupsOfUser(userId: string): Promise<ScimGroup[]> {
    const groups: ScimGroup[] = [];
    let cursor: string | undefined = "";
    while (cursor !== undefined) {
      const page = await this.page("/Groups", cursor, eq("members.value", userId));
      groups.push(...page.items.map(toScimGroup));
      cursor = page.nextCursor;
    }
    return groups;
  }

  /**
   * The discovery document first: a 404 there means the base URL is wrong, whereas a 404 on a
   * resource would only mean a missing object. Then one user, because Kiro may answer discovery
   * for a token that cannot read the directory.
   */
  async checkAccess(): Promise<void> {
    await this.send("GET", "/ServiceProviderConfig");
    await this.send("GET", "/Users?count=1");
  }

  private async patchMembers(
    groupId: string,
    op: "add" | "remove",
    userIds: readonly string[],
  ): Promise<void> {
    const chunk = kiroLimits.maxMemberChangesPerPatch;
    for (let start = 0; start < userIds.length; start += chunk) {
      const value = userIds.slice(start, start + chunk).map((id) => ({ value: id }));
      const body = { schemas: [patchSchema], Operations: [{ op, path: "members", value }] };
      await this.send("PATCH", `/Groups/${encodeURIComponent(groupId)}`, body);
    }
  }

  private async filter(resource: string, filter: string): Promise<JsonObject[]> {
    return (await this.page(resource, undefined, filter)).items;
  }

  /** One page. `cursor === ""` asks for the first page in cursor mode (a bare `?cursor`). */
  private async page(
    resource: string,
    cursor: string | undefined,
    filter?: string,
  ): Promise<{ items: JsonObject[]; nextCursor?: string }> {
    const query = new URLSearchParams();
    if (filter) query.set("filter", filter);
    query.set("count", String(kiroLimits.maxPageSize));
    let path = `${resource}?${query.toString()}`;
    if (cursor !== undefined) path += cursor === "" ? "&cursor" : `&cursor=${encodeURIComponent(cursor)}`;
    const body = (await this.send("GET", path)) as { Resources?: JsonObject[]; nextCursor?: string };
    return { items: body.Resources ?? [], ...(body.nextCursor ? { nextCursor: body.nextCursor } : {}) };
  }

  private async sendOrUndefinedOn404(method: string, path: string): Promise<JsonObject | undefined> {
    try {
      return await this.send(method, path);
    } catch (error) {
      if (error instanceof ScimError && error.kind === "not-found") return undefined;
      throw error;
    }
  }

  private async send(method: string, path: string, body?: unknown): Promise<JsonObject> {
    let tokenChecked = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.sendOnce(method, path, body);
      } catch (error) {
        if (
          error instanceof ScimError &&
          error.kind === "auth" &&
          !tokenChecked &&
          (await this.tokenReplaced())
        ) {
          tokenChecked = true;
          attempt -= 1;
          continue;
        }
        if (!(error instanceof ScimError) || !error.retryable) throw error;
        if (attempt >= this.maxAttempts || !hasAttemptsLeft(this.policy, attempt)) throw error;
        const delay = retryDelayMs(this.policy, attempt, error.retryAfterMs);
        if (delay > this.maxWaitMs) throw error;
        await this.sleep(delay);
      }
    }
  }

  /** Whether the token source now holds another token than the one Kiro just refused. */
  private async tokenReplaced(): Promise<boolean> {
    const latest = await this.currentToken?.().catch(() => undefined);
    if (!latest || latest === this.token) return false;
    this.token = latest;
    return true;
  }

  private async sendOnce(method: string, path: string, body?: unknown): Promise<JsonObject> {
    const wait = this.notBefore - Date.now();
    if (wait > this.maxWaitMs) {
      throw new ScimError("throttled", "Kiro asked us to wait before sending again", { retryAfterMs: wait });
    }
    if (wait > 0) await this.sleep(wait);
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: "application/scim+json, application/json",
          ...(body === undefined ? {} : { "content-type": "application/scim+json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw transportError(error, method, path);
    }
    const text = await response.text().catch((error: unknown) => {
      throw transportError(error, method, path);
    });
    if (response.ok) return text ? (JSON.parse(text) as JsonObject) : {};
    const error = httpError(response, text, method, path);
    if (error.retryAfterMs !== undefined)
      this.notBefore = Math.max(this.notBefore, Date.now() + error.retryAfterMs);
    throw error;
  }
}

type JsonObject = Record<string, unknown>;

function firstOf<T>(items: JsonObject[], map: (item: JsonObject) => T): T | undefined {
  const first = items[0];
  return first === undefined ? undefined : map(first);
}

function toScimUser(body: JsonObject): ScimUser {
  const name = (body.name ?? {}) as { givenName?: string; familyName?: string };
  const emails = (body.emails ?? []) as { value?: string; primary?: boolean }[];
  return {
    id: String(body.id),
    externalId: body.externalId as string | undefined,
    userName: String(body.userName),
    displayName: body.displayName as string | undefined,
    active: body.active !== false,
    givenName: name.givenName,
    familyName: name.familyName,
    email: (emails.find((email) => email.primary) ?? emails[0])?.value,
  };
}

function toScimGroup(body: JsonObject): ScimGroup {
  return {
    id: String(body.id),
    displayName: String(body.displayName),
    externalId: body.externalId as string | undefined,
  };
}

/** Parses Retry-After as delta-seconds or an HTTP date; absent or unreadable means "no floor". */
export function parseRetryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function httpError(response: Response, text: string, method: string, path: string): ScimError {
  const status = response.status;
  const detail = errorDetail(text) ?? `${response.statusText || "error"} on ${method} ${stripQuery(path)}`;
  const kind: ScimErrorKind =
    status === 429
      ? "throttled"
      : status >= 500
        ? "server-error"
        : status === 401 || status === 403
          ? "auth"
          : status === 404
            ? "not-found"
            : status === 409
              ? "conflict"
              : "invalid";
  return new ScimError(kind, detail, {
    status,
    retryAfterMs: parseRetryAfterMs(response.headers.get("retry-after")),
  });
}

function errorDetail(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { detail?: unknown };
    return typeof body.detail === "string" ? body.detail : undefined;
  } catch {
    return undefined;
  }
}

/** Filters can carry user names and emails; they stay out of error messages that end up in logs. */
function stripQuery(path: string): string {
  return path.split("?")[0] ?? path;
}

function transportError(error: unknown, method: string, path: string): ScimError {
  const name = error instanceof Error ? error.name : "";
  const where = `${method} ${stripQuery(path)}`;
  if (name === "TimeoutError" || name === "AbortError") {
    return new ScimError("timeout", `no answer in time on ${where}`, { cause: error });
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  const code =
    (cause as { code?: string } | undefined)?.code ?? (error as { code?: string }).code ?? "unknown";
  return new ScimError("connection", `connection failed (${code}) on ${where}`, { cause: error });
}

function eq(attribute: string, value: string): string {
  return `${attribute} eq "${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}
