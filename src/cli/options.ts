/** Flag parsers shared by commands; they throw usage errors (exit 1) that name the flag. */
import { InvalidArgumentError } from 'commander';

export function choice<T extends string>(flag: string, allowed: readonly T[]) {
  return (value: string): T => {
    if ((allowed as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`${flag} must be one of ${allowed.join(', ')}`);
  };
}

/**
 * `choice`, also taking older names: `aliases` maps each to the value it stands for. The error
 * lists only the current names, so help and errors teach one vocabulary.
 */
export function choiceWithAliases<T extends string>(
  flag: string,
  allowed: readonly T[],
  aliases: Readonly<Record<string, T>>,
) {
  const pick = choice(flag, allowed);
  return (value: string): T => (Object.hasOwn(aliases, value) ? aliases[value]! : pick(value));
}

export function positiveInt(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${flag} takes a whole number, got "${value}"`);
    return parseInt(value, 10);
  };
}

export function integer(flag: string) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value))
      throw new InvalidArgumentError(`${flag} takes a whole number, got "${value}"`);
    return parseInt(value, 10);
  };
}
