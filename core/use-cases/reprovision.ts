import { createHash, randomUUID } from "node:crypto";
import type { IdentitySource } from "../domain/identity-source";
import type { EventBus } from "../ports/event-bus";
import type { KiroScimPort } from "../ports/kiro-scim";
import type { KiroTargetRecord, Ledger } from "../ports/ledger";
import { countManagedUsers } from "./managed-users";
import { startRun } from "./run-chunks";

export interface ReprovisionDependencies {
  ledger: Ledger;
  bus: EventBus;
  sources: readonly IdentitySource[];
  now?: () => Date;
}

/** A recreated Kiro profile has a new tenant id, hence a new SCIM URL; a rotated token keeps the URL. */
export function kiroTargetFingerprint(url: string): string {
  return createHash("sha256").update(url.replace(/\/+$/, "").toLowerCase()).digest("hex").slice(0, 32);
}

/**
 * Starts a re-provisioning run: in chunks, every Kiro id and applied membership is forgotten and
 * every group triggered, so users, groups and memberships are created again (adopting whatever
 * already exists by externalId) in PATCHes of ≤100, with progress in `/status`. Answers the run id,
 * or undefined when another worker claimed the re-provisioning first.
 */
export async function reprovision(
  deps: ReprovisionDependencies,
  reason: string,
  url: string,
  previous: KiroTargetRecord | undefined,
): Promise<{ runId: string; reason: string; users: number } | undefined> {
  const startedAt = (deps.now ?? (() => new Date()))().toISOString();
  const runId = randomUUID();
  const fingerprint = kiroTargetFingerprint(url);
  const target: KiroTargetRecord = {
    fingerprint,
    url,
    since: previous?.fingerprint === fingerprint ? previous.since : startedAt,
    reprovisionRunId: runId,
  };
  if (!(await deps.ledger.claimKiroTarget(target, previous?.fingerprint))) return undefined;
  let users = 0;
  for (const source of deps.sources) users += await countManagedUsers(deps.ledger, source);
  await startRun(
    deps,
    { runId, kind: "reprovision", reason, startedAt, managedUsers: users, total: users },
    deps.sources,
  );
  return { runId, reason, users };
}

/**
 * Called before any sync: the first target is remembered; a different SCIM URL means the Kiro
 * profile was deleted and recreated, and everything is provisioned again. Of several workers that
 * notice at once, the conditional claim lets exactly one re-provision.
 */
export async function ensureKiroTarget(
  deps: ReprovisionDependencies,
  url: string,
): Promise<"unchanged" | "first" | "reprovisioning"> {
  const current = await deps.ledger.getKiroTarget();
  const fingerprint = kiroTargetFingerprint(url);
  if (!current) {
    await deps.ledger.claimKiroTarget({ fingerprint, url, since: new Date().toISOString() }, undefined);
    return "first";
  }
  if (current.fingerprint === fingerprint) return "unchanged";
  return (await reprovision(deps, "the Kiro SCIM endpoint changed (profile recreated?)", url, current))
    ? "reprovisioning"
    : "unchanged";
}

/**
 * The same URL can still point at an emptied profile. A sample of mapped users is read back: one
 * 404 is drift (that user is recreated on its own), most of them gone is a reset.
 */
export async function mappedIdsMostlyGone(
  ledger: Ledger,
  scim: KiroScimPort,
  sources: readonly IdentitySource[],
  sampleSize = 20,
): Promise<boolean> {
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
  for (const id of sample) if ((await scim.getUser(id)) === undefined) missing += 1;
  return missing / sample.length >= 0.8;
}
