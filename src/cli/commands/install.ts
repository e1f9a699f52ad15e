/**
 * `kcr install [--store URL] [--store-secret S] [--registry-secret S] [-n NS] [--image I]
 * [--dry-run=client -o yaml|json]`: kcr's CRDs, RBAC, node agent and controller, applied
 * server-side, or printed. The objects are those of deploy/ (one source: src/cluster/manifests.ts).
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { addKubeFlags, kubeconfigOptions, type KubeFlags } from '../kube-flags.js';
import { outputFormat } from '../options.js';
import { toJson, toYaml } from '../output/format.js';

const FORMATS = ['yaml', 'json'] as const;

interface Flags extends KubeFlags {
  store?: string;
  storeSecret?: string;
  registrySecret?: string;
  image?: string;
  checkpointDir?: string;
  dryRun?: boolean;
  output: (typeof FORMATS)[number];
}

export function registerInstall(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('install')
    .description('install the kcr node agent, controller and custom resources in the cluster')
    .option('--store <url>', 'the default backup store (file://, s3://bucket/prefix, oci://registry/repo)')
    .option('--store-secret <name>', 'a Secret whose keys become the environment (e.g. AWS_ACCESS_KEY_ID)')
    .option('--registry-secret <name>', 'a docker-registry Secret: credentials for an oci:// store')
    .option('--image <image>', 'the kcr image (built from the Containerfile)')
    .option('--checkpoint-dir <dir>', "the kubelet's checkpoint directory on the nodes")
    .option('--dry-run', 'print the objects instead of applying them (--dry-run=client)')
    .option('-o, --output <format>', 'with --dry-run: yaml or json', outputFormat(FORMATS), 'yaml');
  addKubeFlags(cmd, 'the namespace to install into (default kcr-system)').action(async (f: Flags) => {
    const { installManifests, applyManifests } = await import('../../cluster/index.js');
    const manifests = installManifests({
      ...(f.namespace ? { namespace: f.namespace } : {}),
      ...(f.store ? { store: f.store } : {}),
      ...(f.storeSecret ? { storeSecret: f.storeSecret } : {}),
      ...(f.registrySecret ? { registrySecret: f.registrySecret } : {}),
      ...(f.image ? { image: f.image } : {}),
      ...(f.checkpointDir ? { checkpointDir: f.checkpointDir } : {}),
    });
    if (f.store) {
      const { parseStoreUrl } = await import('../../backup/index.js');
      parseStoreUrl(f.store);
    }
    if (f.dryRun) {
      if (f.output === 'json') {
        ctx.io.stdout.write(toJson({ apiVersion: 'v1', kind: 'List', items: manifests }));
      } else {
        ctx.io.stdout.write(manifests.map((m) => `---\n${toYaml(m)}`).join(''));
      }
      return;
    }
    const { KubeClient } = await import('../../kube/index.js');
    const client = KubeClient.fromKubeconfig(kubeconfigOptions({ ...f, namespace: undefined }, ctx));
    const applied = await applyManifests(client, manifests, { signal: ctx.signal });
    for (const a of applied) {
      const kind = a.kind.toLowerCase();
      ctx.io.stdout.write(`${kind}/${a.name}${a.namespace ? ` (${a.namespace})` : ''} ${a.result}\n`);
    }
  });
}
