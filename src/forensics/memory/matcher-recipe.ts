/**
 * Matchers described as data. A worker thread cannot be handed matchers (they hold functions,
 * RegExps and WebAssembly memory), but it can be handed a recipe and build the same ones.
 */
import { ruleMatchers } from '../secrets/rule-matchers.js';
import type { Matcher } from './matchers.js';
import { compilePattern, type SearchPattern } from './patterns.js';

export type MatcherRecipe =
  /** `kcr secrets`: one matcher per secret rule (ruleMatchers()). */
  | { kind: 'secret-rules' }
  /** `kcr mem search`: compilePattern of each pattern. */
  | { kind: 'patterns'; patterns: SearchPattern[]; maxMatch: number };

export function buildMatchers(recipe: MatcherRecipe): Matcher[] {
  return recipe.kind === 'secret-rules'
    ? ruleMatchers()
    : recipe.patterns.map((p) => compilePattern(p, recipe.maxMatch));
}
