import { z } from "zod";
import { ScimError, type ScimErrorKind } from "../../domain/errors";
import { type KiroUserProfile, kiroLimits, toScimUserResource } from "../../domain/kiro-user";
import {
  defaultRetryPolicy,
  hasAttemptsLeft,
  maxRetryAfterMs,
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
  now?: () => number;
  /**
   * A body past this many bytes is abandoned as it arrives: a page of 100 users is about 100 KB, so
   * anything near the default 5 MB is not Kiro's answer, and buffering it whole could take the
   * Lambda's memory with it.
   */
  maxResponseBytes?: number;
  /**
   * Where the token comes from, read afresh: a refused token is looked up once more before the
   * refusal counts, so a token replaced in the secret (rotated, or revoked and re-issued) is used
   * at once rather than when a cache expires.
   */
  currentToken?: () => Promise<string>;
  /**
   * Told of every answer (its HTTP status) and every call that got none (0), retries included: how
   * Kiro has been answering lately is read from it.
   */
  onAnswer?: (status: number) => void;
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
  private readonly onAnswer: (status: number) => void;
  private readonly timeoutMs: number;
  private readonly policy: RetryPolicy;
  private readonly maxWaitMs: number;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly maxResponseBytes: number;
  /**
   * Kiro throttles the tenant, not one request: after a 429 with Retry-After, nothing goes out
   * through this client before that time, whichever request asks. Never more than
   * {@link maxRetryAfterMs} ahead, so one absurd Retry-After cannot silence the client for good.
   */
  private notBefore = 0;
  /**
   * Whether `notBefore` comes from a wait at the cap: every request it holds back then reports the
   * cap too, so whichever worker meets it first pauses the sync, not only the one that got the 429.
   */
  private notBeforeIsLong = false;

  constructor(options: ScimHttpClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.token = options.token;
    this.currentToken = options.currentToken;
    this.onAnswer = options.onAnswer ?? (() => undefined);
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.policy = options.retryPolicy ?? defaultRetryPolicy;
    this.maxWaitMs = options.maxInProcessWaitMs ?? 5_000;
    this.maxAttempts = options.maxInProcessAttempts ?? 3;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
    this.maxResponseBytes = options.maxResponseBytes ?? 5 * 1024 * 1024;
  }

  async createUser(profile: KiroUserProfile): Promise<ScimUser> {
    return toScimUser(await this.send("POST", "/Users", userAnswer, toScimUserResource(profile)));
  }

  async getUser(id: string): Promise<ScimUser | undefined> {
    const body = await this.sendOrUndefinedOn404("GET", `/Users/${encodeURIComponent(id)}`, userAnswer);
    return body === undefined ? undefined : toScimUser(body);
  }

  /**
   * Only a user whose userName is the one asked for, compared as IdC compares userNames (without
   * regard to case): a server that ignores the filter answers with its first user, and adopting that
   * one would hand our externalId to somebody else.
   */
  async findUserByUserName(userName: string): Promise<ScimUser | undefined> {
    const users = await this.filter("/Users", eq("userName", userName), userAnswer);
    const found = users.find((user) => sameName(user.userName, userName));
    return found === undefined ? undefined : toScimUser(found);
  }

  /** Only a user carrying exactly this externalId, whatever else the server sends back. */
  async findUserByExternalId(externalId: string): Promise<ScimUser | undefined> {
    const users = await this.filter("/Users", eq("externalId", externalId), userAnswer);
    const found = users.find((user) => user.externalId === externalId);
    return found === undefined ? undefined : toScimUser(found);
  }

  async patchUser(id: string, operations: ScimUserPatch[]): Promise<ScimUser> {
    const body = { schemas: [patchSchema], Operations: operations };
    return toScimUser(await this.send("PATCH", `/Users/${encodeURIComponent(id)}`, userAnswer, body));
  }

  async replaceUser(id: string, profile: KiroUserProfile): Promise<ScimUser> {
    const body = { ...toScimUserResource(profile), id };
    return toScimUser(await this.send("PUT", `/Users/${encodeURIComponent(id)}`, userAnswer, body));
  }

  async deleteUser(id: string): Promise<void> {
    await this.sendOrUndefinedOn404("DELETE", `/Users/${encodeURIComponent(id)}`, noAnswer);
  }

  async listUsers(cursor?: string): Promise<ScimPage<ScimUser>> {
    const page = await this.page("/Users", cursor, userPage);
    return { items: page.items.map(toScimUser), nextCursor: page.nextCursor };
  }

  async createGroup(group: { displayName: string; externalId: string }): Promise<ScimGroup> {
    const body = { schemas: [groupSchema], displayName: group.displayName, externalId: group.externalId };
    return toScimGroup(await this.send("POST", "/Groups", groupAnswer, body));
  }

  async getGroup(id: string): Promise<ScimGroup | undefined> {
    const body = await this.sendOrUndefinedOn404("GET", `/Groups/${encodeURIComponent(id)}`, groupAnswer);
    return body === undefined ? undefined : toScimGroup(body);
  }

  /**
   * Only a group with this displayName (without regard to case, as Kiro keeps displayNames unique),
   * so a server that ignores the filter cannot get another group claimed.
   */
  async findGroupByDisplayName(displayName: string): Promise<ScimGroup | undefined> {
    const groups = await this.filter("/Groups", eq("displayName", displayName), groupAnswer);
    const found = groups.find((group) => sameName(group.displayName, displayName));
    return found === undefined ? undefined : toScimGroup(found);
  }

  /** Only a group carrying exactly this externalId, whatever else the server sends back. */
  async findGroupByExternalId(externalId: string): Promise<ScimGroup | undefined> {
    const groups = await this.filter("/Groups", eq("externalId", externalId), groupAnswer);
    const found = groups.find((group) => group.externalId === externalId);
    return found === undefined ? undefined : toScimGroup(found);
  }

  async updateGroup(id: string, changes: { displayName?: string; externalId?: string }): Promise<void> {
    const Operations = Object.entries(changes)
      .filter(([, value]) => value !== undefined)
      .map(([path, value]) => ({ op: "replace", path, value }));
    if (Operations.length === 0) return;
    const body = { schemas: [patchSchema], Operations };
    await this.send("PATCH", `/Groups/${encodeURIComponent(id)}`, noAnswer, body);
  }

  async addMembers(groupId: string, userIds: readonly string[]): Promise<void> {
    await this.patchMembers(groupId, "add", userIds);
  }

  async removeMembers(groupId: string, userIds: readonly string[]): Promise<void> {
    await this.patchMembers(groupId, "remove", userIds);
  }

  async deleteGroup(id: string): Promise<void> {
    await this.sendOrUndefinedOn404("DELETE", `/Groups/${encodeURIComponent(id)}`, noAnswer);
  }

  async listGroups(cursor?: string): Promise<ScimPage<ScimGroup>> {
    const page = await this.page("/Groups", cursor, groupPage);
    return { items: page.items.map(toScimGroup), nextCursor: page.nextCursor };
  }

  /**
   * Kiro returns no members, so the answer cannot be checked against the member: a list holding any
   * other group means the filter was ignored, and then "member" would be a guess.
   */
  async isMember(groupId: string, userId: string): Promise<boolean> {
    const found = await this.filter(
      "/Groups",
      `${eq("id", groupId)} and ${eq("members", userId)}`,
      groupAnswer,
    );
    if (found.some((group) => group.id !== groupId))
      throw new ScimError("bad-response", "the answer holds groups the filter excludes on GET /Groups");
    return found.length > 0;
  }

  async listGroupsOfUser(userId: string): Promise<ScimGroup[]> {
    const groups: ScimGroup[] = [];
    const asked = new Set<string>();
    let cursor: string | undefined = "";
    while (cursor !== undefined) {
      if (asked.has(cursor))
        throw new ScimError("bad-response", "the answer leads back to a page already read on GET /Groups");
      asked.add(cursor);
      const page: { items: GroupBody[]; nextCursor?: string } = await this.page(
        "/Groups",
        cursor,
        groupPage,
        eq("members.value", userId),
      );
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
    await this.send("GET", "/ServiceProviderConfig", discoveryAnswer);
    await this.send("GET", "/Users?count=1", userPage);
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
      await this.send("PATCH", `/Groups/${encodeURIComponent(groupId)}`, noAnswer, body);
    }
  }

  private async filter<T>(resource: string, filter: string, item: Expected<T>): Promise<T[]> {
    return (await this.page(resource, undefined, pageAnswer(item), filter)).items;
  }

  /** One page. `cursor === ""` asks for the first page in cursor mode (a bare `?cursor`). */
  private async page<T>(
    resource: string,
    cursor: string | undefined,
    expected: Expected<ListPage<T>>,
    filter?: string,
  ): Promise<{ items: T[]; nextCursor?: string }> {
    const query = new URLSearchParams();
    if (filter) query.set("filter", filter);
    query.set("count", String(kiroLimits.maxPageSize));
    let path = `${resource}?${query.toString()}`;
    if (cursor !== undefined) path += cursor === "" ? "&cursor" : `&cursor=${encodeURIComponent(cursor)}`;
    const body = await this.send("GET", path, expected);
    if (body.nextCursor && body.nextCursor === cursor)
      throw new ScimError("bad-response", `the answer repeats the page cursor asked for on GET ${resource}`);
    return { items: body.Resources ?? [], ...(body.nextCursor ? { nextCursor: body.nextCursor } : {}) };
  }

  private async sendOrUndefinedOn404<T>(
    method: string,
    path: string,
    expected: Expected<T>,
  ): Promise<T | undefined> {
    try {
      return await this.send(method, path, expected);
    } catch (error) {
      if (error instanceof ScimError && error.kind === "not-found") return undefined;
      throw error;
    }
  }

  private async send<T>(method: string, path: string, expected: Expected<T>, body?: unknown): Promise<T> {
    let tokenChecked = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.sendOnce(method, path, expected, body);
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

  /**
   * Redirects are refused rather than followed: fetch would repeat the request, body and all (a
   * user's name and email), to whatever host the Location names, and take that host's answer as Kiro's.
   */
  private async sendOnce<T>(method: string, path: string, expected: Expected<T>, body?: unknown): Promise<T> {
    const where = `${method} ${stripQuery(path)}`;
    const wait = Math.min(this.notBefore - this.now(), maxRetryAfterMs);
    if (wait > this.maxWaitMs) {
      throw new ScimError("throttled", "Kiro asked us to wait before sending again", {
        retryAfterMs: this.notBeforeIsLong ? maxRetryAfterMs : wait,
      });
    }
    if (wait > 0) await this.sleep(wait);
    const url = `${this.baseUrl}${path}`;
    const abandon = new AbortController();
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: "application/scim+json, application/json",
          ...(body === undefined ? {} : { "content-type": "application/scim+json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        redirect: "manual",
        signal: AbortSignal.any([AbortSignal.timeout(this.timeoutMs), abandon.signal]),
      });
    } catch (error) {
      this.onAnswer(0);
      throw transportError(error, where);
    }
    this.onAnswer(response.status);
    if (response.status >= 300 && response.status < 400) {
      abandon.abort();
      throw redirectRefused(response, url, where);
    }
    let text: string | undefined;
    try {
      text = await this.readLimited(response, abandon);
    } catch (error) {
      throw transportError(error, where);
    }
    if (response.ok) {
      if (text === undefined) {
        throw new ScimError("bad-response", `the answer passed ${this.maxResponseBytes} bytes on ${where}`, {
          status: response.status,
        });
      }
      return parseAnswer(text, expected, response.status, where);
    }
    const error = httpError(response, text ?? "", where, this.now());
    if (error.retryAfterMs !== undefined && this.now() + error.retryAfterMs > this.notBefore) {
      this.notBefore = this.now() + error.retryAfterMs;
      this.notBeforeIsLong = error.retryAfterMs >= maxRetryAfterMs;
    }
    throw error;
  }

  /**
   * The body as text, counted as it arrives; undefined once it passes the limit, and then the rest
   * is never read (the request is aborted, which closes the connection).
   */
  private async readLimited(response: Response, abandon: AbortController): Promise<string | undefined> {
    if (!response.body) return "";
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let received = 0;
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      received += value.byteLength;
      if (received > this.maxResponseBytes) {
        abandon.abort();
        await reader.cancel().catch(() => undefined);
        return undefined;
      }
      text += decoder.decode(value, { stream: true });
    }
  }
}

/** What a call expects back, named for error messages (which never quote the body itself). */
interface Expected<T> {
  what: string;
  schema: z.ZodType<T>;
}

const optionalText = z.string().nullish();

const userShape = z.object({
  id: z.string().min(1),
  userName: z.string().min(1),
  externalId: optionalText,
  displayName: optionalText,
  active: z.boolean().nullish(),
  name: z.object({ givenName: optionalText, familyName: optionalText }).nullish(),
  emails: z.array(z.object({ value: optionalText, primary: z.boolean().nullish() })).nullish(),
});
type UserBody = z.infer<typeof userShape>;

const groupShape = z.object({
  id: z.string().min(1),
  displayName: z.string().min(1),
  externalId: optionalText,
});
type GroupBody = z.infer<typeof groupShape>;

interface ListPage<T> {
  Resources?: T[] | null | undefined;
  nextCursor?: string | null | undefined;
}

function pageAnswer<T>(item: Expected<T>): Expected<ListPage<T>> {
  return {
    what: `list of ${item.what}s`,
    schema: z.object({ Resources: z.array(item.schema).nullish(), nextCursor: optionalText }),
  };
}

const userAnswer: Expected<UserBody> = { what: "user", schema: userShape };
const groupAnswer: Expected<GroupBody> = { what: "group", schema: groupShape };
const userPage = pageAnswer(userAnswer);
const groupPage = pageAnswer(groupAnswer);
const discoveryAnswer: Expected<unknown> = { what: "discovery document", schema: z.looseObject({}) };
/** PATCH on a group and DELETE answer 204; a body, if any, must still be JSON (not a proxy's page). */
const noAnswer: Expected<unknown> = {
  what: "JSON object (or nothing)",
  schema: z.union([z.undefined(), z.looseObject({})]),
};

function parseAnswer<T>(text: string, expected: Expected<T>, status: number, where: string): T {
  let json: unknown;
  if (text.trim() !== "") {
    try {
      json = JSON.parse(text);
    } catch {
      throw new ScimError(
        "bad-response",
        `the answer is not JSON (expected a ${expected.what}) on ${where}`,
        {
          status,
        },
      );
    }
  }
  const parsed = expected.schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.map(String).join(".") || "body"))];
  throw new ScimError(
    "bad-response",
    `the answer is not a ${expected.what} (wrong or missing: ${fields.slice(0, 5).join(", ")}) on ${where}`,
    { status },
  );
}

function sameName(found: string, wanted: string): boolean {
  return found.toLowerCase() === wanted.toLowerCase();
}

function toScimUser(body: UserBody): ScimUser {
  const emails = body.emails ?? [];
  return {
    id: body.id,
    externalId: body.externalId ?? undefined,
    userName: body.userName,
    displayName: body.displayName ?? undefined,
    active: body.active !== false,
    givenName: body.name?.givenName ?? undefined,
    familyName: body.name?.familyName ?? undefined,
    email: (emails.find((email) => email.primary) ?? emails[0])?.value ?? undefined,
  };
}

function toScimGroup(body: GroupBody): ScimGroup {
  return { id: body.id, displayName: body.displayName, externalId: body.externalId ?? undefined };
}

/** Parses Retry-After as delta-seconds or an HTTP date; absent or unreadable means "no floor". */
export function parseRetryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Kiro's detail is kept short: it lands in the ledger and in logs, and a proxy's can be any size. */
const maxDetailChars = 500;

function httpError(response: Response, text: string, where: string, now: number): ScimError {
  const status = response.status;
  const detail = errorDetail(text) ?? `${response.statusText || "error"} on ${where}`;
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
  const asked = parseRetryAfterMs(response.headers.get("retry-after"), now);
  const capped = asked !== undefined && asked > maxRetryAfterMs;
  return new ScimError(
    kind,
    capped
      ? `${detail} (Retry-After of ${Math.round(asked / 1000)} s cut to ${maxRetryAfterMs / 60_000} min)`
      : detail,
    { status, retryAfterMs: asked === undefined ? undefined : Math.min(asked, maxRetryAfterMs) },
  );
}

function errorDetail(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { detail?: unknown };
    return typeof body.detail === "string" ? body.detail.slice(0, maxDetailChars) : undefined;
  } catch {
    return undefined;
  }
}

/** Only the origin: a Location's path and query can carry what was sent (names, emails, tokens). */
function redirectRefused(response: Response, url: string, where: string): ScimError {
  const location = response.headers.get("location");
  let target = "no location";
  if (location !== null) {
    try {
      const origin = new URL(location, url).origin;
      target = origin === "null" ? "a location that is not http(s)" : origin;
    } catch {
      target = "an unreadable location";
    }
  }
  return new ScimError("bad-response", `redirect to ${target} refused on ${where}`, {
    status: response.status,
  });
}

/** Filters can carry user names and emails; they stay out of error messages that end up in logs. */
function stripQuery(path: string): string {
  return path.split("?")[0] ?? path;
}

function transportError(error: unknown, where: string): ScimError {
  const name = error instanceof Error ? error.name : "";
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
