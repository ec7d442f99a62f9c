import { spawn } from "node:child_process";
import { ensureLocalTls, localCaBundle } from "../tls/local-tls";

/**
 * `npm start`, `npm run bench` and `npm run doctor` go through here: make the local certificate,
 * then run the real entry point in a child that trusts it from its first instruction. Signals are
 * passed on and the child's exit code is ours, so Ctrl-C, or a SIGTERM to npm alone, behaves as if
 * there were no wrapper. The scripts `exec` this file: npm forwards a signal only to its own child,
 * and a shell in between would die of it without passing it on, leaving everything below running.
 * They run it with `node --import tsx` rather than the tsx CLI, whose relay SIGKILLs a child that
 * has not acknowledged a forwarded signal within 30 ms, which a busy machine can miss.
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
