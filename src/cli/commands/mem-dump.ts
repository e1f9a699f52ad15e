/**
 * `kcr mem dump ARCHIVE [--pid N] [--address A [--length L]] [--output-file FILE|DIR|-] [--hex]`: the
 * memory of a process, one file per mapping plus a `maps` index, or one range as raw bytes or a
 * hexdump (to stdout without --output-file, or with `-`).
 */
import type { Readable } from 'node:stream';
import { Option, type Command } from 'commander';
import { withCheckpointImages, type CheckpointImages } from '../../forensics/checkpoint-images.js';
import {
  loadMemoryContext,
  processView,
  type MemoryContext,
  type ProcessMemoryView,
} from '../../forensics/memory/context.js';
import { dumpProcess, writeRange } from '../../forensics/memory/dump.js';
import { hexdumpStream } from '../../forensics/memory/hexdump.js';
import { readRange, resolveRange, type AddressRange } from '../../forensics/memory/ranges.js';
import { KcrError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { formatBytes } from '../../util/units.js';
import { ARCHIVE_ARG, address, byteSize } from '../address-options.js';
import type { CliContext } from '../context.js';
import { formatlessOutput } from '../options.js';
import { addPidOption, onlyProcess } from '../pid-option.js';

interface DumpFlags {
  pid?: number;
  address?: bigint;
  length?: number;
  /** Where the bytes go; `-` (stdout) is normalised to undefined before use. */
  outputFile?: string;
  hex?: boolean;
}

/** Writes to stdout, waiting for it to drain when it is a stream that asks to (a slow pipe). */
async function writeOut(ctx: CliContext, chunk: Buffer): Promise<void> {
  const out = ctx.io.stdout;
  if (out.write(chunk) === false && 'once' in out && typeof out.once === 'function') {
    await new Promise<void>((resolve) => (out as NodeJS.WritableStream).once('drain', resolve));
  }
}

/** Pipes a hexdump to the file (atomically, 0600) or to stdout, never holding it whole. */
async function sendHex(ctx: CliContext, hex: Readable, output: string | undefined): Promise<void> {
  if (output) return writeFileAtomic(output, hex, { mode: 0o600, signal: ctx.signal });
  for await (const chunk of hex as AsyncIterable<Buffer>) await writeOut(ctx, chunk);
}

function note(ctx: CliContext, text: string) {
  if (!ctx.quiet) ctx.io.stderr.write(text + '\n');
}

async function dumpRange(
  ctx: CliContext,
  context: MemoryContext,
  view: ProcessMemoryView,
  range: AddressRange,
  f: DumpFlags,
) {
  const wantHex = f.hex || (!f.outputFile && ctx.io.stdout.isTTY);
  if (!wantHex && f.outputFile) {
    const written = await writeRange(context, view, range, f.outputFile, ctx.signal);
    const absent = written.missing.reduce((n, m) => n + m.length, 0);
    note(
      ctx,
      `wrote ${formatBytes(written.length)} of pid ${view.pid} at 0x${range.address.toString(16)} to ${f.outputFile}` +
        (absent ? ` (${formatBytes(absent)} not in the dump, written as zeros)` : ''),
    );
    return;
  }
  if (wantHex) return sendHex(ctx, hexdumpStream(context, view, { range, signal: ctx.signal }), f.outputFile);
  const { data, missing } = await readRange(context, view, range);
  ctx.io.stdout.write(data);
  if (missing.length)
    note(
      ctx,
      `note: ${missing.reduce((n, m) => n + m.length, 0)} bytes were not in the dump (read as zeros)`,
    );
}

async function dumpAll(
  ctx: CliContext,
  cp: CheckpointImages,
  context: MemoryContext,
  view: ProcessMemoryView,
  f: DumpFlags,
) {
  if (f.hex) return sendHex(ctx, hexdumpStream(context, view, { signal: ctx.signal }), f.outputFile);
  if (!f.outputFile) {
    throw new KcrError('usage', 'dumping a whole process needs --output-file DIR (one file per mapping)', {
      hint: 'give --output-file DIR, --hex for a hexdump, or --address for one range',
    });
  }
  const dump = await dumpProcess(context, view, f.outputFile, cp.path, ctx.signal);
  const files = dump.mappings.filter((m) => m.file).length;
  note(
    ctx,
    `wrote ${files} mapping files (${formatBytes(dump.bytesWritten)} dumped) and ${dump.mapsFile} for pid ${view.pid} to ${dump.dir}`,
  );
}

export function registerMemDump(mem: Command, ctx: CliContext): void {
  const dump = mem
    .command('dump')
    .description(
      'write the dumped memory of a process (one file per mapping + a maps index) or of one range; absent pages read as zeros',
    )
    .argument('<archive>', ARCHIVE_ARG);
  addPidOption(dump)
    .option(
      '--address <addr>',
      'start of a range (0x7ffe2a8ecfc2; hex as maps prints it)',
      address('--address'),
    )
    .option(
      '--length <bytes>',
      'length of the range (4096, 0x1000, 4k); default: to the end of the mapping',
      byteSize('--length'),
    )
    .option(
      '--output-file <path>',
      'file for a range, directory for a whole process (files are mode 0600); - or none: stdout',
    )
    .addOption(
      new Option('-o, --output <format>').hideHelp().argParser(formatlessOutput('mem dump', '--output-file')),
    )
    .option('--hex', 'hexdump (16 bytes a row, repeated rows as *) instead of raw bytes')
    .action(async (path: string, f: DumpFlags) => {
      if (f.length !== undefined && f.address === undefined) {
        throw new KcrError('usage', '--length needs --address', {
          hint: 'give the start of the range with --address',
        });
      }
      if (f.outputFile === '-') f.outputFile = undefined;
      await withCheckpointImages(
        path,
        async (cp) => {
          const context = await loadMemoryContext(cp, f.pid === undefined ? {} : { pid: f.pid });
          const view = processView(context, f.pid ?? onlyProcess(path, context.processes));
          if (f.address === undefined) return dumpAll(ctx, cp, context, view, f);
          return dumpRange(ctx, context, view, resolveRange(path, view, f.address, f.length), f);
        },
        ctx.archive,
      );
    });
}
