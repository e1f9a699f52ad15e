/**
 * `kcr rootfs extract ARCHIVE PATH [--output-file FILE|DIR|-]`: one changed file out of the
 * container's rootfs diff, to stdout by default (`-` says so explicitly).
 */
import { Option, type Command } from 'commander';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { withCheckpoint } from '../../forensics/checkpoint.js';
import { extractRootfsFile, streamRootfsFile } from '../../forensics/rootfs-extract.js';
import { formatBytes } from '../../util/units.js';
import type { CliContext } from '../context.js';
import { formatlessOutput } from '../options.js';

export function registerRootfsExtract(program: Command, ctx: CliContext): void {
  const rootfs = program
    .command('rootfs')
    .description("files of the container's writable layer (rootfs-diff.tar)");
  rootfs
    .command('extract')
    .description('write one file from the rootfs diff to a file, a directory, or stdout')
    .argument('<archive>', 'checkpoint archive')
    .argument('<path>', 'path inside the container, e.g. /var/log/nginx/access.log')
    .option(
      '--output-file <file|dir>',
      'output file, or directory (existing, or ending in /; the file keeps its container path); ' +
        'missing directories are created; - or none: stdout',
    )
    .addOption(
      new Option('-o, --output <format>')
        .hideHelp()
        .argParser(formatlessOutput('rootfs extract', '--output-file')),
    )
    .action(async (archive: string, path: string, opts: { outputFile?: string }) => {
      await withCheckpoint(
        archive,
        async (cp) => {
          if (opts.outputFile && opts.outputFile !== '-') {
            const file = await extractRootfsFile(cp, path, opts.outputFile, ctx.signal);
            if (!ctx.quiet)
              ctx.io.stderr.write(`wrote ${file.path} (${formatBytes(file.size)}) to ${file.writtenTo}\n`);
            return;
          }
          const { stream } = await streamRootfsFile(cp, path);
          const sink = new Writable({
            write: (chunk: Buffer, _enc, done) => {
              ctx.io.stdout.write(chunk);
              done();
            },
          });
          await pipeline(stream, sink, { signal: ctx.signal });
        },
        ctx.archive,
      );
    });
}
