import { startLocalRuntime } from "../local/local-runtime";
import { round } from "./stats";

const sizes = (process.env.BENCH_DEEP_AUDIT_USERS ?? "1000,10000").split(",").map(Number);
const membersPerGroup = 100;

/**
 * The daily deep audit through the whole service (admin route → run chunks → workers → Kiro
 * emulator, on DynamoDB Local), for each size in `BENCH_DEEP_AUDIT_USERS`: a generated Okta
 * directory of N users in N/100 groups is synced, then a deep audit with no drift (reads only),
 * then one after console edits (1 % of memberships removed, 1 % of users renamed, 10 strangers added
 * to managed groups). Each figure is the audit's SCIM reads against its minimum: ⌈users/100⌉ +
 * ⌈groups/100⌉ pages plus one group lookup per Kiro user.
 */
export async function benchDeepAudit() {
  const results = [];
  for (const users of sizes) results.push(await auditDirectory(users));
  return results;
}

async function auditDirectory(users: number) {
  const runtime = await startLocalRuntime({
    ...process.env,
    SYNC_GROUPS: "Audit-*",
    PORT: "0",
    REMOVAL_HOLD_SHARE: "1",
  });
  try {
    const okta = runtime.oktaOrg!;
    const emulator = runtime.emulator!;
    const groups = Math.ceil(users / membersPerGroup);
    const userId = (index: number) => `00uaudit${String(index).padStart(12, "0")}`;
    for (let index = 0; index < users; index++) {
      const login = `audit${index}@example.com`;
      okta.addUser({
        id: userId(index),
        status: "ACTIVE",
        profile: { login, email: login, firstName: "Audit", lastName: `User${index}` },
      });
    }
    for (let index = 0; index < groups; index++) {
      const id = `00gaudit${String(index).padStart(12, "0")}`;
      okta.addGroup({ id, name: `Audit-${index}` });
      for (
        let member = index * membersPerGroup;
        member < Math.min(users, (index + 1) * membersPerGroup);
        member++
      )
        okta.addMember(id, userId(member));
    }
    const reconcile = async (query: string) => {
      const started = performance.now();
      const response = await fetch(`${runtime.url}/admin/reconcile${query}`, {
        method: "POST",
        headers: { authorization: `Bearer ${runtime.config.adminToken}` },
      });
      const { runId } = (await response.json()) as { runId: string };
      await runtime.bus.idle();
      return { runId, seconds: round((performance.now() - started) / 1000, 1) };
    };
    const synced = await reconcile("");
    const kiroUsers = () => emulator.directory.snapshot().users.length;
    const minimumReads = () =>
      Math.ceil(kiroUsers() / 100) +
      Math.ceil(emulator.directory.snapshot().groups.length / 100) +
      kiroUsers();
    const audit = async (label: string) => {
      emulator.clearRequests();
      const oktaBefore = okta.requests.length;
      const { runId, seconds } = await reconcile("?deep=true");
      const requests = emulator.requests();
      const status = (await (
        await fetch(`${runtime.url}/status`, {
          headers: { authorization: `Bearer ${runtime.config.statusToken}` },
        })
      ).json()) as { runs: { runId: string; drift?: Record<string, unknown> }[] };
      const drift = status.runs.find((run) => run.runId === runId)?.drift ?? {};
      return {
        label,
        seconds,
        scimReads: requests.filter((entry) => entry.method === "GET").length,
        minimumReads: minimumReads(),
        scimWrites: requests.filter((entry) => entry.method !== "GET").length,
        oktaRequests: okta.requests.length - oktaBefore,
        repaired: { ...drift, examples: undefined },
      };
    };
    const clean = await audit("no drift");
    const snapshot = emulator.directory.snapshot();
    const edits = { membershipsRemoved: 0, usersRenamed: 0, strangersAdded: 0 };
    const managedGroups = snapshot.groups.filter((group) => String(group.displayName).startsWith("Audit-"));
    for (const group of managedGroups) {
      const member = group.members[0];
      if (member && edits.membershipsRemoved < Math.ceil(users / 100)) {
        emulator.directory.patchGroup(
          String(group.id),
          patchOp([{ op: "remove", path: "members", value: [{ value: member }] }]),
        );
        edits.membershipsRemoved += 1;
      }
    }
    for (const user of snapshot.users.slice(0, Math.ceil(users / 100))) {
      emulator.directory.patchUser(
        String(user.id),
        patchOp([{ op: "replace", path: "displayName", value: "Edited By Hand" }]),
      );
      edits.usersRenamed += 1;
    }
    for (let index = 0; index < 10; index++) {
      const stranger = emulator.directory.createUser({
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
        userName: `stranger${index}@example.com`,
        displayName: `Stranger ${index}`,
        name: { givenName: "Stranger", familyName: `${index}` },
        active: true,
      });
      const group = managedGroups[index % managedGroups.length]!;
      emulator.directory.patchGroup(
        String(group.id),
        patchOp([{ op: "add", path: "members", value: [{ value: stranger.id }] }]),
      );
      edits.strangersAdded += 1;
    }
    const drifted = await audit("after console edits");
    const converged = await audit("after repair");
    return { users, groups, syncSeconds: synced.seconds, edits, audits: [clean, drifted, converged] };
  } finally {
    await runtime.stop();
  }
}

const patchOp = (Operations: unknown[]) => ({
  schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
  Operations,
});
