/** Cutting text to a width so that both ends stay readable (paths, digests, image references). */

/** `head…tail` of a long value, so digests and paths keep both their ends. */
export function elide(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return text.slice(0, width);
  const head = Math.ceil((width - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (width - 1 - head))}`;
}
