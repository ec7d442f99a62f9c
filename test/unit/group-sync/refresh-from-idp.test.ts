import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OktaDirectory } from "../../../core/adapters/okta/okta-directory";
import { GroupScope } from "../../../core/domain/group-scope";
import {
  type IdpRefreshDependencies,
  refreshFromIdp,
} from "../../../core/use-cases/group-sync/refresh-from-idp";
import { OktaOrgServer } from "../../../local/okta-org/okta-org-server";
import { type InMemoryLedger, inMemoryLedger } from "../../support/doubles/in-memory-ledger";
import { seedMembership, seedVersion, source } from "./support";

let org: OktaOrgServer;

beforeAll(async () => {
  org = await OktaOrgServer.start();
});
afterAll(() => org.stop());
afterEach(() => org.recover());

function deps(ledger: InMemoryLedger, extra: Partial<IdpRefreshDependencies> = {}): IdpRefreshDependencies {
  return { ledger, directory: new OktaDirectory({ orgUrl: org.orgUrl, token: org.apiToken }), ...extra };
}

/** An Okta group named `name` holding these users (created in the org when new). */
function oktaGroup(groupId: string, name: string, userIds: string[]): void {
  org.addGroup({ id: groupId, name });
  for (const userId of userIds) {
    const login = `${userId}@acme.test`;
    org.addUser({
      id: userId,
      status: "ACTIVE",
      profile: { login, email: login, firstName: "Re", lastName: "Read" },
    });
    org.addMember(groupId, userId);
  }
}

/** A group the ledger knows under `name`, with these desired members, that the IdP asked to re-read. */
async function groupToRefresh(
  ledger: InMemoryLedger,
  groupId: string,
  name: string,
  desired: string[],
  runId?: string,
) {
  await ledger.recordGroupName(source, groupId, name, seedVersion());
  for (const userId of desired)
    await seedMembership(ledger, groupId, userId, { desired: true, applied: true });
  await ledger.requestGroupRefresh(source, groupId, seedVersion(), runId);
  return (await ledger.getGroup(source, groupId))!;
}

const desiredOf = async (ledger: InMemoryLedger, groupId: string) =>
  Object.fromEntries(
    (await ledger.listMemberships(source, groupId)).map((membership) => [
      membership.userId,
      membership.desired,
    ]),
  );

describe("refreshFromIdp", () => {
  it("records the new members and the removals a complete read finds, and marks the group re-read", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    oktaGroup("00grefresh1", "Platform", ["00ustays1", "00ujoins1"]);
    const group = await groupToRefresh(ledger, "00grefresh1", "Platform", ["00ustays1", "00uleaves1"]);

    // Act
    const refreshed = await refreshFromIdp(group, deps(ledger));

    // Assess
    expect(await desiredOf(ledger, "00grefresh1")).toEqual({
      "00ujoins1": true,
      "00uleaves1": false,
      "00ustays1": true,
    });
    expect((await ledger.getUser(source, "00ujoins1"))?.profileRequestedVersion).toBeDefined();
    expect(refreshed).toMatchObject({ incomplete: undefined, held: undefined });
    expect(refreshed.group.refreshedVersion).toBe(group.refreshRequestedVersion);
  });

  it("adds the members read before a later page failed, removes no one, and leaves the group marked for a re-read", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const readable = Array.from({ length: 250 }, (_, index) => `00upartial${String(index).padStart(4, "0")}`);
    oktaGroup("00grefresh2", "Partial", readable);
    const group = await groupToRefresh(ledger, "00grefresh2", "Partial", ["00uzleaver2"]);
    org.failNext("unavailable", 1_000, { path: /\/groups\/00grefresh2\/users\?after=/ });

    // Act
    const refreshed = await refreshFromIdp(group, deps(ledger));

    // Assess
    expect(refreshed.incomplete).toMatch(/503/);
    const desired = await desiredOf(ledger, "00grefresh2");
    expect(desired["00uzleaver2"]).toBe(true);
    expect(readable.filter((userId) => desired[userId] === true)).toEqual(readable.slice(0, 200));
    expect(refreshed.group.refreshedVersion).toBeUndefined();
  });

  it("holds a run's removals once they pass its share of managed users, and still records the adds", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    await ledger.startRun({
      runId: "run-hold-1",
      kind: "reconcile",
      reason: "nightly",
      startedAt: new Date().toISOString(),
      managedUsers: 10,
      step: { phase: "groups" },
    });
    oktaGroup("00grefresh3", "Ops", ["00ustays3", "00ujoins3"]);
    const leavers = ["00uleaves3a", "00uleaves3b", "00uleaves3c"];
    const group = await groupToRefresh(ledger, "00grefresh3", "Ops", ["00ustays3", ...leavers], "run-hold-1");

    // Act
    const refreshed = await refreshFromIdp(group, deps(ledger, { removalHoldShare: 0.1 }));

    // Assess
    expect(refreshed.held).toContain("reconcile run run-hold-1 would remove 3 of 10 managed users");
    expect(await desiredOf(ledger, "00grefresh3")).toEqual({
      "00ujoins3": true,
      "00uleaves3a": true,
      "00uleaves3b": true,
      "00uleaves3c": true,
      "00ustays3": true,
    });
    expect(await ledger.listHeldRemovals()).toEqual([
      expect.objectContaining({ runId: "run-hold-1", groupId: "00grefresh3", userIds: leavers }),
    ]);
  });

  it("removes every member of a group renamed out of SYNC_GROUPS, and marks the group deleted", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    oktaGroup("00grefresh4", "Sales", ["00ustays4a", "00ustays4b"]);
    const group = await groupToRefresh(ledger, "00grefresh4", "Kiro-Sales", ["00ustays4a", "00ustays4b"]);

    // Act
    const refreshed = await refreshFromIdp(group, deps(ledger, { scope: new GroupScope("Kiro-*") }));

    // Assess
    expect(await desiredOf(ledger, "00grefresh4")).toEqual({ "00ustays4a": false, "00ustays4b": false });
    expect(refreshed.group).toMatchObject({ name: "Sales", deleted: true });
  });

  it("records a group the IdP no longer has as deleted", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const group = await groupToRefresh(ledger, "00grefresh5", "Gone", ["00umember5"]);

    // Act
    const refreshed = await refreshFromIdp(group, deps(ledger));

    // Assess
    expect(refreshed.group).toMatchObject({ deleted: true, refreshedVersion: group.refreshRequestedVersion });
  });
});
