import { sampleEntraGroups } from "../local/graph/sample-tenant";
import { startLocalRuntime } from "../local/local-runtime";

/**
 * What one Graph notification costs now that a group notification re-reads the group instead of
 * trusting `members@delta`: Graph requests (token, group, transitive members, new users' profiles)
 * and Kiro requests, for one user joining Kiro-Developers (two levels of nested groups) through
 * its nested SRE group, counted from the local tenant's and the emulator's request logs.
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
    };
  } finally {
    await runtime.stop();
  }
}
