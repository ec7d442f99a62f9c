import { createHash, randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { resourceTypes, schemas, serviceProviderConfig } from "./discovery";
import { FaultInjector, type FaultRule } from "./fault-injector";
import { decodeCursor, ScimDirectory } from "./scim-directory";
import { errorEnvelope, invalid, notFound, ScimHttpError, unsupported } from "./scim-errors";
import { parseEqFilter } from "./scim-filter";

type Json = Record<string, unknown>;

export interface RequestLogEntry {
  seq: number;
  at: number;
  method: string;
  /** Path after `/scim/v2`, with the query string. */
  path: string;
  status: number;
  durationMs: number;
  /** Same method, path and body: lets tests match a retry to the request it repeats. */
  fingerprint: string;
  fault?: string;
  retryAfterMs?: number;
  /** Member changes carried by a group PATCH. */
  memberChanges?: number;
  /** Body bytes a `huge-body` fault wrote before the client stopped reading or it was all sent. */
  bytesSent?: number;
}

export interface EmulatorProfile {
  tenantId: string;
  token: string;
  scimUrl: string;
}

export interface KiroScimEmulatorOptions {
  port?: number;
  host?: string;
  tenantId?: string;
  token?: string;
  /** Cap list pages at 50, like older IdC docs, to catch clients that never follow nextCursor. */
  legacyPageCap?: boolean;
  requestLogLimit?: number;
  random?: () => number;
}

interface Token {
  value: string;
  expiresAt: number | undefined;
}

const listSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const maxBodyBytes = 1024 * 1024;

/**
 * Kiro's SCIM endpoint as IAM Identity Center implements it, on loopback, with a control API under
 * `/_emulator` to inject faults, reset the profile (delete-and-recreate: new tenant, new token,
 * nothing left), make an administrator's console edits and read the request log. See reference/scim-target.md §1.3 for the rules.
 */
export class KiroScimEmulator {
  readonly faults: FaultInjector;
  private directoryState = new ScimDirectory();
  private tenantId: string;
  private tokens: Token[];
  private log: RequestLogEntry[] = [];
  private logSeq = 0;
  private readonly logLimit: number;
  private readonly pageCap: number;
  private server: Server | undefined;
  private baseUrl = "";

  constructor(private readonly options: KiroScimEmulatorOptions = {}) {
    this.tenantId = options.tenantId ?? newTenantId();
    this.tokens = [{ value: options.token ?? newToken(), expiresAt: undefined }];
    this.logLimit = options.requestLogLimit ?? 500_000;
    this.pageCap = options.legacyPageCap ? 50 : 100;
    this.faults = new FaultInjector(options.random);
  }

  static async start(options: KiroScimEmulatorOptions = {}): Promise<KiroScimEmulator> {
    const emulator = new KiroScimEmulator(options);
    await emulator.listen();
    return emulator;
  }

  get url(): string {
    return this.baseUrl;
  }

  get directory(): ScimDirectory {
    return this.directoryState;
  }

  get profile(): EmulatorProfile {
    return {
      tenantId: this.tenantId,
      token: this.tokens[0]?.value ?? "",
      scimUrl: `${this.baseUrl}/${this.tenantId}/scim/v2`,
    };
  }

  /**
   * A deleted-and-recreated Kiro profile: every user, group and id gone, new token, and a new tenant
   * unless `keepEndpoint` (a profile emptied behind the same SCIM URL).
   */
  resetProfile(options: { keepEndpoint?: boolean } = {}): EmulatorProfile {
    this.directoryState = new ScimDirectory();
    if (!options.keepEndpoint) this.tenantId = newTenantId();
    this.tokens = [{ value: newToken(), expiresAt: undefined }];
    return this.profile;
  }

  /** A second token, as Kiro allows two at once for rotation. */
  addToken(expiresInSeconds?: number): string {
    if (this.tokens.length >= 2) throw invalid("A directory can have at most 2 access tokens.");
    const token = {
      value: newToken(),
      expiresAt: expiresInSeconds === undefined ? undefined : Date.now() + expiresInSeconds * 1000,
    };
    this.tokens.push(token);
    return token.value;
  }

  /**
   * A token deleted in the Kiro console: it answers 401 from then on. Without a value every token
   * goes, as after revoking the only one (the profile's token is then empty until one is added).
   */
  revokeToken(value?: string): number {
    const before = this.tokens.length;
    this.tokens = value === undefined ? [] : this.tokens.filter((token) => token.value !== value);
    return before - this.tokens.length;
  }

  requests(sinceSeq = 0): RequestLogEntry[] {
    return sinceSeq === 0 ? [...this.log] : this.log.filter((entry) => entry.seq > sinceSeq);
  }

  clearRequests(): void {
    this.log = [];
  }

  addFault(rule: FaultRule): void {
    this.faults.add(rule);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async listen(): Promise<void> {
    const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
      this.route(req, res).catch((error: unknown) => {
        if (res.headersSent) return;
        this.sendError(
          res,
          error instanceof ScimHttpError ? error : new ScimHttpError(500, `Internal error: ${String(error)}`),
        );
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port ?? 0, this.options.host ?? "127.0.0.1", () => resolve());
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    this.baseUrl = `http://${address.address}:${address.port}`;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://emulator");
    const method = req.method ?? "GET";
    const raw = await readBody(req);
    if (url.pathname.startsWith("/_emulator/")) return this.control(method, url, raw, res);

    const match = /^\/([^/]+)\/scim\/v2(\/.*)?$/.exec(url.pathname);
    const scimPath = `${match?.[2] ?? "/"}${url.search}`;
    const started = performance.now();
    const entry: RequestLogEntry = {
      seq: ++this.logSeq,
      at: Date.now(),
      method,
      path: scimPath,
      status: 0,
      durationMs: 0,
      fingerprint: createHash("sha1").update(`${method} ${scimPath} ${raw}`).digest("hex"),
    };
    this.record(entry);

    const decision = this.faults.decide(method, match?.[2] ?? "/");
    if (decision.delayMs > 0) await sleep(decision.delayMs);
    const finish = (status: number) => {
      entry.status = status;
      entry.durationMs = performance.now() - started;
    };
    if (decision.fault?.kind === "drop") {
      entry.fault = "drop";
      finish(0);
      req.socket.destroy();
      return;
    }
    if (decision.fault?.kind === "huge-body") {
      entry.fault = "huge-body";
      finish(200);
      await streamHugeBody(res, decision.fault.sizeBytes ?? 200 * 1024 * 1024, entry);
      return;
    }
    if (decision.fault?.kind === "body" || decision.fault?.kind === "redirect") {
      const { kind, status, body, location } = decision.fault;
      const answer = status ?? (kind === "body" ? 200 : 307);
      entry.fault = kind;
      finish(answer);
      res.writeHead(answer, {
        "content-type": "application/json",
        "x-amzn-requestid": randomUUID(),
        "content-length": Buffer.byteLength(body ?? ""),
        ...(location === undefined ? {} : { location }),
      });
      res.end(body ?? "");
      return;
    }
    if (decision.fault) {
      const retryAfter = decision.fault.retryAfterSeconds;
      const throttled = decision.fault.kind === "throttle";
      entry.fault = decision.fault.kind;
      if (throttled && retryAfter !== undefined) entry.retryAfterMs = retryAfter * 1000;
      finish(throttled ? 429 : 500);
      this.sendError(
        res,
        throttled
          ? new ScimHttpError(
              429,
              "Rate exceeded",
              retryAfter === undefined ? {} : { "retry-after": String(retryAfter) },
            )
          : new ScimHttpError(500, "An internal error occurred."),
      );
      return;
    }
    if (decision.ignoreFilter) {
      entry.fault = "ignore-filter";
      url.searchParams.delete("filter");
    }

    try {
      if (!match) throw notFound("Not found.");
      this.authenticate(match[1]!, req.headers.authorization);
      const { status, body } = this.scim(method, match[2] ?? "/", url.searchParams, raw, entry);
      finish(status);
      this.send(res, status, body);
    } catch (error) {
      const scimError = error instanceof ScimHttpError ? error : new ScimHttpError(500, String(error));
      finish(scimError.status);
      this.sendError(res, scimError);
    }
  }

  private authenticate(tenantId: string, header: string | undefined): void {
    const presented = /^Bearer (.+)$/i.exec(header ?? "")?.[1];
    const now = Date.now();
    const valid = this.tokens.some(
      (token) => token.value === presented && (token.expiresAt ?? Infinity) > now,
    );
    if (tenantId !== this.tenantId || !valid)
      throw new ScimHttpError(401, "The security token included in the request is invalid.");
  }

  private scim(
    method: string,
    path: string,
    query: URLSearchParams,
    raw: string,
    entry: RequestLogEntry,
  ): { status: number; body?: unknown } {
    const [, resource, id, extra] = path.split("/");
    if (extra !== undefined) throw notFound("Not found.");
    const directory = this.directoryState;
    const json = () => parseJson(raw);
    if (resource === "ServiceProviderConfig" && method === "GET" && !id)
      return { status: 200, body: serviceProviderConfig };
    if (resource === "ResourceTypes" && method === "GET" && !id) return { status: 200, body: resourceTypes };
    if (resource === "Schemas" && method === "GET" && !id) return { status: 200, body: schemas };
    if (resource === "Users") {
      if (!id && method === "POST") return { status: 201, body: directory.createUser(json()) };
      if (!id && method === "GET")
        return { status: 200, body: this.list(query, (t, a, c) => directory.listUsers(t, a, c)) };
      if (id && method === "GET") return { status: 200, body: directory.getUser(id) };
      if (id && method === "PUT") return { status: 200, body: directory.replaceUser(id, json()) };
      if (id && method === "PATCH") return { status: 200, body: directory.patchUser(id, json()) };
      if (id && method === "DELETE") {
        directory.deleteUser(id);
        return { status: 204 };
      }
      throw unsupported(`${method} on Users`);
    }
    if (resource === "Groups") {
      if (!id && method === "POST") return { status: 201, body: directory.createGroup(json()) };
      if (!id && method === "GET")
        return { status: 200, body: this.list(query, (t, a, c) => directory.listGroups(t, a, c)) };
      if (id && method === "GET") return { status: 200, body: directory.getGroup(id) };
      if (id && method === "PATCH") {
        const body = json();
        entry.memberChanges = countMemberChanges(body);
        directory.patchGroup(id, body);
        return { status: 204 };
      }
      if (id && method === "DELETE") {
        directory.deleteGroup(id);
        return { status: 204 };
      }
      throw unsupported(`${method} on Groups`);
    }
    throw notFound(`The endpoint /${resource ?? ""} is not supported.`);
  }

  /**
   * With `cursor` in the query (even bare) the answer is a cursor page without totalResults; without
   * it, one page with totalResults and startIndex 1, as IdC does. startIndex is accepted and ignored.
   */
  private list(
    query: URLSearchParams,
    fetchPage: (
      terms: ReturnType<typeof parseEqFilter>,
      afterSeq: number,
      count: number,
    ) => { resources: Json[]; nextCursor: string | undefined },
  ): Json {
    const filter = query.get("filter");
    const terms = filter === null ? [] : parseEqFilter(filter);
    const requested = query.has("count") ? Number(query.get("count")) : this.pageCap;
    if (!Number.isInteger(requested) || requested < 0) throw invalid("count must be a non-negative integer.");
    const count = Math.min(requested, this.pageCap);
    const cursorMode = query.has("cursor");
    const page = fetchPage(terms, cursorMode ? decodeCursor(query.get("cursor") ?? "") : 0, count);
    if (cursorMode) {
      return {
        schemas: [listSchema],
        itemsPerPage: page.resources.length,
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
        Resources: page.resources,
      };
    }
    return {
      schemas: [listSchema],
      totalResults: page.resources.length,
      itemsPerPage: page.resources.length,
      startIndex: 1,
      Resources: page.resources,
    };
  }

  private control(method: string, url: URL, raw: string, res: ServerResponse): void {
    try {
      const { status, body } = this.controlAnswer(`${method} ${url.pathname}`, url, raw);
      this.send(res, status, body);
    } catch (error) {
      this.sendError(
        res,
        error instanceof ScimHttpError
          ? error
          : invalid(error instanceof Error ? error.message : String(error)),
      );
    }
  }

  private controlAnswer(route: string, url: URL, raw: string): { status: number; body?: unknown } {
    const edit = /^(POST|PATCH) \/_emulator\/console\/(users|groups)(?:\/([^/]+))?$/.exec(route);
    if (edit) return this.consoleEdit(edit[1]!, edit[2]!, edit[3], raw);
    switch (route) {
      case "GET /_emulator/profile":
        return { status: 200, body: this.profile };
      case "POST /_emulator/reset":
        return {
          status: 200,
          body: this.resetProfile({ keepEndpoint: url.searchParams.get("keepEndpoint") === "true" }),
        };
      case "GET /_emulator/faults":
        return { status: 200, body: this.faults.list() };
      case "POST /_emulator/faults":
        this.faults.add(parseJson(raw) as FaultRule);
        return { status: 201, body: this.faults.list() };
      case "DELETE /_emulator/faults":
        this.faults.clear();
        return { status: 204 };
      case "GET /_emulator/requests":
        return { status: 200, body: this.requests(Number(url.searchParams.get("since") ?? 0)) };
      case "DELETE /_emulator/requests":
        this.clearRequests();
        return { status: 204 };
      case "GET /_emulator/state":
        return {
          status: 200,
          body: url.searchParams.has("summary")
            ? { users: this.directoryState.userCount, groups: this.directoryState.groupCount }
            : this.directoryState.snapshot(),
        };
      case "POST /_emulator/tokens": {
        const { expiresInSeconds } = (raw ? parseJson(raw) : {}) as { expiresInSeconds?: number };
        return { status: 201, body: { token: this.addToken(expiresInSeconds) } };
      }
      case "POST /_emulator/tokens/revoke": {
        const { token } = (raw ? parseJson(raw) : {}) as { token?: string };
        return { status: 200, body: { revoked: this.revokeToken(token) } };
      }
      default:
        throw notFound(`No control route ${route}.`);
    }
  }

  /**
   * An administrator's edit in the IAM Identity Center console: the same rules as SCIM, but not a
   * SCIM request, so it is not in the request log. Tests use it to create drift the service did
   * not cause: a stranger user or group, a member added or removed, a user renamed or disabled.
   */
  private consoleEdit(
    method: string,
    collection: string,
    id: string | undefined,
    raw: string,
  ): { status: number; body?: unknown } {
    const body = parseJson(raw);
    const directory = this.directoryState;
    if (method === "POST" && collection === "users" && !id)
      return { status: 201, body: directory.createUser(body) };
    if (method === "POST" && collection === "groups" && !id)
      return { status: 201, body: directory.createGroup(body) };
    if (method === "PATCH" && collection === "users" && id)
      return { status: 200, body: directory.patchUser(id, body) };
    if (method === "PATCH" && collection === "groups" && id) {
      directory.patchGroup(id, body);
      return { status: 204 };
    }
    throw notFound(`No console edit ${method} ${collection}${id ? `/${id}` : ""}.`);
  }

  private record(entry: RequestLogEntry): void {
    this.log.push(entry);
    if (this.log.length > this.logLimit) this.log.splice(0, this.log.length - this.logLimit);
  }

  private send(res: ServerResponse, status: number, body?: unknown): void {
    const payload = body === undefined ? "" : JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json",
      "x-amzn-requestid": randomUUID(),
      ...(payload ? { "content-length": Buffer.byteLength(payload) } : {}),
    });
    res.end(payload);
  }

  private sendError(res: ServerResponse, error: ScimHttpError): void {
    const requestId = randomUUID();
    const payload = JSON.stringify(errorEnvelope(error, requestId));
    res.writeHead(error.status, {
      "content-type": "application/json",
      "x-amzn-requestid": requestId,
      "content-length": Buffer.byteLength(payload),
      ...error.headers,
    });
    res.end(payload);
  }
}

function parseJson(raw: string): Json {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new Error("not an object");
    return parsed as Json;
  } catch {
    throw invalid("Request is unparsable, syntactically incorrect, or violates schema.");
  }
}

function countMemberChanges(body: Json): number {
  const operations = Array.isArray(body.Operations) ? (body.Operations as Json[]) : [];
  return operations
    .filter(
      (operation) => String(operation.path).toLowerCase() === "members" && Array.isArray(operation.value),
    )
    .reduce((sum, operation) => sum + (operation.value as unknown[]).length, 0);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw invalid("Request body is too large.");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * A list page padded to `size` bytes, written only as fast as the client reads it and without a
 * length, so only counting what arrives can stop it; `entry.bytesSent` follows what was taken.
 */
async function streamHugeBody(res: ServerResponse, size: number, entry: RequestLogEntry): Promise<void> {
  const head = `{"schemas":["${listSchema}"],"Resources":[],"padding":"`;
  const tail = '"}';
  const chunk = "x".repeat(64 * 1024);
  function* pieces(): Generator<string> {
    yield head;
    for (let left = size - head.length - tail.length; left > 0; left -= chunk.length)
      yield left >= chunk.length ? chunk : chunk.slice(0, left);
    yield tail;
  }
  async function* counted(): AsyncGenerator<string> {
    entry.bytesSent = 0;
    for (const piece of pieces()) {
      yield piece;
      entry.bytesSent += piece.length;
    }
  }
  res.writeHead(200, { "content-type": "application/json", "x-amzn-requestid": randomUUID() });
  await pipeline(Readable.from(counted()), res).catch(() => undefined);
}

function newTenantId(): string {
  return `d-${randomBytes(5).toString("hex")}`;
}

function newToken(): string {
  return randomBytes(32).toString("base64url");
}
