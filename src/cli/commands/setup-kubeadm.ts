/** `kcr setup kubeadm`: print a kubeadm config with the ContainerCheckpoint gate for `kubeadm init --config`. */
import type { Command } from 'commander';
import { CRI_SOCKETS, DEFAULT_KUBERNETES_VERSION } from '../../kube/defaults.js';
import type { CliContext } from '../context.js';

interface Flags {
  kubernetesVersion: string;
  criSocket: string;
  podSubnet: string;
  controlPlaneEndpoint?: string;
}

export function registerSetupKubeadm(setup: Command, ctx: CliContext): void {
  setup
    .command('kubeadm')
    .description(
      'print InitConfiguration, ClusterConfiguration and KubeletConfiguration with checkpointing enabled',
    )
    .option(
      '--kubernetes-version <version>',
      'Kubernetes version (1.25 or later)',
      DEFAULT_KUBERNETES_VERSION,
    )
    .option(
      '--cri-socket <socket>',
      `CRI socket (containerd: ${CRI_SOCKETS.containerd})`,
      CRI_SOCKETS['cri-o'],
    )
    .option('--pod-subnet <cidr>', 'pod network CIDR', '10.244.0.0/16')
    .option('--control-plane-endpoint <host:port>', 'shared endpoint for a highly available control plane')
    .action(async (f: Flags) => {
      const { kubeadmConfig } = await import('../../kube/setup.js');
      ctx.io.stdout.write(
        kubeadmConfig({
          kubernetesVersion: f.kubernetesVersion,
          criSocket: f.criSocket,
          podSubnet: f.podSubnet,
          controlPlaneEndpoint: f.controlPlaneEndpoint,
        }),
      );
    });
}
