/** The registry flags shared by the image commands, and their translation into RegistryOptions. */
import type { Command } from 'commander';
import { KcrError } from '../errors.js';
import type { RegistryOptions } from '../oci/index.js';
import type { CliContext } from './context.js';

export interface RegistryFlags {
  username?: string;
  passwordStdin?: boolean;
  authfile?: string;
  caFile?: string;
  insecure?: boolean;
}

export function addRegistryFlags(cmd: Command): Command {
  return cmd
    .option('--username <name>', 'registry user name (the password is read with --password-stdin)')
    .option('--password-stdin', 'read the registry password from standard input')
    .option(
      '--authfile <path>',
      'auth file in docker config.json format (default: $REGISTRY_AUTH_FILE, then ~/.docker/config.json)',
    )
    .option('--ca-file <path>', "PEM file with the CA that signed the registry's certificate")
    .option('--insecure', 'allow plain HTTP or an unverified certificate, for the named registry only');
}

async function readStdin(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text.replace(/\r?\n$/, '');
}

export async function registryOptions(ctx: CliContext, flags: RegistryFlags): Promise<RegistryOptions> {
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
  };
}
