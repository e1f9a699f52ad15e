/**
 * JSON output that keeps 64-bit integers exact: bigints are written as bare JSON numbers
 * (as crit does), so `jq` and Python read them without loss. (JSON read from elsewhere goes
 * through util/validate.ts.)
 */
const BIGINT_MARK = '\u0000bigint:';

export function stringifyJson(value: unknown, indent = 2): string {
  const text = JSON.stringify(
    value,
    (_key, v: unknown) => (typeof v === 'bigint' ? `${BIGINT_MARK}${v.toString()}` : v),
    indent,
  );
  // JSON.stringify escapes the NUL as \u0000, so the marker cannot collide with real string content.
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}

/** True for a JSON object (not null, not an array); new code validates with util/validate.ts instead. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
