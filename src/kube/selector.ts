/**
 * Label selectors (`app=web,tier!=db,env in (a,b),!legacy`), parsed to match pods where no API
 * server does it for us: the kubelet's /pods list when kcr runs on a node without a kubeconfig.
 */
import { KcrError } from '../errors.js';

export type Requirement =
  { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | '!exists' };

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

export function parseSelector(selector: string): Requirement[] {
  const bad = (part: string) =>
    new KcrError('usage', `-l ${selector}: cannot parse "${part}"`, {
      hint: 'terms like app=web, tier!=db, env in (a,b), !canary, joined by commas',
    });
  return splitTopLevel(selector).map((part): Requirement => {
    const set = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (set) {
      const values = set[3]!
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      return { key: set[1]!, op: set[2] as 'in' | 'notin', values };
    }
    const eq = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(part);
    if (eq) return { key: eq[1]!, op: eq[2] === '!=' ? 'notin' : 'in', values: [eq[3]!] };
    const exists = /^(!?)([\w./-]+)$/.exec(part);
    if (exists) return { key: exists[2]!, op: exists[1] ? '!exists' : 'exists' };
    throw bad(part);
  });
}

export function matchesSelector(
  labels: Record<string, string> | undefined,
  requirements: Requirement[],
): boolean {
  const l = labels ?? {};
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case 'in':
        return has && r.values.includes(l[r.key]!);
      case 'notin':
        return !has || !r.values.includes(l[r.key]!);
    }
  });
}
