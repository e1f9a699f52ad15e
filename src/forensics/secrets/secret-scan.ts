/**
 * `kcr secrets`: what an attacker holding the archive would find. Environment variables (each
 * process's, read from its memory, and the container spec's), files in rootfs-diff.tar (scanned
 * in place, like memory), and with `memory` all dumped memory, through the memory search engine.
 * Values are masked unless asked; a fingerprint (sha256 prefix) lets one correlate findings.
 */
import { createHash } from 'node:crypto';
import type { NestedTar } from '../../archive/nested-tar.js';
import type { Checkpoint } from '../checkpoint.js';
import { processArgs } from '../cmdline-env.js';
import { loadMemoryContext } from '../memory/context.js';
import { loadMemoryImages, type MemoryImages } from '../memory/memory-images.js';
import { scanSegments } from '../memory/scan.js';
import { searchMemory } from '../memory/search.js';
import { ROOTFS_DIFF } from '../rootfs.js';
import { isSecretEntry, isSecretName, MASK } from '../secret-names.js';
import { SECRET_RULES, secretSpan, type SecretRule } from '../secret-patterns.js';
import { ruleMatchers } from './rule-matchers.js';

export { ruleMatchers } from './rule-matchers.js';

export type SecretSource = 'env' | 'rootfs' | 'memory';

export interface SecretFinding {
  rule: string;
  title: string;
  source: SecretSource;
  /** Where, for people: `SECRET_TOKEN (pids 1, 36; spec.dump)`, `/app/.env:3`, `pid 1 0x8fbb710 [heap]`. */
  location: string;
  value: string;
  masked: boolean;
  /** First 16 hex digits of the secret's sha256: the same secret in several places has one. */
  fingerprint: string;
  name?: string;
  pids?: number[];
  inSpec?: boolean;
  path?: string;
  offset?: number;
  line?: number;
  pid?: number;
  /** `0x7ffe2a8ecfc2`: a hex string, as `mem search` and /proc/PID/maps write addresses. */
  address?: string;
  mapping?: string;
}

export interface SecretScanOptions {
  memory?: boolean;
  showSecrets?: boolean;
  signal?: AbortSignal;
  /** Progress of the memory scan: bytes scanned so far and in all. */
  onMemoryProgress?: (scannedBytes: number, totalBytes: number) => void;
}

export interface SecretScan {
  apiVersion: 'kcr.dev/v1';
  kind: 'SecretScan';
  archive: string;
  findings: SecretFinding[];
  scanned: { envVars: number; files: number; fileBytes: number; memoryBytes?: number };
}

const ENV_NAME_RULE = { rule: 'secret-env-name', title: 'environment variable with a secret-looking name' };

const fingerprint = (secret: string) =>
  createHash('sha256').update(secret, 'latin1').digest('hex').slice(0, 16);

interface RuleMatch {
  rule: SecretRule;
  text: string;
  span: [number, number];
}

/** Runs a rule on a matched piece of text again, with indices, to find its secret part. */
function ruleMatch(rule: SecretRule, text: string): RuleMatch | undefined {
  const re = new RegExp(rule.regex.source, rule.regex.flags.replace(/[gyd]/g, '') + 'd');
  const m = re.exec(text);
  if (!m) return undefined;
  return { rule, text: m[0], span: secretSpan(rule, m) };
}

/** The text with its secret part masked (unless shown), and the secret's fingerprint. */
function shown(
  text: string,
  [from, to]: [number, number],
  showSecrets: boolean,
): { value: string; masked: boolean; fingerprint: string } {
  const print = fingerprint(text.slice(from, to));
  if (showSecrets) return { value: text, masked: false, fingerprint: print };
  return { value: text.slice(0, from) + MASK + text.slice(to), masked: true, fingerprint: print };
}

/** Drops generic findings whose bytes a specific rule also matched (API_TOKEN=tok_live_… is one secret). */
function preferSpecific<T extends { rule: SecretRule; group: string; start: number; end: number }>(
  hits: T[],
): T[] {
  const specific = hits.filter((h) => !h.rule.generic);
  return hits.filter(
    (h) =>
      !h.rule.generic || !specific.some((s) => s.group === h.group && s.start < h.end && h.start < s.end),
  );
}

async function scanEnv(
  cp: Checkpoint,
  images: MemoryImages,
  showSecrets: boolean,
): Promise<{ findings: SecretFinding[]; count: number }> {
  const seen = new Map<string, { name: string; value: string; pids: number[]; inSpec: boolean }>();
  const add = (name: string, value: string, pid?: number) => {
    const key = `${name}\u0000${value}`;
    const entry = seen.get(key) ?? { name, value, pids: [], inSpec: false };
    if (pid === undefined) entry.inSpec = true;
    else if (!entry.pids.includes(pid)) entry.pids.push(pid);
    seen.set(key, entry);
  };
  for (const task of images.tasks) {
    const args = await processArgs(task, await cp.memory(task.pid), true);
    for (const e of args.env) add(e.name, e.value, task.pid);
  }
  for (const entry of cp.metadata.spec.process?.env ?? []) {
    const eq = entry.indexOf('=');
    add(eq > 0 ? entry.slice(0, eq) : entry, eq > 0 ? entry.slice(eq + 1) : '');
  }
  const findings: SecretFinding[] = [];
  for (const { name, value, pids, inSpec } of seen.values()) {
    const where = [
      pids.length ? `pid${pids.length > 1 ? 's' : ''} ${pids.join(', ')}` : '',
      inSpec ? 'spec.dump' : '',
    ]
      .filter(Boolean)
      .join('; ');
    if (value === '') {
      // An entry without `=`: name and value may be run together, so the whole entry is the secret.
      if (isSecretEntry(name)) {
        const label = showSecrets ? name : MASK;
        findings.push({
          ...ENV_NAME_RULE,
          source: 'env',
          location: `${label} (${where}; an entry without "=")`,
          name: label,
          pids,
          inSpec,
          ...shown(name, [0, name.length], showSecrets),
        });
      }
      continue;
    }
    const base = { source: 'env' as const, location: `${name} (${where})`, name, pids, inSpec };
    const matches = SECRET_RULES.filter((r) => !r.generic)
      .map((r) => ruleMatch(r, value))
      .filter((m): m is RuleMatch => m !== undefined);
    for (const m of matches)
      findings.push({ rule: m.rule.id, title: m.rule.title, ...base, ...shown(m.text, m.span, showSecrets) });
    if (matches.length === 0 && isSecretName(name)) {
      findings.push({ ...ENV_NAME_RULE, ...base, ...shown(value, [0, value.length], showSecrets) });
    }
  }
  return { findings, count: seen.size };
}

async function lineOf(
  tar: NestedTar,
  member: { offset: number; size: number },
  offset: number,
): Promise<number | undefined> {
  if (member.size > 4 * 1024 * 1024) return undefined;
  const bytes = await tar.readRange(member.offset, offset);
  let line = 1;
  for (const b of bytes) if (b === 0x0a) line++;
  return line;
}

async function scanRootfs(cp: Checkpoint, options: SecretScanOptions) {
  const tar = await cp.rootfsDiff();
  if (!tar) return { findings: [], files: 0, bytes: 0 };
  const files = tar.members
    .filter((m) => m.type === 'file' && !m.unsafe && m.size > 0)
    .sort((a, b) => a.offset - b.offset);
  const hits: Array<{ rule: SecretRule; group: string; start: number; end: number; text: string }> = [];
  const source = {
    name: `${cp.path}:${ROOTFS_DIFF}`,
    filePosition: tar.filePosition,
    readInto: (offset: number, buf: Buffer, at: number, len: number) => tar.readInto(offset, buf, at, len),
  };
  const segments = files.map((f) => ({ start: f.offset, end: f.offset + f.size }));
  await scanSegments(
    source,
    segments,
    ruleMatchers(),
    (raw) => {
      const file = files.find((f) => raw.start >= f.offset && raw.start < f.offset + f.size)!;
      hits.push({
        rule: SECRET_RULES[raw.matcher]!,
        group: file.name,
        start: raw.start,
        end: raw.end,
        text: raw.bytes.toString('latin1'),
      });
      return true;
    },
    { signal: options.signal },
  );
  const findings: SecretFinding[] = [];
  for (const h of preferSpecific(hits)) {
    const m = ruleMatch(h.rule, h.text);
    if (!m) continue;
    const file = files.find((f) => f.name === h.group)!;
    const offset = h.start - file.offset;
    const line = await lineOf(tar, file, offset);
    const path = '/' + file.name;
    const finding: SecretFinding = {
      rule: h.rule.id,
      title: h.rule.title,
      source: 'rootfs',
      location: line === undefined ? `${path} @${offset}` : `${path}:${line}`,
      path,
      offset,
      ...shown(m.text, m.span, Boolean(options.showSecrets)),
    };
    if (line !== undefined) finding.line = line;
    findings.push(finding);
  }
  return { findings, files: files.length, bytes: files.reduce((n, f) => n + f.size, 0) };
}

async function scanMemory(cp: Checkpoint, images: MemoryImages, options: SecretScanOptions) {
  const context = await loadMemoryContext(cp, { images });
  const result = await searchMemory(cp, context, ruleMatchers(), {
    signal: options.signal,
    // The rules' regexes make this scan CPU-bound: a worker thread takes half of a large memory.
    parallel: { recipe: { kind: 'secret-rules' } },
    ...(options.onMemoryProgress ? { onSearchProgress: options.onMemoryProgress } : {}),
  });
  const hits = result.hits.map((h) => {
    const start = Number(h.address - (h.mapping?.start ?? 0n));
    return {
      hit: h,
      rule: SECRET_RULES[h.pattern]!,
      group: `${h.pid}/${h.mapping?.start ?? 0n}`,
      start,
      end: start + h.length,
    };
  });
  const findings: SecretFinding[] = [];
  for (const { hit, rule } of preferSpecific(hits)) {
    const m = ruleMatch(rule, hit.match.toString('latin1'));
    if (!m) continue;
    const mapping = hit.mapping ? hit.mapping.name || '(anonymous)' : '(no mapping)';
    findings.push({
      rule: rule.id,
      title: rule.title,
      source: 'memory',
      location: `pid ${hit.pid} 0x${hit.address.toString(16)} ${mapping}`,
      pid: hit.pid,
      address: `0x${hit.address.toString(16)}`,
      mapping,
      ...shown(m.text, m.span, Boolean(options.showSecrets)),
    });
  }
  return { findings, bytes: result.scannedBytes };
}

export async function scanSecrets(cp: Checkpoint, options: SecretScanOptions = {}): Promise<SecretScan> {
  // Environments are read from memory: the images memory views need are all it decodes.
  const images = await loadMemoryImages(cp);
  // The memory scan is the long part: started first, its worker thread scans memory while this
  // thread reads the environments and rootfs files (between blocks of its own share).
  const memory = options.memory ? scanMemory(cp, images, options) : undefined;
  memory?.catch(() => {}); // awaited below; an early failure must not go unhandled meanwhile
  const env = await scanEnv(cp, images, Boolean(options.showSecrets));
  const rootfs = await scanRootfs(cp, options);
  const scan: SecretScan = {
    apiVersion: 'kcr.dev/v1',
    kind: 'SecretScan',
    archive: cp.path,
    findings: [...env.findings, ...rootfs.findings],
    scanned: { envVars: env.count, files: rootfs.files, fileBytes: rootfs.bytes },
  };
  if (memory) {
    const { findings, bytes } = await memory;
    scan.findings.push(...findings);
    scan.scanned.memoryBytes = bytes;
  }
  return scan;
}
