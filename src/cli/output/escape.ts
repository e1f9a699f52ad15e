/**
 * Terminal safety: the one place that decides how text from archives and registries (container
 * names, command lines, environment, file paths, annotations) is made harmless before it is
 * printed. A checkpoint holds whatever its process wrote, so a file name can carry `ESC ] 52`
 * (clipboard write), `CSI 2 J` or an 8-bit CSI (U+009B, which some terminals obey): none of it may
 * reach a terminal raw. Written by hand because it is a few lines and no library draws the line
 * where kcr needs it (escape in text, keep JSON and YAML valid).
 */

/** C0 controls, DEL and C1 controls: the bytes a terminal interprets instead of drawing. */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/;
/** Bidirectional overrides (Trojan Source): they reorder what the user reads. */
const BIDI = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

// eslint-disable-next-line no-control-regex
const TEXT_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const TEXT_UNSAFE_KEEP_LINES =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves raw and a terminal still obeys: DEL and the C1 range. */
const JSON_UNSAFE = /[\u007f-\u009f]/g;

const NAMED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escapeChar(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.charCodeAt(0);
  // C0 and DEL read as bytes (`\x1b`), as `cat -v` users and shell quoting expect; the rest are
  // code points, written as JSON and JavaScript write them (`\u009b`).
  return code < 0x80
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** True when `text` holds anything `escapeText` would change. */
export function hasUnsafeText(text: string): boolean {
  return CONTROLS.test(text) || BIDI.test(text);
}

/**
 * One value (a table cell, a tree label, a name in a message) made printable: every control
 * character, newline and tab included, becomes a visible escape, so a value stays on its line.
 */
export function escapeText(text: string): string {
  return text.replace(TEXT_UNSAFE, escapeChar);
}

/**
 * Whole lines of output: like `escapeText`, but keeps the newlines and tabs kcr itself writes.
 * Every string written to stdout and stderr passes through this (see `guardStream`).
 */
export function escapeLines(text: string): string {
  return text.replace(TEXT_UNSAFE_KEEP_LINES, escapeChar);
}

/**
 * JSON text (from JSON.stringify, which escapes C0 already) with DEL and C1 escaped as well:
 * `\u009b` is a valid JSON escape, so the document reads back to the same strings.
 */
export function escapeJsonText(json: string): string {
  return json.replace(JSON_UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * YAML text from the `yaml` library: it double-quotes any string holding DEL or a C1 control but
 * leaves the character itself raw; `\u009b` is a valid escape inside those double quotes.
 */
export function escapeYamlText(yaml: string): string {
  return escapeJsonText(yaml);
}

/** The parts of a stream kcr writes to (a subset of NodeJS.WriteStream, so tests can pass fakes). */
interface WritableLike {
  write(chunk: string | Uint8Array): unknown;
}

/**
 * A stream whose string writes are escaped line-wise (`escapeLines`); bytes (`kcr mem dump -`,
 * `rootfs extract`, `image pull -`) pass untouched, as the user asked for those bytes. Everything
 * else (isTTY, columns, once('drain')) is the stream's own.
 */
export function guardStream<S extends WritableLike>(stream: S): S {
  return new Proxy(stream, {
    get(target, prop) {
      if (prop === 'write') {
        return (chunk: string | Uint8Array, ...rest: unknown[]) =>
          (target.write as (c: string | Uint8Array, ...r: unknown[]) => unknown)(
            typeof chunk === 'string' ? escapeLines(chunk) : chunk,
            ...rest,
          );
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
