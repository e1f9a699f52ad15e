/**
 * Commands that take several archives (`show`, `inspect`, `mem`), as checkpointctl's do: each
 * archive is read on its own; one that cannot be read is reported (error/hint naming it) and the
 * command goes on with the rest, then exits 2 so that scripts notice.
 */
import { KcrError } from '../errors.js';
import type { CliContext } from './context.js';
import { reportError } from './report-error.js';

export async function eachArchive<T>(
  ctx: CliContext,
  paths: readonly string[],
  read: (path: string) => Promise<T>,
): Promise<Array<{ path: string; result: T }>> {
  const out: Array<{ path: string; result: T }> = [];
  for (const path of paths) {
    try {
      out.push({ path, result: await read(path) });
    } catch (err) {
      // One archive: its error is the command's. A usage error is the same for every archive.
      if (paths.length === 1 || (err instanceof KcrError && err.code === 'usage')) throw err;
      reportError(ctx, err, path);
      ctx.exitCode = Math.max(ctx.exitCode, 2);
    }
  }
  return out;
}

/** The kubectl shape for several objects in one JSON/YAML document. */
export function listOf<T>(items: T[]): { apiVersion: 'kcr.dev/v1'; kind: 'List'; items: T[] } {
  return { apiVersion: 'kcr.dev/v1', kind: 'List', items };
}
