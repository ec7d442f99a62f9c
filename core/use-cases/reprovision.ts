import { createHash, randomUUID } from "node:crypto";
import type { IdentitySource } from "../domain/identity-source";
import type { EventBus } from "../ports/event-bus";
import type { KiroScimPort } from "../ports/kiro-scim";
import type { KiroTargetRecord } from "../ports/ledger-records";
import type { SyncControl } from "../ports/sync-control";
import { countManagedUsers } from "./managed-users";
import type { InlineRetry } from "./read-with-retries";
import { type RunLedger, startRun } from "./run-chunks";

export interface ReprovisionDependencies {
  ledger: RunLedger & SyncControl;
  bus: EventBus;
  sources: readonly IdentitySource[];
  now?: () => Date;
}

/** Where the workers send SCIM requests, as configured now. */
export interface KiroEndpoint {
  url: string;
  token: string;
}

/** A recreated Kiro profile has a new tenant id, hence a new SCIM URL; a rotated token keeps the URL. */
export function kiroTargetFingerprint(url: string): string {
  return createHash("sha256").update(url.replace(/\/+$/, "").toLowerCase()).digest("hex").slice(0, 32);
}

/** Only a hash of the token is stored: enough to notice a new one, useless to anyone reading the table. */
function credentialFingerprint(token: string): string {
  return createHash("sha256").update(`kiro-scim-sync|${token}`).digest("hex").slice(0, 16);
}

/**
 * Whether an endpoint is the one the ledger recorded, URL and token. A warm Lambda's cached secret
 * that disagrees is read again before anyone concludes that the profile or its token changed.
 */
export function matchesKiroTarget(endpoint: KiroEndpoint, target: KiroTargetRecord | undefined): boolean {
  return (
    !target ||
    (target.fingerprint === kiroTargetFingerprint(endpoint.url) &&
      (target.credential === undefined || target.credential === credentialFingerprint(endpoint.token)))
  );
}

function targetRecord(endpoint: KiroEndpoint, since: string, reprovisionRunId?: string): KiroTargetRecord {
  return {
    fingerprint: kiroTargetFingerprint(endpoint.url),
    url: endpoint.url,
    since,
    credential: credentialFingerprint(endpoint.token),
    reprovisionRunId,
  };
}

/**
 * Starts a re-provisioning run: in chunks, every Kiro id and applied membership is forgotten and
 * every group triggered, so users, groups and memberships are created again (adopting whatever
 * already exists by externalId) in PATCHes of ≤100, with progress in `/status`. Answers the run id,
 * or undefined when another worker claimed the target first.
 */
export async function reprovision(
  deps: ReprovisionDependencies,
  reason: string,
  endpoint: KiroEndpoint,
  previous: KiroTargetRecord | undefined,
): Promise<{ runId: string; reason: string; users: number } | undefined> {
  const startedAt = (deps.now ?? (() => new Date()))().toISOString();
  const runId = randomUUID();
  const sameProfile = previous?.fingerprint === kiroTargetFingerprint(endpoint.url);
  const target = targetRecord(endpoint, sameProfile ? previous.since : startedAt, runId);
  if (!(await deps.ledger.claimKiroTarget(target, previous))) return undefined;
  let users = 0;
  for (const source of deps.sources) users += await countManagedUsers(deps.ledger, source);
  await startRun(deps, { runId, kind: "reprovision", reason, startedAt, managedUsers: users }, deps.sources);
  return { runId, reason, users };
}

/**
 * Called before any sync. The first target is remembered; a different SCIM URL means the Kiro
 * profile was deleted and recreated, and everything is provisioned again. A new token behind the
 * same URL is usually a rotation, but is also how an emptied profile shows up, so it is checked at
 * once with a sample of mapped ids rather than at the next reconcile. Conditional claims let exactly
 * one of several workers that notice at once act.
 */
export async function ensureKiroTarget(
  deps: ReprovisionDependencies & { scim: KiroScimPort; retryRead?: InlineRetry | undefined },
  endpoint: KiroEndpoint,
): Promise<"unchanged" | "first" | "reprovisioning"> {
  const current = await deps.ledger.getKiroTarget();
  const now = (deps.now ?? (() => new Date()))().toISOString();
  if (!current) {
    await deps.ledger.claimKiroTarget(targetRecord(endpoint, now), undefined);
    return "first";
  }
  if (current.fingerprint !== kiroTargetFingerprint(endpoint.url)) {
    const started = await reprovision(
      deps,
      "the Kiro SCIM endpoint changed (profile recreated?)",
      endpoint,
      current,
    );
    return started ? "reprovisioning" : "unchanged";
  }
  const credential = credentialFingerprint(endpoint.token);
  if (current.credential === credential) return "unchanged";
  const checked = { ...current, credential, revision: (current.revision ?? 0) + 1 };
  if (!(await deps.ledger.claimKiroTarget(checked, current))) return "unchanged";
  if (
    current.credential === undefined ||
    !(await mappedIdsMostlyGone(deps.ledger, deps.scim, deps.sources, { retryRead: deps.retryRead }))
  )
    return "unchanged";
  const reason =
    "the SCIM token changed and most mapped Kiro ids answer 404 (profile emptied behind the same URL?)";
  return (await reprovision(deps, reason, endpoint, checked)) ? "reprovisioning" : "unchanged";
}

/**
 * The same URL can still point at an emptied profile. A sample of mapped users is read back: one
 * 404 is drift (that user is recreated on its own), most of them gone is a reset. Each read goes
 * through `retryRead` when the caller is a request: the claim made before this check is not made
 * twice, so a blip must be absorbed here rather than by running the whole check again.
 */
export async function mappedIdsMostlyGone(
  ledger: RunLedger & SyncControl,
  scim: KiroScimPort,
  sources: readonly IdentitySource[],
  options: { sampleSize?: number; retryRead?: InlineRetry | undefined } = {},
): Promise<boolean> {
  const sampleSize = options.sampleSize ?? 20;
  const read: InlineRetry = options.retryRead ?? ((work) => work());
  const scimIds: string[] = [];
  for (const source of sources) {
    const synced = await ledger.listByStatus(source, "USER", "synced", sampleSize);
    const users = await ledger.getUsers(
      source,
      synced.map((entry) => entry.id),
    );
    for (const user of users.values()) if (user.scimId) scimIds.push(user.scimId);
  }
  const sample = scimIds.slice(0, sampleSize);
  if (sample.length < 5) return false;
  let missing = 0;
  for (const id of sample) if ((await read(() => scim.getUser(id))) === undefined) missing += 1;
  return missing / sample.length >= 0.8;
}
