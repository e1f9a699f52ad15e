/** Every command, registered in the order `kcr --help` lists them. One file per command. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerCriuDecode } from './criu-decode.js';
import { registerImage } from './image.js';
import { registerInspect } from './inspect.js';
import { registerList } from './list.js';
import { registerRootfsExtract } from './rootfs-extract.js';
import { registerShow } from './show.js';

export function registerCommands(program: Command, ctx: CliContext): void {
  registerShow(program, ctx);
  registerInspect(program, ctx);
  registerList(program, ctx);
  registerRootfsExtract(program, ctx);
  registerCriuDecode(program, ctx);
  registerImage(program, ctx);
}
