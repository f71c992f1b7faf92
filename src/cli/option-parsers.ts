/** Parsers for option values: a value they refuse is a usage error naming the option (exit 2). */
import { InvalidArgumentError } from 'commander';

export function integer(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError('give an integer.');
  return Number(value);
}

export function number(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new InvalidArgumentError('give a number.');
  return parsed;
}

/** `16,32`: integers separated by commas. */
export function integers(value: string): number[] {
  return value.split(',').map((part) => integer(part));
}

/** `key=value`, repeatable: collected into one record. */
export function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const equals = value.indexOf('=');
  if (equals < 1) throw new InvalidArgumentError('give it as key=value.');
  return { ...previous, [value.slice(0, equals)]: value.slice(equals + 1) };
}
