/** `kcr setup kubeadm|crio|containerd`: the group that prints node and cluster configuration. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerSetupContainerd } from './setup-containerd.js';
import { registerSetupCrio } from './setup-crio.js';
import { registerSetupKubeadm } from './setup-kubeadm.js';

export function registerSetup(program: Command, ctx: CliContext): void {
  const setup = program
    .command('setup')
    .description('print node and cluster configuration for checkpoint/restore');
  registerSetupKubeadm(setup, ctx);
  registerSetupCrio(setup, ctx);
  registerSetupContainerd(setup, ctx);
}
