/** Box-drawing trees, as checkpointctl and `tree` print them. */
import { escapeText } from './escape.js';
export interface TreeNode {
  label: string;
  children?: TreeNode[];
}

/**
 * Deeper levels are drawn at this depth, marked with theirs: a crafted 100k-deep process chain
 * would otherwise print a 400 KB indent on each of its 100k lines.
 */
const MAX_DRAWN_DEPTH = 64;

/** Walks with an explicit stack, so that no depth of tree overflows the call stack. */
export function renderTree(roots: readonly TreeNode[], indent = ''): string {
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
    lines.push(`${prefix}${last ? '└── ' : '├── '}${deep}${escapeText(node.label)}`);
    if (node.children?.length) {
      const childPrefix = depth >= MAX_DRAWN_DEPTH ? prefix : prefix + (last ? '    ' : '│   ');
      pushLevel(node.children, childPrefix, depth + 1);
    }
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}
