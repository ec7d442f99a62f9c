import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { generate } from "selfsigned";

export interface LocalTls {
  key: string;
  cert: string;
}

/** Where the local certificate lives; git-ignored, made once per checkout. */
export const localTlsDir = resolve(".local-data/tls");
export const localCaBundle = join(localTlsDir, "ca-bundle.pem");

/**
 * The local Graph tenant must be HTTPS for the real Graph client and token provider to use it, and
 * Node only trusts extra CAs named in NODE_EXTRA_CA_CERTS when a process starts. So the certificate is
 * made before any process that needs it starts (vitest config, `npm start`), and the bundle keeps a
 * CA the user already trusts through NODE_EXTRA_CA_CERTS (say, a corporate proxy's) next to ours.
 */
export async function ensureLocalTls(): Promise<LocalTls> {
  const keyFile = join(localTlsDir, "key.pem");
  const certFile = join(localTlsDir, "cert.pem");
  if (!existsSync(keyFile) || !existsSync(certFile)) {
    mkdirSync(localTlsDir, { recursive: true });
    const pems = await generate([{ name: "commonName", value: "localhost" }], {
      keySize: 2048,
      algorithm: "sha256",
      notAfterDate: new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000),
      extensions: [
        { name: "basicConstraints", cA: true },
        {
          name: "subjectAltName",
          altNames: [
            { type: 2, value: "localhost" },
            { type: 7, ip: "127.0.0.1" },
          ],
        },
      ],
    });
    writeFileSync(keyFile, pems.private, { mode: 0o600 });
    writeFileSync(certFile, pems.cert);
  }
  const cert = readFileSync(certFile, "utf8");
  const inherited = process.env.NODE_EXTRA_CA_CERTS;
  const extra =
    inherited && inherited !== localCaBundle && existsSync(inherited) ? readFileSync(inherited, "utf8") : "";
  writeFileSync(localCaBundle, `${extra}\n${cert}`);
  return { key: readFileSync(keyFile, "utf8"), cert };
}

/** True when this process was started trusting the local certificate. */
export function trustsLocalTls(): boolean {
  return process.env.NODE_EXTRA_CA_CERTS === localCaBundle;
}
