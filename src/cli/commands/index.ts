/** Every command, registered in the order `kcr --help` lists them. One file per command. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerAgent } from './agent.js';
import { registerBackup } from './backup.js';
import { registerBackups } from './backups.js';
import { registerCatalog } from './catalog-sync.js';
import { registerCheckpoint } from './checkpoint.js';
import { registerCompletion } from './completion.js';
import { registerController } from './controller.js';
import { registerCriuDecode } from './criu-decode.js';
import { registerDiff } from './diff.js';
import { registerDoctor } from './doctor.js';
import { registerDrain } from './drain.js';
import { registerImage } from './image.js';
import { registerInspect } from './inspect.js';
import { registerInstall } from './install.js';
import { registerList } from './list.js';
import { registerMem } from './mem.js';
import { registerMigrate } from './migrate.js';
import { registerPrune } from './prune.js';
import { registerRestore } from './restore.js';
import { registerRootfsExtract } from './rootfs-extract.js';
import { registerSecrets } from './secrets.js';
import { registerSetupContainerd } from './setup-containerd.js';
import { registerSetupCrio } from './setup-crio.js';
import { registerSetupKubeadm } from './setup-kubeadm.js';
import { registerShow } from './show.js';
import { registerVersion } from './version.js';
import { registerStore } from './store.js';
import { registerUi } from './ui.js';
import { registerVerify } from './verify.js';

export function registerCommands(program: Command, ctx: CliContext): void {
  registerShow(program, ctx);
  registerInspect(program, ctx);
  registerList(program, ctx);
  registerRootfsExtract(program, ctx);
  registerMem(program, ctx);
  registerDiff(program, ctx);
  registerSecrets(program, ctx);
  registerCriuDecode(program, ctx);
  registerImage(program, ctx);
  registerCheckpoint(program, ctx);
  registerRestore(program, ctx);
  registerMigrate(program, ctx);
  registerDoctor(program, ctx);
  registerBackup(program, ctx);
  registerBackups(program, ctx);
  registerStore(program, ctx);
  registerCatalog(program, ctx);
  registerPrune(program, ctx);
  registerVerify(program, ctx);
  registerInstall(program, ctx);
  registerAgent(program, ctx);
  registerController(program, ctx);
  registerDrain(program, ctx);
  registerUi(program, ctx);
  const setup = program
    .command('setup')
    .description('print node and cluster configuration for checkpoint/restore');
  registerSetupKubeadm(setup, ctx);
  registerSetupCrio(setup, ctx);
  registerSetupContainerd(setup, ctx);
  registerVersion(program, ctx);
  // Last: it reads every command registered before it.
  registerCompletion(program, ctx);
}
