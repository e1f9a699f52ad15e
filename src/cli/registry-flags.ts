/**
 * The registry flags shared by the image commands, restore and migrate, and their translation into
 * RegistryOptions; and restore's and migrate's --registry REGISTRY/REPOSITORY[:TAG], parsed once.
 */
import type { Command } from 'commander';
import { KcrError } from '../errors.js';
import type { ImageReference, RegistryOptions } from '../oci/index.js';
import type { CliContext } from './context.js';
import { timeoutSeconds } from './options.js';

export interface RegistryFlags {
  username?: string;
  passwordStdin?: boolean;
  authfile?: string;
  caFile?: string;
  insecure?: boolean;
  /** `--timeout` on the image commands, `--registry-timeout` where `--timeout` already means a wait. */
  timeout?: number;
  registryTimeout?: number;
}

/**
 * `timeoutFlag`: restore and migrate already use `--timeout` for how long they wait for the Pod, so
 * there the registry's deadline is `--registry-timeout`.
 */
export function addRegistryFlags(
  cmd: Command,
  timeoutFlag: '--timeout' | '--registry-timeout' = '--timeout',
): Command {
  return cmd
    .option('--username <name>', 'registry user name (the password is read with --password-stdin)')
    .option('--password-stdin', 'read the registry password from standard input')
    .option(
      '--authfile <path>',
      'auth file in docker config.json format (default: $REGISTRY_AUTH_FILE, then ~/.docker/config.json)',
    )
    .option('--ca-file <path>', "PEM file with the CA that signed the registry's certificate")
    .option('--insecure', 'allow plain HTTP or an unverified certificate, for the named registry only')
    .option(
      `${timeoutFlag} <duration>`,
      'fail when the registry stays silent this long, or trickles a document or blob (default 60s)',
      timeoutSeconds(timeoutFlag),
    );
}

async function readStdin(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text.replace(/\r?\n$/, '');
}

export async function registryOptions(
  ctx: CliContext,
  flags: RegistryFlags,
  timeoutFlag: '--timeout' | '--registry-timeout' = '--timeout',
): Promise<RegistryOptions> {
  const timeout = timeoutFlag === '--timeout' ? flags.timeout : flags.registryTimeout;
  if (flags.passwordStdin && !flags.username) {
    throw new KcrError('usage', '--password-stdin needs --username', {
      hint: 'echo "$PASSWORD" | kcr image push --username USER --password-stdin …',
    });
  }
  const password = flags.passwordStdin ? await readStdin(ctx.io.stdin) : undefined;
  if (flags.username && password === undefined) {
    throw new KcrError('usage', '--username needs --password-stdin', {
      hint: 'pass the password on standard input: never as a flag',
    });
  }
  return {
    env: ctx.io.env,
    ...(flags.username ? { username: flags.username, password: password ?? '' } : {}),
    ...(flags.authfile ? { authFile: flags.authfile } : {}),
    ...(flags.caFile ? { caFile: flags.caFile } : {}),
    ...(flags.insecure ? { insecure: true } : {}),
    ...(timeout ? { timeoutMs: timeout * 1000 } : {}),
  };
}

/** `--registry REGISTRY/REPOSITORY[:TAG]`: where restore and migrate push the checkpoint image. */
export async function pushRepository(value: string): Promise<ImageReference> {
  // A bare name would mean Docker Hub's library/NAME: far more likely a forgotten registry host.
  if (!value.includes('/'))
    throw new KcrError(
      'usage',
      `--registry ${value}: give REGISTRY/REPOSITORY, e.g. registry.example.com/checkpoints`,
    );
  const { parseRepository } = await import('../oci/index.js');
  return parseRepository(value);
}
