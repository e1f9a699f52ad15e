/** Every command, registered in the order `kcr --help` lists them. One file per command. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerImage } from './image.js';

export function registerCommands(program: Command, ctx: CliContext): void {
  registerImage(program, ctx);
}
