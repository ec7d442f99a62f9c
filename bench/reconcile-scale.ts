import { startLocalRuntime } from "../local/local-runtime";
import { round } from "./stats";

const scale = Number(process.env.BENCH_RECONCILE_SCALE ?? 1);
const users = Math.round(10_000 * scale);
const groups = Math.round(1_000 * scale);
const membersPerGroup = 100;

/**
 * Reconcile of a generated Okta directory (10k users, 1k groups, 100 members each = 100k
 * memberships at scale 1; `BENCH_RECONCILE_SCALE` shrinks it) through the whole service: admin
 * route → run chunks → workers → emulator, on DynamoDB Local. Three runs: first (everything
 * created), second (nothing changed), after an emulator profile reset (re-provisioned). Peak RSS
 * is the node process, which also hosts the emulators; DynamoDB Local is a separate JVM.
 */
export async function benchReconcileScale() {
  const runtime = await startLocalRuntime({
    ...process.env,
    SYNC_GROUPS: "Bench-*",
    PORT: "0",
    REMOVAL_HOLD_SHARE: "1",
  });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 250);
  try {
    const okta = runtime.oktaOrg!;
    for (let index = 0; index < users; index++) {
      const login = `bench${index}@example.com`;
      okta.addUser({
        id: `00ubench${String(index).padStart(12, "0")}`,
        status: "ACTIVE",
        profile: { login, email: login, firstName: "Bench", lastName: `User${index}` },
      });
    }
    for (let index = 0; index < groups; index++) {
      const id = `00gbench${String(index).padStart(12, "0")}`;
      okta.addGroup({ id, name: `Bench-${index}` });
      for (let member = 0; member < membersPerGroup; member++) {
        const user = (index * 7919 + member * 101) % users;
        okta.addMember(id, `00ubench${String(user).padStart(12, "0")}`);
      }
    }
    const memberships = [...okta.members.values()].reduce((sum, set) => sum + set.size, 0);
    const reconcile = async (label: string) => {
      const emulator = runtime.emulator!;
      emulator.clearRequests();
      const started = performance.now();
      const response = await fetch(`${runtime.url}/admin/reconcile`, {
        method: "POST",
        headers: { authorization: `Bearer ${runtime.config.adminToken}` },
      });
      await runtime.bus.idle();
      const requests = emulator.requests();
      return {
        label,
        status: response.status,
        seconds: round((performance.now() - started) / 1000, 1),
        scimRequests: requests.length,
        scimWrites: requests.filter((entry) => entry.method !== "GET").length,
        kiroMemberships: emulator.directory
          .snapshot()
          .groups.filter((group) => String(group.displayName).startsWith("Bench-"))
          .reduce((sum, group) => sum + group.members.length, 0),
      };
    };
    const first = await reconcile("first run");
    const second = await reconcile("nothing changed");
    const fresh = runtime.emulator!.resetProfile();
    await runtime.secrets.put({ KiroScim: { url: fresh.scimUrl, token: fresh.token } });
    const afterReset = await reconcile("after profile reset");
    return {
      users,
      groups,
      memberships,
      minimumAfterReset: users + groups + groups * Math.ceil(membersPerGroup / 100),
      runs: [first, second, afterReset],
      peakRssMb: Math.round(peakRss / 1024 / 1024),
    };
  } finally {
    clearInterval(sampler);
    await runtime.stop();
  }
}
