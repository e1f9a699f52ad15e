/** `kcr image`: the parent of the checkpoint image commands. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerImageBuild } from './image-build.js';
import { registerImageInspect } from './image-inspect.js';
import { registerImagePull } from './image-pull.js';
import { registerImagePush } from './image-push.js';
import { registerImageStore } from './image-store.js';

export function registerImage(program: Command, ctx: CliContext): void {
  const image = program
    .command('image')
    .description('build, push, pull, inspect, list and remove checkpoint images (OCI)');
  registerImageBuild(image, ctx);
  registerImagePush(image, ctx);
  registerImagePull(image, ctx);
  registerImageInspect(image, ctx);
  registerImageStore(image, ctx);
}
