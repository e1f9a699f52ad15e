/**
 * The one error class meant for users. Everything else that escapes is a bug.
 * The CLI prints `error: <message>` and `hint: <hint>`; only the bin entry point exits.
 */
export type KcrErrorCode =
  | 'usage' // wrong flags or arguments (the CLI's exit code for each: src/cli/exit-codes.ts)
  | 'invalid-input' // a file or value that is not what it claims to be
  | 'not-found' // a file, member, pid, image or object that does not exist
  | 'io' // reading or writing failed
  | 'integrity' // a digest or size did not match
  | 'auth' // credentials missing or refused
  | 'remote' // a server answered with an error
  | 'network' // a server could not be reached
  | 'timeout'
  | 'conflict' // the target exists or the inputs do not belong together
  | 'cancelled';

export interface KcrErrorOptions {
  hint?: string;
  cause?: unknown;
}

export class KcrError extends Error {
  readonly code: KcrErrorCode;
  readonly hint: string | undefined;

  constructor(code: KcrErrorCode, message: string, options: KcrErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KcrError';
    this.code = code;
    this.hint = options.hint;
  }
}

export function isKcrError(err: unknown): err is KcrError {
  return err instanceof KcrError;
}

/** Node's errno errors carry a `code` such as ENOENT; this narrows to them without `any`. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** Turns a file-system failure on `path` into a user-facing error that names the path. */
export function fileError(path: string, err: unknown, what = 'cannot read'): KcrError {
  const code = errnoCode(err);
  if (code === 'ENOENT') {
    return new KcrError('not-found', `${path}: no such file or directory`, {
      hint: 'check the path, or run `kcr list` to see the archives on this node',
      cause: err,
    });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new KcrError('io', `${path}: permission denied`, {
      hint: 'checkpoint archives are mode 0600 and owned by root; run as root or copy the archive first',
      cause: err,
    });
  }
  if (code === 'EISDIR') {
    return new KcrError('invalid-input', `${path}: is a directory, expected a file`, { cause: err });
  }
  const detail = err instanceof Error ? err.message : String(err);
  return new KcrError('io', `${path}: ${what}: ${detail}`, { cause: err });
}
