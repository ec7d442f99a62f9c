import { spawn } from "node:child_process";
import { ensureLocalTls, localCaBundle } from "../tls/local-tls";

/**
 * `npm start` and `npm run bench` go through here: make the local certificate, then run the real
 * entry point in a child that trusts it from its first instruction. Signals are passed on and the
 * child's exit code is ours, so Ctrl-C behaves as if there were no wrapper.
 */
await ensureLocalTls();
const [entry, ...args] = process.argv.slice(2);
const child = spawn(process.execPath, ["--import", "tsx", entry ?? "local/start.ts", ...args], {
  stdio: "inherit",
  env: { ...process.env, NODE_EXTRA_CA_CERTS: localCaBundle },
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
