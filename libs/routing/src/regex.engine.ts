import { RE2JS, RE2JSSyntaxException } from 're2js';

/**
 * The engine behind the `matches` operator: re2js, a pure-JavaScript port of RE2. It matches in
 * time linear in the input whatever the pattern, so a rule set cannot make routing backtrack
 * for seconds on one lead; the price is RE2 syntax (no lookarounds, no backreferences).
 * https://github.com/google/re2/wiki/Syntax
 */
export interface CompiledRegex {
  test(input: string): boolean;
}

/** Keeps compiled programs (and the trace that quotes them) small. */
export const MAX_PATTERN_LENGTH = 500;

/** Why `pattern` is not accepted, or null when it compiles. */
export function regexProblem(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return `pattern is longer than ${MAX_PATTERN_LENGTH} characters`;
  }
  try {
    RE2JS.compile(pattern);
  } catch (error) {
    const detail =
      error instanceof RE2JSSyntaxException
        ? error.message.replace(/^error parsing regexp: /, '')
        : String(error);
    return `not a valid RE2 regular expression (no lookarounds or backreferences): ${detail}`;
  }
  return null;
}

/** Compiles a pattern that regexProblem accepted; `(?i)` makes it case-insensitive. */
export function compileRegex(pattern: string): CompiledRegex {
  const regex = RE2JS.compile(pattern);
  return { test: (input) => regex.test(input) };
}
