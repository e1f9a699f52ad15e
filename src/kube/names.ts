/**
 * Kubernetes name rules, checked before any work is done: a name the API server would reject
 * after a GiB checkpoint was copied and pushed wastes all of it. Pod names are DNS-1123
 * subdomains (≤ 253), Service names DNS-1035 labels (≤ 63), label values ≤ 63 characters. Names
 * kcr derives are made to fit: shortened, with a short hash of the whole so they stay distinct.
 */
import { createHash } from 'node:crypto';
import { KcrError } from '../errors.js';

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export const MAX_POD_NAME = 253;
export const MAX_SERVICE_NAME = 63;
export const MAX_LABEL_VALUE = 63;

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** `text` if it is at most `max` long; else its start and a hash of the whole, `max` long at most. */
export function fitLength(text: string, max: number, trim: RegExp = /[^a-z0-9]+$/i): string {
  if (text.length <= max) return text;
  const hash = shortHash(text);
  return `${text.slice(0, max - hash.length - 1).replace(trim, '')}-${hash}`;
}

export function isPodName(name: string): boolean {
  return name.length <= MAX_POD_NAME && DNS1123_SUBDOMAIN.test(name);
}

/** A user-given pod name (--name) that the API server would accept, or a usage error naming the rule. */
export function checkPodName(name: string, flag = '--name'): string {
  if (isPodName(name)) return name;
  const why =
    name.length > MAX_POD_NAME
      ? `${name.length} characters, at most ${MAX_POD_NAME} allowed`
      : "lower-case letters, digits, '-' and '.' only, starting and ending with a letter or digit";
  throw new KcrError('usage', `${flag} ${name}: not a valid pod name (${why})`, {
    hint: `pass ${flag} with a name like web-restored`,
  });
}

/** A pod name kcr makes from parts (migrate's POD-NODE): lower-cased and shortened to fit. */
export function derivedPodName(...parts: string[]): string {
  const joined = parts.join('-').toLowerCase();
  return fitLength(joined, MAX_POD_NAME, /[^a-z0-9]+$/);
}

/** A label value: kept when valid, else made valid (other characters become '-') and shortened with a hash. */
export function labelValue(value: string): string {
  if (value.length <= MAX_LABEL_VALUE && LABEL_VALUE.test(value)) return value;
  const cleaned = value.replace(/[^-A-Za-z0-9_.]/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  if (cleaned.length <= MAX_LABEL_VALUE && cleaned !== '') return cleaned;
  return fitLength(cleaned || shortHash(value), MAX_LABEL_VALUE, /[^A-Za-z0-9]+$/).replace(
    /^[^A-Za-z0-9]+/,
    '',
  );
}

/**
 * The Service for a pod: the pod's name when it is a DNS-1035 label (≤ 63, starts with a letter,
 * no dots), else one made from it: dots become '-', a leading digit gets an `s-` prefix, and a
 * long name is shortened with a hash.
 */
export function serviceNameFor(podName: string): string {
  if (podName.length <= MAX_SERVICE_NAME && DNS1035_LABEL.test(podName)) return podName;
  let name = podName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/-+$/, '');
  if (!/^[a-z]/.test(name)) name = `s-${name}`;
  return fitLength(name, MAX_SERVICE_NAME, /-+$/);
}
