import type { GraphUserState } from "../local/graph/graph-tenant-server";
import { sampleEntraGroups } from "../local/graph/sample-tenant";
import { type LocalRuntime, startLocalRuntime } from "../local/local-runtime";

/**
 * What one Graph notification costs now that a group notification re-reads the group instead of
 * trusting `members@delta`: Graph requests (token, group, transitive members, new users' profiles)
 * and Kiro requests, for one user joining Kiro-Developers (two levels of nested groups) through
 * its nested SRE group, counted from the local tenant's and the emulator's request logs. Then:
 * a burst (10 users join at once, 10 notifications sent back to back: how many group re-reads the
 * lease coalesces them into, and Kiro requests against the minimum), a notification Graph
 * redelivers 5 times, and a delta round with nothing changed and with one silent profile edit.
 */
export async function benchEntraNotifications() {
  const runtime = await startLocalRuntime({ ...process.env, PORT: "0" });
  try {
    const tenant = runtime.graphTenant;
    const emulator = runtime.emulator;
    if (!tenant || !emulator) throw new Error("the local Graph tenant and Kiro emulator are needed");
    const samples: { graph: number; kiro: number }[] = [];
    for (let index = 0; index < 10; index++) {
      const id = `e0a1f9d2-5555-4000-9000-${String(index).padStart(12, "0")}`;
      tenant.addUser({
        id,
        userPrincipalName: `bench${index}@contoso.example`,
        displayName: `Bench ${index}`,
        givenName: "Bench",
        surname: `${index}`,
        mail: `bench${index}@contoso.example`,
        accountEnabled: true,
      });
      tenant.addMember(sampleEntraGroups.sre.id, id);
      const graphBefore = tenant.requests.length;
      const kiroBefore = emulator.requests().length;
      await tenant.notifyGroupChange(sampleEntraGroups.sre.id, { added: [id] });
      await runtime.bus.idle();
      samples.push({
        graph: tenant.requests.length - graphBefore,
        kiro: emulator.requests().length - kiroBefore,
      });
    }
    const burst = await notificationBurst(runtime);
    const redelivered = await redeliveries(runtime);
    const delta = await deltaRounds(runtime);
    const graph = samples.map((sample) => sample.graph).sort((a, b) => a - b);
    const kiro = samples.map((sample) => sample.kiro).sort((a, b) => a - b);
    return {
      notifications: samples.length,
      graphRequestsPerNotification: {
        min: graph[0],
        median: graph[Math.floor(graph.length / 2)],
        max: graph.at(-1),
      },
      kiroRequestsPerNotification: {
        min: kiro[0],
        median: kiro[Math.floor(kiro.length / 2)],
        max: kiro.at(-1),
      },
      burst,
      redelivered,
      delta,
    };
  } finally {
    await runtime.stop();
  }
}

let serial = 0;
function benchUser(runtime: LocalRuntime): GraphUserState {
  serial += 1;
  const user = {
    id: `e0a1f9d2-6666-4000-9000-${String(serial).padStart(12, "0")}`,
    userPrincipalName: `burst${serial}@contoso.example`,
    displayName: `Burst ${serial}`,
    givenName: "Burst",
    surname: `${serial}`,
    mail: `burst${serial}@contoso.example`,
    accountEnabled: true,
  };
  runtime.graphTenant!.addUser(user);
  return user;
}

/** Full re-reads of a group: first pages of transitiveMembers (a large group takes more pages). */
const transitiveReads = (runtime: LocalRuntime, since: number) =>
  runtime
    .graphTenant!.requests.slice(since)
    .filter((request) => request.path.includes("/transitiveMembers") && !request.path.includes("skiptoken"))
    .length;

async function notificationBurst(runtime: LocalRuntime) {
  const tenant = runtime.graphTenant!;
  const emulator = runtime.emulator!;
  const before = emulator.directory.snapshot().groups.map((group) => group.members.length);
  const graphBefore = tenant.requests.length;
  emulator.clearRequests();
  const joiners = Array.from({ length: 10 }, () => benchUser(runtime));
  for (const joiner of joiners) tenant.addMember(sampleEntraGroups.sre.id, joiner.id);
  await Promise.all(
    joiners.map((joiner) => tenant.notifyGroupChange(sampleEntraGroups.sre.id, { added: [joiner.id] })),
  );
  await runtime.bus.idle();
  const after = emulator.directory.snapshot().groups.map((group) => group.members.length);
  const groupsChanged = after.filter((count, index) => count !== before[index]).length;
  return {
    notifications: joiners.length,
    graphRequests: tenant.requests.length - graphBefore,
    groupReReads: transitiveReads(runtime, graphBefore),
    syncedGroupsContainingThem: groupsChanged,
    kiroRequests: emulator.requests().length,
    kiroMinimum: joiners.length + groupsChanged,
  };
}

async function redeliveries(runtime: LocalRuntime) {
  const tenant = runtime.graphTenant!;
  const joiner = benchUser(runtime);
  tenant.addMember(sampleEntraGroups.sre.id, joiner.id);
  const graphBefore = tenant.requests.length;
  await tenant.notifyGroupChange(sampleEntraGroups.sre.id, { added: [joiner.id] });
  for (let copy = 0; copy < 5; copy++) await tenant.redeliverLastNotification();
  await runtime.bus.idle();
  return {
    deliveries: 6,
    graphRequests: tenant.requests.length - graphBefore,
    groupReReads: transitiveReads(runtime, graphBefore),
  };
}

async function deltaRounds(runtime: LocalRuntime) {
  const tenant = runtime.graphTenant!;
  await runtime.runEntraMaintenance();
  const quietBefore = tenant.requests.length;
  await runtime.runEntraMaintenance();
  const quiet = tenant.requests.length - quietBefore;
  tenant.updateUser([...tenant.users.keys()][0]!, { displayName: "Edited Silently" });
  const editBefore = tenant.requests.length;
  runtime.emulator!.clearRequests();
  await runtime.runEntraMaintenance();
  return {
    graphRequestsNothingChanged: quiet,
    graphRequestsOneProfileEdit: tenant.requests.length - editBefore,
    kiroRequestsOneProfileEdit: runtime.emulator!.requests().length,
  };
}
