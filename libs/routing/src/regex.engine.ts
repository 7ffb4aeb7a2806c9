/**
 * The engine behind the `matches` operator. Rule sets come from users, so a pattern must not be
 * able to backtrack for seconds on one lead. With JS RegExp that means rejecting the patterns
 * that backtrack exponentially (a quantified group that itself repeats, backreferences,
 * lookarounds); re2js, which matches in linear time, would make that check unnecessary.
 */
export interface CompiledRegex {
  test(input: string): boolean;
}

export const MAX_PATTERN_LENGTH = 500;

/** Why `pattern` is not accepted, or null when it can be compiled. */
export function regexProblem(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return `pattern is longer than ${MAX_PATTERN_LENGTH} characters`;
  }
  const { source, flags } = splitFlags(pattern);
  if (/\\[1-9]|\\k</.test(source)) return 'backreferences are not supported';
  if (/\(\?<?[=!]/.test(source)) return 'lookarounds are not supported';
  if (hasNestedQuantifier(source)) {
    return 'a repeated group that itself contains a repetition can take exponential time';
  }
  try {
    new RegExp(source, flags);
  } catch (error) {
    return error instanceof Error ? error.message : 'not a valid regular expression';
  }
  return null;
}

/** Compiles a pattern that regexProblem accepted; `(?i)` at the start makes it case-insensitive. */
export function compileRegex(pattern: string): CompiledRegex {
  const { source, flags } = splitFlags(pattern);
  const regex = new RegExp(source, flags);
  return { test: (input) => regex.test(input) };
}

function splitFlags(pattern: string): { source: string; flags: string } {
  // RE2's inline flag, so rule sets stay valid when the engine is swapped.
  return pattern.startsWith('(?i)')
    ? { source: pattern.slice(4), flags: 'iu' }
    : { source: pattern, flags: 'u' };
}

function hasNestedQuantifier(source: string): boolean {
  const groups: boolean[] = []; // per open group: does it contain a repetition?
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      continue;
    }
    if (ch === '[') inClass = true;
    else if (ch === '(') groups.push(false);
    else if (ch === ')') {
      const repeats = groups.pop() ?? false;
      const quantified = isRepetition(source, i + 1);
      if (repeats && quantified) return true;
      if ((repeats || quantified) && groups.length > 0) groups[groups.length - 1] = true;
    } else if (isRepetition(source, i) && groups.length > 0) {
      groups[groups.length - 1] = true;
    }
  }
  return false;
}

function isRepetition(source: string, at: number): boolean {
  const ch = source[at];
  if (ch === '*' || ch === '+') return true;
  if (ch !== '{') return false;
  const bound = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(at));
  if (bound === null) return false;
  return bound[2] !== undefined && (bound[3] === '' || Number(bound[3]) > 1);
}
