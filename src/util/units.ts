/** Human-readable sizes (binary units, as `ls -h` and kubectl print them). */
export function formatBytes(bytes: number | bigint): string {
  let value = Number(bytes);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ${units[unit]}`;
}

/** Microseconds as CRIU reports them, shown in milliseconds. */
export function formatMicros(us: number): string {
  return `${(us / 1000).toFixed(us < 10_000 ? 3 : 1)} ms`;
}

export function hex(value: bigint | number, width = 0): string {
  return '0x' + value.toString(16).padStart(width, '0');
}
