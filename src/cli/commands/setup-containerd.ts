/** `kcr setup containerd`: print the containerd 2.x CRI settings that checkpoint and restore need. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function registerSetupContainerd(setup: Command, ctx: CliContext): void {
  setup
    .command('containerd')
    .description(
      'print the containerd 2.x settings for checkpoint and restore (enable_criu, enable_experimental_restore_via_create)',
    )
    .action(async () => {
      const { containerdConfig } = await import('../../kube/setup.js');
      ctx.io.stdout.write(containerdConfig());
    });
}
