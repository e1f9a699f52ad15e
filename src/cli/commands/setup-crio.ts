/** `kcr setup crio`: print (or --install) the CRI-O drop-in and /etc/criu/runc.conf that checkpointing needs. */
import type { Command } from 'commander';
import { KcrError } from '../../errors.js';
import type { CliContext } from '../context.js';

interface Flags {
  runcConf?: boolean;
  install?: boolean;
  root: string;
}

export function registerSetupCrio(setup: Command, ctx: CliContext): void {
  setup
    .command('crio')
    .description(
      'print the CRI-O drop-in (criu support, drop_infra_ctr); --runc-conf prints /etc/criu/runc.conf',
    )
    .option('--runc-conf', 'print /etc/criu/runc.conf (tcp-established, file-locks) instead')
    .option('--install', 'write both files on this node (run as root), keeping existing runc.conf lines')
    .option('--root <dir>', 'with --install, the file system root to write under', '/')
    .action(async (f: Flags) => {
      if (f.install && f.runcConf)
        throw new KcrError('usage', '--install writes both files; drop --runc-conf');
      const { crioDropIn, installCrioConfig, runcConf } = await import('../../kube/setup.js');
      if (!f.install) {
        ctx.io.stdout.write(f.runcConf ? runcConf() : crioDropIn());
        return;
      }
      for (const file of await installCrioConfig(f.root)) {
        ctx.io.stdout.write(`${file.path} ${file.changed ? 'written' : 'unchanged'}\n`);
      }
      if (!ctx.quiet) ctx.io.stderr.write('restart CRI-O to apply: systemctl restart crio\n');
    });
}
