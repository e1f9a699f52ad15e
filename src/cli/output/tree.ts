/** Box-drawing trees, as checkpointctl and `tree` print them. */
import { escapeText } from './escape.js';
export interface TreeNode {
  label: string;
  children?: TreeNode[];
}

export function renderTree(roots: readonly TreeNode[], indent = ''): string {
  let out = '';
  roots.forEach((node, i) => {
    const last = i === roots.length - 1;
    out += `${indent}${last ? '└── ' : '├── '}${escapeText(node.label)}\n`;
    if (node.children?.length) out += renderTree(node.children, indent + (last ? '    ' : '│   '));
  });
  return out;
}
