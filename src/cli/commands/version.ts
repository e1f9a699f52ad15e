/** `kcr version`: kcr's version, the commit it was built from, and the Node.js running it. */
import type { Command } from 'commander';
import { COMMIT, VERSION } from '../../version.js';
import type { CliContext } from '../context.js';
import { outputFormat } from '../options.js';
import { toJson, toYaml } from '../output/format.js';

const FORMATS = ['table', 'json', 'yaml'] as const;

export interface VersionInfo {
  version: string;
  commit: string;
  node: string;
  platform: string;
}

export function versionInfo(): VersionInfo {
  return {
    version: VERSION,
    commit: COMMIT,
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
  };
}

export function registerVersion(program: Command, ctx: CliContext): void {
  program
    .command('version')
    .description('print the version of kcr, the commit it was built from and the Node.js version')
    .option('-o, --output <format>', 'table, json or yaml', outputFormat(FORMATS), 'table')
    .action((opts: { output: (typeof FORMATS)[number] }) => {
      const v = versionInfo();
      ctx.io.stdout.write(
        opts.output === 'json'
          ? toJson(v)
          : opts.output === 'yaml'
            ? toYaml(v)
            : `kcr ${v.version} (commit ${v.commit}, node ${v.node}, ${v.platform})\n`,
      );
    });
}
