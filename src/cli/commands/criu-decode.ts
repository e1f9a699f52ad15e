/** `kcr criu decode (FILE | ARCHIVE:MEMBER)`: the entries of one CRIU image, as `crit decode` prints them. */
import type { Command } from 'commander';
import { toCritJson } from '../../criu/crit-json.js';
import { decodeImage } from '../../criu/image.js';
import { loadImageBytes } from '../../forensics/image-file.js';
import type { CliContext } from '../context.js';
import { outputFormat } from '../options.js';
import { toJson, toYaml } from '../output/format.js';

const FORMATS = ['json', 'yaml'] as const;

export function registerCriuDecode(program: Command, ctx: CliContext): void {
  const criu = program.command('criu').description('low-level access to CRIU image files');
  criu
    .command('decode')
    .description('decode one CRIU image to JSON, field for field as `crit decode` prints it')
    .argument('<image>', 'an image file, or ARCHIVE:MEMBER (e.g. checkpoint.tar:checkpoint/core-1.img)')
    .option('-o, --output <format>', 'json or yaml', outputFormat(FORMATS), 'json')
    .action(async (spec: string, opts: { output: (typeof FORMATS)[number] }) => {
      const { name, data } = await loadImageBytes(spec);
      const decoded = toCritJson(decodeImage(data, name));
      ctx.io.stdout.write(opts.output === 'yaml' ? toYaml(decoded) : toJson(decoded));
    });
}
