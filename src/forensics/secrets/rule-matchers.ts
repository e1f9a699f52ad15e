/** The secret rules as memory-scan matchers (see secret-patterns.ts for the rules themselves). */
import { LiteralSet } from '../memory/literal-set.js';
import { AnchoredRegexMatcher, RegexMatcher, type Matcher } from '../memory/matchers.js';
import { SECRET_RULES, type SecretRule } from '../secret-patterns.js';

/** Longest match the rules produce (the assignment rule: name + value ≤ ~350 bytes). */
const MAX_MATCH = 640;

/** One matcher per rule; all of them find their anchors in one shared pass over each window. */
export function ruleMatchers(rules: readonly SecretRule[] = SECRET_RULES): Matcher[] {
  const literals = new LiteralSet();
  return rules.map((rule) =>
    rule.anchors
      ? new AnchoredRegexMatcher(rule.regex, rule.anchors, rule.maxBack ?? 0, MAX_MATCH, literals)
      : new RegexMatcher(rule.regex, MAX_MATCH, literals),
  );
}
