// Self-signed PKI for one local control plane, made with the openssl CLI
// (argv arrays, no shell): a CA, the kube-apiserver serving certificate, and an
// admin client certificate in system:masters. The serving key also signs
// service-account tokens.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from './proc.js';

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  /** kube-apiserver serving certificate and key. */
  serverCert: string;
  serverKey: string;
  /** Client certificate CN=admin, O=system:masters. */
  adminCert: string;
  adminKey: string;
  /** Key that signs (private) and verifies (same file) service-account tokens. */
  serviceAccountKey: string;
}

/** The first address of the service range 10.0.0.0/24: the `kubernetes` Service. */
export const SERVICE_IP = '10.0.0.1';

const SERVER_SANS = [
  'DNS:localhost',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'DNS:kubernetes.default.svc.cluster.local',
  'IP:127.0.0.1',
  `IP:${SERVICE_IP}`,
];

const DAYS = '3650';

export async function createPki(dir: string, openssl = 'openssl'): Promise<Pki> {
  await mkdir(dir, { recursive: true });
  const f = (name: string) => path.join(dir, name);
  const pki: Pki = {
    dir,
    caCert: f('ca.crt'),
    caKey: f('ca.key'),
    serverCert: f('apiserver.crt'),
    serverKey: f('apiserver.key'),
    adminCert: f('admin.crt'),
    adminKey: f('admin.key'),
    serviceAccountKey: f('apiserver.key'),
  };

  await run(openssl, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-days',
    DAYS,
    '-keyout',
    pki.caKey,
    '-out',
    pki.caCert,
    '-subj',
    '/CN=gitops-flow-e2e-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign',
  ]);

  await issue(openssl, pki, {
    key: pki.serverKey,
    cert: pki.serverCert,
    subject: '/CN=kube-apiserver',
    extensions: [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${SERVER_SANS.join(',')}`,
    ],
  });

  await issue(openssl, pki, {
    key: pki.adminKey,
    cert: pki.adminCert,
    subject: '/O=system:masters/CN=admin',
    extensions: [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=clientAuth',
    ],
  });
  return pki;
}

async function issue(
  openssl: string,
  pki: Pki,
  o: { key: string; cert: string; subject: string; extensions: string[] },
): Promise<void> {
  const csr = `${o.cert}.csr`;
  const ext = `${o.cert}.ext`;
  await writeFile(ext, `${o.extensions.join('\n')}\n`);
  await run(openssl, [
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-keyout',
    o.key,
    '-out',
    csr,
    '-subj',
    o.subject,
  ]);
  await run(openssl, [
    'x509',
    '-req',
    '-sha256',
    '-days',
    DAYS,
    '-in',
    csr,
    '-CA',
    pki.caCert,
    '-CAkey',
    pki.caKey,
    '-CAcreateserial',
    '-CAserial',
    path.join(pki.dir, 'ca.srl'),
    '-extfile',
    ext,
    '-out',
    o.cert,
  ]);
}
