/**
 * `kcr mem search ARCHIVE (-s STRING | -r REGEX | -x HEX)`: every hit with its process, address
 * and mapping. Unlike checkpointctl memparse it searches raw bytes (no printable-only filter),
 * all processes at once, and across runs that are adjacent in memory.
 */
import type { Command } from 'commander';
import { withCheckpointImages } from '../../forensics/checkpoint-images.js';
import { loadMemoryContext } from '../../forensics/memory/context.js';
import { DEFAULT_MAX_MATCH, RegexMatcher } from '../../forensics/memory/matchers.js';
import { compilePattern, describePattern, type SearchPattern } from '../../forensics/memory/patterns.js';
import { searchMemory } from '../../forensics/memory/search.js';
import { KcrError } from '../../errors.js';
import { ARCHIVE_ARG, byteSize } from '../address-options.js';
import type { CliContext } from '../context.js';
import { NO_MATCH_EXIT_HELP } from '../exit-codes.js';
import { outputFormat, positiveInt } from '../options.js';
import { toJson, toYaml } from '../output/format.js';
import { countTable, hitsTable, searchJson } from '../output/memory-printer.js';
import { tableWidth } from '../output/table.js';

const FORMATS = ['table', 'json', 'yaml'] as const;

interface SearchFlags {
  string?: string;
  regex?: string;
  hex?: string;
  pid?: number;
  context: number;
  ignoreCase?: boolean;
  wide?: boolean;
  max: number;
  count?: boolean;
  maxMatch: number;
  output: (typeof FORMATS)[number];
}

function patternOf(f: SearchFlags): SearchPattern {
  const given = [f.string, f.regex, f.hex].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new KcrError('usage', 'give exactly one of -s STRING, -r REGEX or -x HEXBYTES', {
      hint: 'e.g. kcr mem search ARCHIVE -s API_TOKEN',
    });
  }
  if (f.hex !== undefined) {
    if (f.ignoreCase || f.wide) throw new KcrError('usage', '-i and --wide do not apply to -x HEXBYTES');
    return { kind: 'hex', value: f.hex };
  }
  if (f.regex !== undefined) {
    if (f.wide) throw new KcrError('usage', '--wide applies to -s STRING only');
    return { kind: 'regex', value: f.regex, ignoreCase: f.ignoreCase };
  }
  return { kind: 'string', value: f.string!, ignoreCase: f.ignoreCase, wide: f.wide };
}

export function registerMemSearch(mem: Command, ctx: CliContext): void {
  mem
    .command('search')
    .description('search the dumped memory of every process (or one) for a string, regex or bytes')
    .argument('<archive>', ARCHIVE_ARG)
    .option('-s, --string <text>', 'a string (its UTF-8 bytes)')
    .option(
      '-r, --regex <regex>',
      'a JavaScript regex over the bytes (latin1: one char per byte, \\x00-\\xff)',
    )
    .option('-x, --hex <bytes>', 'bytes in hex, e.g. "4b 43 52 2d" or 4b43522d')
    .option('--pid <pid>', 'only this process (PID in the container)', positiveInt('--pid'))
    .option('-C, --context <bytes>', 'bytes of context to show on each side', byteSize('--context'), 0)
    .option('-i, --ignore-case', 'ignore case (ASCII and latin1 letters)')
    .option('--wide', 'search the string as UTF-16LE (Java, .NET, Windows strings)')
    .option('--max <n>', 'stop after N hits (0: no limit)', positiveInt('--max'), 1000)
    .option('-c, --count', 'only count hits per process, like grep -c')
    .option(
      '--max-match <bytes>',
      'longest regex match reported whole across chunk boundaries',
      byteSize('--max-match'),
      DEFAULT_MAX_MATCH,
    )
    .option('-o, --output <format>', 'table, json or yaml', outputFormat(FORMATS), 'table')
    .addHelpText('after', NO_MATCH_EXIT_HELP)
    .action(async (path: string, f: SearchFlags) => {
      const pattern = patternOf(f);
      const maxMatch = Math.max(1, f.maxMatch);
      const matcher = compilePattern(pattern, maxMatch);
      const result = await withCheckpointImages(
        path,
        async (cp) => {
          const context = await loadMemoryContext(cp, { pid: f.pid });
          return searchMemory(cp, context, [matcher], {
            pid: f.pid,
            context: f.context,
            max: f.max,
            countOnly: f.count,
            signal: ctx.signal,
            // A regex is CPU-bound: a worker thread takes half a large memory. A literal search
            // is bound by the page-cache copy, where a second thread gains less than it costs.
            ...(matcher instanceof RegexMatcher
              ? { parallel: { recipe: { kind: 'patterns' as const, patterns: [pattern], maxMatch } } }
              : {}),
          });
        },
        ctx.archive,
      );
      const label = describePattern(pattern);
      if (f.output !== 'table') {
        const json = searchJson(result, label);
        ctx.io.stdout.write(f.output === 'json' ? toJson(json) : toYaml(json));
      } else if (f.count) {
        ctx.io.stdout.write(countTable(result.counts));
      } else if (result.hits.length > 0) {
        ctx.io.stdout.write(hitsTable(result.hits, f.context > 0, tableWidth(ctx.io.stdout)));
      }
      if (!ctx.quiet && f.output === 'table' && result.counts.length === 0) {
        ctx.io.stderr.write(`no match for ${label} in ${result.scannedBytes} bytes of dumped memory\n`);
      }
      if (result.limited && !ctx.quiet) {
        ctx.io.stderr.write(`stopped after ${f.max} hits; more may follow (use --max 0 for all)\n`);
      }
      // As grep: exit 1 when nothing matched, so scripts can test for a string with `if kcr mem search`
      // (its errors, usage ones included, exit 2: exit-codes.ts).
      if (result.counts.length === 0) ctx.exitCode = 1;
    });
}
