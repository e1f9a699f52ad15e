/** Box-drawing trees, as checkpointctl and `tree` print them. */
import { escapeText } from './escape.js';
import { wrapText } from './table.js';
export interface TreeNode {
  label: string;
  children?: TreeNode[];
}

/**
 * Deeper levels are drawn at this depth, marked with theirs: a crafted 100k-deep process chain
 * would otherwise print a 400 KB indent on each of its 100k lines.
 */
const MAX_DRAWN_DEPTH = 64;

/** Below this many columns for a label, wrapping would stack a word a line: the terminal wraps. */
const MIN_WRAP = 24;

/**
 * Walks with an explicit stack, so that no depth of tree overflows the call stack. With `width`
 * (a terminal's), a label too long for its row wraps at spaces under itself, indented, with the
 * tree's lines carried down beside it, instead of the terminal breaking it at column 0.
 */
export function renderTree(roots: readonly TreeNode[], indent = '', width?: number): string {
  const lines: string[] = [];
  type Item = { node: TreeNode; prefix: string; last: boolean; depth: number };
  const stack: Item[] = [];
  const pushLevel = (nodes: readonly TreeNode[], prefix: string, depth: number) => {
    for (let i = nodes.length - 1; i >= 0; i--)
      stack.push({ node: nodes[i]!, prefix, last: i === nodes.length - 1, depth });
  };
  pushLevel(roots, indent, 0);
  while (stack.length > 0) {
    const { node, prefix, last, depth } = stack.pop()!;
    const deep = depth > MAX_DRAWN_DEPTH ? `(depth ${depth}) ` : '';
    const label = `${deep}${escapeText(node.label)}`;
    const childPrefix = depth >= MAX_DRAWN_DEPTH ? prefix : prefix + (last ? '    ' : '│   ');
    // One column stays free at the edge, as in tables; continuation rows are indented 4 more.
    const room = width === undefined ? 0 : width - 1 - prefix.length - 4;
    if (room - 4 >= MIN_WRAP && label.length > room) {
      const [first, ...rest] = wrapText(label, room);
      const carry = childPrefix + (node.children?.length ? '│   ' : '    ');
      lines.push(`${prefix}${last ? '└── ' : '├── '}${first}`);
      for (const part of wrapText(rest.join(' '), room - 4)) lines.push(`${carry}${part}`);
    } else {
      lines.push(`${prefix}${last ? '└── ' : '├── '}${label}`);
    }
    if (node.children?.length) pushLevel(node.children, childPrefix, depth + 1);
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}
