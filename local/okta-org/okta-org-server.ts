import { createPublicKey, createVerify, type KeyObject, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface OktaUserState {
  id: string;
  status: "ACTIVE" | "SUSPENDED" | "DEPROVISIONED" | "STAGED" | "PROVISIONED";
  profile: {
    login: string;
    email: string;
    firstName: string | null;
    lastName: string | null;
    displayName?: string | null;
    title?: string | null;
    department?: string | null;
  };
}

export interface OktaGroupState {
  id: string;
  name: string;
}

interface OktaAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

interface Outage {
  kind: "throttle" | "unavailable";
  remaining: number;
  /** Only calls whose path matches fail, after this many matching calls went through. */
  path: RegExp | undefined;
  skip: number;
}

/**
 * The part of Okta's Management API this service reads, served over HTTP so the real okta-sdk-nodejs
 * client talks to it: SSWS auth, users by id or login and their groups, groups, group members with cursor paging in
 * absolute `Link` headers, and Okta's 429 shape (X-Rate-Limit-* with a Date header, which the SDK
 * needs to compute its wait). It can also build the event hook payload Okta would send for a change.
 */
export class OktaOrgServer {
  readonly users = new Map<string, OktaUserState>();
  readonly groups = new Map<string, OktaGroupState>();
  readonly members = new Map<string, Set<string>>();
  readonly requests: { method: string; path: string; status: number }[] = [];
  /**
   * How the org treats API callers: `revoked` refuses the SSWS token (401, as after it was deleted
   * or expired), `forbidden` accepts any credentials but refuses reads (403, as for an admin
   * without a role or a service app without the scopes).
   */
  apiAccess: "granted" | "revoked" | "forbidden" = "granted";
  private outages: Outage[] = [];
  private readonly serviceApps = new Map<string, KeyObject>();
  private readonly issuedTokens = new Set<string>();
  private server: Server | undefined;
  private baseUrl = "";

  constructor(readonly apiToken: string = `00${randomUUID().replaceAll("-", "")}`) {}

  static async start(options: { port?: number; apiToken?: string } = {}): Promise<OktaOrgServer> {
    const org = new OktaOrgServer(options.apiToken);
    await org.listen(options.port ?? 0);
    return org;
  }

  get orgUrl(): string {
    return this.baseUrl;
  }

  addUser(user: OktaUserState): void {
    this.users.set(user.id, structuredClone(user));
  }

  addGroup(group: OktaGroupState): void {
    this.groups.set(group.id, { ...group });
    if (!this.members.has(group.id)) this.members.set(group.id, new Set());
  }

  addMember(groupId: string, userId: string): void {
    this.members.get(groupId)?.add(userId);
  }

  removeMember(groupId: string, userId: string): void {
    this.members.get(groupId)?.delete(userId);
  }

  /** Deletes the user as Okta does: out of every group too; reads answer 404 from now on. */
  deleteUser(userId: string): void {
    for (const memberIds of this.members.values()) memberIds.delete(userId);
    this.users.delete(userId);
  }

  /** An OAuth service app whose `private_key_jwt` client assertions the token endpoint accepts. */
  registerServiceApp(clientId: string, publicKeyPem: string): void {
    this.serviceApps.set(clientId, createPublicKey(publicKeyPem));
  }

  /** The next `count` API calls answer 429 (`throttle`) or 503 (`unavailable`). */
  failNext(kind: Outage["kind"], count: number, options: { path?: RegExp; skip?: number } = {}): void {
    this.outages.push({ kind, remaining: count, path: options.path, skip: options.skip ?? 0 });
  }

  /** Ends every injected outage. */
  recover(): void {
    this.outages = [];
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async listen(port: number): Promise<void> {
    const server = createServer((req, res) => this.route(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", this.baseUrl);
    if (req.method === "POST" && url.pathname === "/oauth2/v1/token") {
      let form = "";
      req.on("data", (chunk: Buffer) => {
        form += chunk.toString();
      });
      req.on("end", () => this.write(req, res, url, this.issueToken(new URLSearchParams(form))));
      return;
    }
    this.write(req, res, url, this.answer(req, url));
  }

  private write(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    { status, body, headers }: OktaAnswer,
  ): void {
    this.requests.push({ method: req.method ?? "GET", path: url.pathname + url.search, status });
    res.writeHead(status, { "content-type": "application/json", date: new Date().toUTCString(), ...headers });
    res.end(JSON.stringify(body));
  }

  private answer(req: IncomingMessage, url: URL): OktaAnswer {
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
      status,
      body,
      headers,
    });
    const error = (
      status: number,
      errorCode: string,
      errorSummary: string,
      headers: Record<string, string> = {},
    ) =>
      answer(
        status,
        { errorCode, errorSummary, errorLink: errorCode, errorId: randomUUID(), errorCauses: [] },
        headers,
      );

    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const ssws = req.headers.authorization === `SSWS ${this.apiToken}` && this.apiAccess !== "revoked";
    if (!ssws && !(bearer && this.issuedTokens.has(bearer))) {
      return error(401, "E0000011", "Invalid token provided");
    }
    if (this.apiAccess === "forbidden")
      return error(403, "E0000006", "You do not have permission to perform the requested action");
    const outage = this.outages.find(
      (candidate) => !candidate.path || candidate.path.test(url.pathname + url.search),
    );
    if (outage && outage.skip > 0) outage.skip -= 1;
    else if (outage) {
      outage.remaining -= 1;
      if (outage.remaining <= 0) this.outages = this.outages.filter((candidate) => candidate !== outage);
      if (outage.kind === "throttle") {
        const reset = String(Math.ceil(Date.now() / 1000) + 1);
        return error(429, "E0000047", "API call exceeded rate limit due to too many requests.", {
          "x-rate-limit-limit": "600",
          "x-rate-limit-remaining": "0",
          "x-rate-limit-reset": reset,
        });
      }
      return error(503, "E0000009", "Internal Server Error");
    }

    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    if (req.method !== "GET" || parts[0] !== "api" || parts[1] !== "v1") {
      return error(404, "E0000022", "The endpoint does not support the provided HTTP method");
    }
    const [, , collection, id, sub] = parts;
    if (collection === "users" && !id) {
      const filter = url.searchParams.get("filter");
      const ids = filter === null ? undefined : idsOfFilter(filter);
      if (ids === null) return error(400, "E0000031", `Invalid search criteria. filter: ${filter}`);
      const listed = [...this.users.values()].filter(
        (user) => user.status !== "DEPROVISIONED" && (ids === undefined || ids.includes(user.id)),
      );
      return answer(
        200,
        listed.map((user) => this.userJson(user)),
      );
    }
    if (collection === "users" && id && !sub) {
      const user =
        this.users.get(id) ?? [...this.users.values()].find((candidate) => candidate.profile.login === id);
      return user
        ? answer(200, this.userJson(user))
        : error(404, "E0000007", `Not found: Resource not found: ${id} (User)`);
    }
    if (collection === "users" && id && sub === "groups") {
      const user = this.users.get(id) ?? [...this.users.values()].find((each) => each.profile.login === id);
      if (!user) return error(404, "E0000007", `Not found: Resource not found: ${id} (User)`);
      const groupIds = [...this.members]
        .filter(([, memberIds]) => memberIds.has(user.id))
        .map(([groupId]) => groupId);
      return answer(
        200,
        groupIds.flatMap((groupId) => {
          const group = this.groups.get(groupId);
          return group ? [this.groupJson(group)] : [];
        }),
      );
    }
    if (collection === "groups" && id && !sub) {
      const group = this.groups.get(id);
      return group
        ? answer(200, this.groupJson(group))
        : error(404, "E0000007", `Not found: Resource not found: ${id} (UserGroup)`);
    }
    if (collection === "groups" && id && sub === "users") {
      const memberIds = this.members.get(id);
      if (!memberIds) return error(404, "E0000007", `Not found: Resource not found: ${id} (UserGroup)`);
      const limit = Math.min(Number(url.searchParams.get("limit") ?? 1000), 1000);
      const ids = [...memberIds].sort();
      const after = url.searchParams.get("after");
      const start = after ? ids.findIndex((candidate) => candidate > after) : 0;
      const page = start < 0 ? [] : ids.slice(start, start + limit);
      const links = [`<${this.baseUrl}${url.pathname}?limit=${limit}>; rel="self"`];
      if (start >= 0 && start + limit < ids.length) {
        links.push(`<${this.baseUrl}${url.pathname}?after=${page.at(-1)}&limit=${limit}>; rel="next"`);
      }
      return answer(
        200,
        page.map((userId) => this.userJson(this.users.get(userId)!)),
        { link: links.join(", ") },
      );
    }
    if (collection === "groups" && !id) {
      return answer(
        200,
        [...this.groups.values()].map((group) => this.groupJson(group)),
      );
    }
    return error(404, "E0000022", "The endpoint does not support the provided HTTP method");
  }

  /**
   * Okta's client-credentials grant with `private_key_jwt`: the assertion must be an RS256 JWT from a
   * registered service app, with iss = sub = client id and aud = this token endpoint.
   */
  private issueToken(form: URLSearchParams): OktaAnswer {
    const refuse = (description: string) => ({
      status: 401,
      body: { error: "invalid_client", error_description: description },
      headers: {},
    });
    if (form.get("grant_type") !== "client_credentials") return refuse("unsupported grant_type");
    const [header, payload, signature] = (form.get("client_assertion") ?? "").split(".");
    if (!header || !payload || !signature) return refuse("client_assertion is not a JWT");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
    const key = this.serviceApps.get(String(claims.iss));
    if (!key || claims.sub !== claims.iss) return refuse("unknown client");
    const verifier = createVerify("RSA-SHA256");
    verifier.update(`${header}.${payload}`);
    if (!verifier.verify(key, Buffer.from(signature, "base64url")))
      return refuse("bad client_assertion signature");
    if (claims.aud !== `${this.baseUrl}/oauth2/v1/token`) return refuse("wrong audience");
    if (Number(claims.exp) * 1000 < Date.now()) return refuse("client_assertion expired");
    const token = randomUUID();
    this.issuedTokens.add(token);
    return {
      status: 200,
      body: { token_type: "Bearer", expires_in: 3600, access_token: token, scope: form.get("scope") ?? "" },
      headers: {},
    };
  }

  private userJson(user: OktaUserState) {
    const now = new Date().toISOString();
    return {
      id: user.id,
      status: user.status,
      created: now,
      activated: now,
      statusChanged: now,
      lastUpdated: now,
      type: { id: "oty1default" },
      profile: user.profile,
      credentials: { provider: { type: "OKTA", name: "OKTA" } },
      _links: { self: { href: `${this.baseUrl}/api/v1/users/${user.id}` } },
    };
  }

  private groupJson(group: OktaGroupState) {
    return {
      id: group.id,
      type: "OKTA_GROUP",
      profile: { name: group.name, description: null },
      _links: { self: { href: `${this.baseUrl}/api/v1/groups/${group.id}` } },
    };
  }
}

/**
 * `id eq "…" or id eq "…"`, the one user filter this service sends; null for anything else (Okta
 * answers 400 E0000031). As in Okta, the list leaves out DEPROVISIONED users.
 */
function idsOfFilter(filter: string): string[] | null {
  const terms = filter.split(/\s+or\s+/i).map((term) => /^id eq "([^"]+)"$/i.exec(term.trim())?.[1]);
  return terms.every((id) => id !== undefined) ? (terms as string[]) : null;
}
