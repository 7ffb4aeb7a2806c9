import { err, ok, type Result } from '@lead-router/errors';
import { isNode, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { CREDENTIAL_KEYS } from './destination.schema';
import { CONDITION_BRANCHES, type RuleSet, ruleSetSchema } from './rules.schema';
import { type RuleSetValidationOptions, semanticIssues } from './rules.validator';

export interface RuleSetIssue {
  /** Where in the rule set, e.g. `rules[0].when.all[1].in`. */
  path: string;
  message: string;
  /** 1-based position of the offending node (or its nearest existing parent) in the YAML. */
  line?: number;
  column?: number;
}

type Path = readonly PropertyKey[];

/** `file:line:col  path: message` per issue, the form editors and CI logs link to. */
export function formatRuleSetIssues(file: string, issues: readonly RuleSetIssue[]): string {
  return issues
    .map((i) => {
      const at = i.line !== undefined ? `:${i.line}:${i.column ?? 1}` : '';
      return `${file}${at}  ${i.path}: ${i.message}`;
    })
    .join('\n');
}

export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

function valueAt(data: unknown, path: Path): unknown {
  let current = data;
  for (const part of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

const CONDITION = {
  branches: CONDITION_BRANCHES,
  message:
    'expected a condition: { all: [...] }, { any: [...] }, { not: ... }, { segment: name } or { path: ..., <operator>: value }',
};
const WHEN_UNAVAILABLE = {
  branches: ['overflow', 'hold'],
  message:
    'expected what happens when no member is available: { overflow: <queue> } or { hold: true }',
};
/** Its message is the schema's own: a literal secret and a malformed reference read differently. */
const CREDENTIAL = { branches: ['env', 'file'], message: null };

function unionAt(path: Path): { branches: readonly string[]; message: string | null } {
  const last = path.at(-1);
  if (last === 'when_unavailable') return WHEN_UNAVAILABLE;
  if (path[0] === 'destinations' && (CREDENTIAL_KEYS as readonly PropertyKey[]).includes(last!)) {
    return CREDENTIAL;
  }
  return CONDITION;
}

/**
 * zod reports a bad condition as a union failure with every branch's errors. The branch the
 * author meant is the one named by the condition's keys, so only its errors are reported.
 */
function flatten(
  issues: readonly z.core.$ZodIssue[],
  data: unknown,
  prefix: Path,
): { path: Path; message: string }[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code !== 'invalid_union') {
      const message =
        issue.code === 'unrecognized_keys'
          ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
          : issue.message;
      return [{ path, message }];
    }
    // A discriminated union (a destination's type, an auth flow) names no branch: its message says why.
    if (issue.errors.length === 0) return [{ path, message: issue.message }];
    const value = valueAt(data, path);
    const keys = typeof value === 'object' && value !== null ? Object.keys(value) : [];
    const union = unionAt(path);
    const branch = union.branches.findIndex((key) => keys.includes(key));
    const chosen = branch >= 0 ? issue.errors[branch] : undefined;
    if (chosen === undefined) return [{ path, message: union.message ?? issue.message }];
    return flatten(chosen, data, path);
  });
}

/** The start of the document: where an issue of an empty document (no node at all) is shown. */
const DOCUMENT_START = { line: 1, column: 1 };

function positionOf(
  doc: Document,
  lineCounter: LineCounter,
  path: Path,
): { line: number; column: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) {
      const { line, col } = lineCounter.linePos(node.range[0]);
      return { line, column: col };
    }
  }
  return DOCUMENT_START;
}

/**
 * How many nodes the aliases of one document may expand to. yaml's guard: each `*alias` counts
 * the nodes it copies, so a billion-laughs document (each level an alias list of the one before)
 * is refused after a few hundred nodes instead of expanding to `width^levels` of them.
 */
const MAX_ALIAS_COUNT = 100;

/**
 * How deep a rule set may nest. The example nests 8 levels; a condition tree deep enough to matter
 * here (hundreds of levels) is not one anyone writes, and the schema check, the issue flattening
 * and the router's evaluation all recurse, so such a tree would overflow the stack in one of them.
 */
export const MAX_NESTING = 64;

/** The path of the first value nested past MAX_NESTING, found without recursion. */
function tooDeep(data: unknown): Path | null {
  const stack: { value: unknown; path: Path }[] = [{ value: data, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (path.length >= MAX_NESTING) return path;
    const entries = Array.isArray(value) ? value.entries() : Object.entries(value);
    for (const [key, child] of entries) stack.push({ value: child, path: [...path, key] });
  }
  return null;
}

/** yaml throws (not reports) an alias expansion past the guard; this turns it into an issue. */
function toData(doc: Document, lineCounter: LineCounter): Result<unknown, RuleSetIssue[]> {
  try {
    return ok(doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }));
  } catch (error) {
    let alias: Node | undefined;
    visit(doc, {
      Alias(_key, node) {
        alias = node;
        return visit.BREAK;
      },
    });
    const at = alias?.range ? lineCounter.linePos(alias.range[0]) : undefined;
    return err([
      {
        path: '(yaml)',
        message:
          alias === undefined
            ? `the YAML cannot be read: ${error instanceof Error ? error.message : String(error)}`
            : `the aliases expand to more than ${MAX_ALIAS_COUNT} nodes; write the values out or use fewer aliases`,
        ...(at ? { line: at.line, column: at.col } : DOCUMENT_START),
      },
    ]);
  }
}

/**
 * Parses and validates a YAML rule set: its shape (rules.schema), its references and, given the
 * served destination types, that every destination is served (rules.validator). Every issue is
 * reported at once, each with its line and column.
 */
export function parseRuleSet(
  yamlText: string,
  options: RuleSetValidationOptions = {},
): Result<RuleSet, RuleSetIssue[]> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return err(
      doc.errors.map((error) => {
        const pos = error.linePos?.[0];
        return {
          path: '(yaml)',
          // prettyErrors appends the position and a code frame; the position is reported separately.
          message: (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, ''),
          ...(pos ? { line: pos.line, column: pos.col } : DOCUMENT_START),
        };
      }),
    );
  }
  const located = (path: Path, message: string): RuleSetIssue => ({
    path: formatPath(path),
    message,
    ...positionOf(doc, lineCounter, path),
  });
  const read = toData(doc, lineCounter);
  if (!read.ok) return read;
  const data = read.value;
  const deep = tooDeep(data);
  if (deep !== null) {
    return err([
      located(
        deep,
        `nested more than ${MAX_NESTING} levels deep; name parts of the condition as segments`,
      ),
    ]);
  }

  const parsed = ruleSetSchema.safeParse(data);
  if (!parsed.success) {
    return err(flatten(parsed.error.issues, data, []).map((i) => located(i.path, i.message)));
  }
  const issues = semanticIssues(parsed.data, options);
  if (issues.length > 0) return err(issues.map((i) => located(i.path, i.message)));
  return ok(parsed.data);
}
