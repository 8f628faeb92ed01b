import { cleanEnv } from '../../helpers/cli.js';
import { freePort } from '../../helpers/registry.js';
import {
  basicChallenge,
  type CliCase,
  cli,
  deadKubeconfig,
  dockerHome,
  pinDigest,
  repo,
  withRegistry,
  withStub,
} from './catalogue.js';

export const REGISTRY_CASES: CliCase[] = [
  {
    code: 'IMAGE_TAG_MISSING',
    exit: 2,
    value: 'application-image',
    hint: 'Give a tag: --image application-image=registry.example.com/team/app:<tag>',
    run: () => pinDigest('registry.example.com/team/app'),
  },
  {
    code: 'REGISTRY_UNREACHABLE',
    exit: 1,
    hint: 'GITOPS_FLOW_INSECURE_REGISTRIES',
    run: async () => {
      // A port nothing listens on (bound, then released): connection refused.
      const host = `127.0.0.1:${await freePort()}`;
      return { ...(await pinDigest(`${host}/team/app:1.0.0`, {})), value: `http://${host}: ECONNREFUSED` };
    },
  },
  {
    code: 'IMAGE_TAG_NOT_FOUND',
    exit: 2,
    hint: 'that the image was pushed',
    run: () =>
      withRegistry(async (r) => ({
        ...(await pinDigest(`${r.host}/team/app:9.9.9`, {})),
        value: `${r.host}/team/app:9.9.9`,
      })),
  },
  {
    code: 'DIGEST_MISMATCH',
    exit: 2,
    value: `sha256:${'0'.repeat(64)}`,
    hint: 'pass 127.0.0.1',
    run: () =>
      withRegistry(async (r) => {
        await r.push('team/app', '1.0.0');
        return pinDigest(`${r.host}/team/app:1.0.0@sha256:${'0'.repeat(64)}`, {});
      }),
  },
  {
    code: 'REGISTRY_UNAUTHORIZED',
    exit: 1,
    hint: 'docker login 127.0.0.1',
    run: () =>
      withRegistry(
        async (r) => {
          await r.push('team/app', '1.0.0', { user: 'ci' });
          return {
            ...(await pinDigest(
              `${r.host}/team/app:1.0.0`,
              dockerHome(JSON.stringify({ auths: { [r.host]: { auth: Buffer.from('ci:wrong').toString('base64') } } })),
            )),
            value: r.host,
          };
        },
        { ci: 'right' },
      ),
  },
  {
    code: 'REGISTRY_FAILED',
    exit: 1,
    value: '429',
    hint: 'try again after 30 s',
    run: () =>
      withStub(
        (_req, res) => {
          res.writeHead(429, { 'Retry-After': '30' });
          res.end();
        },
        (host) => pinDigest(`${host}/team/app:1.0.0`, {}),
      ),
  },
  {
    code: 'REGISTRY_DIGEST_MISMATCH',
    exit: 1,
    value: `sha256:${'1'.repeat(64)}`,
    hint: 'altered the manifest',
    // The STUB omits Docker-Content-Digest on HEAD, then serves a manifest that does not hash to the digest it claims.
    run: () =>
      withStub(
        (req, res) => {
          res.writeHead(200, {
            'Content-Type': 'application/vnd.oci.image.manifest.v1+json',
            ...(req.method === 'GET' && { 'Docker-Content-Digest': `sha256:${'1'.repeat(64)}` }),
          });
          res.end(req.method === 'GET' ? '{"schemaVersion":2}' : undefined);
        },
        (host) => pinDigest(`${host}/team/app:1.0.0`, {}),
      ),
  },
  {
    code: 'REGISTRY_CREDENTIALS_INVALID',
    exit: 2,
    value: '.docker/config.json',
    hint: 'DOCKER_CONFIG',
    run: () => withStub(basicChallenge, (host) => pinDigest(`${host}/team/app:1.0.0`, dockerHome('{ "auths": '))),
  },
  {
    code: 'REGISTRY_CREDENTIAL_HELPER_FAILED',
    exit: 2,
    value: 'docker-credential-desktop',
    hint: 'Install docker-credential-desktop on PATH',
    run: () =>
      withStub(basicChallenge, (host) =>
        pinDigest(`${host}/team/app:1.0.0`, dockerHome('{ "credsStore": "desktop" }')),
      ),
  },
  {
    code: 'DIGEST_REQUIRED',
    exit: 2,
    value: 'registry.example.com/team/pick-manager:1.0.0',
    hint: 'gitops-flow suggest --pin-digest --env prod',
    run: () =>
      cli(
        repo({ 'gitops-flow.yaml': 'environments:\n  dev: {}\n  uat: {}\n  prod: { requireDigest: true }\n' }),
        ['deploy', '--env', 'prod'],
        cleanEnv({ KUBECONFIG: deadKubeconfig() }),
      ),
  },
];
