import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { parseRuleSet } from './rules.parser';
import { DEFAULT_RULES } from './routing.fixture';

/** Each property's runs: a few seconds on 2 cores. */
const RUNS = { numRuns: 300 } as const;
/**
 * A parse slower than this counts as a hang. The parser is synchronous, so no timer can stop one
 * that never ends; what a run can show is that none came close (the largest here take ~0.5 s).
 */
const HANG_MS = 5_000;

/**
 * The parser's contract with a rule author: whatever the text, a rule set or a list of issues
 * each saying where (line and column, 1-based, within the text) and what. Never an exception.
 */
function assertParsedOrLocated(yamlText: string): void {
  const started = performance.now();
  const result = parseRuleSet(yamlText);
  const elapsed = performance.now() - started;
  assert.ok(elapsed < HANG_MS, `took ${Math.round(elapsed)} ms`);
  if (result.ok) return;
  assert.ok(result.error.length > 0, 'rejected without an issue');
  const lines = yamlText.split(/\r\n|\r|\n/).length;
  for (const issue of result.error) {
    assert.ok(issue.message !== '', `an issue without a message: ${JSON.stringify(issue)}`);
    assert.ok(
      Number.isInteger(issue.line) && issue.line! >= 1 && issue.line! <= lines + 1,
      `an issue without a line: ${JSON.stringify(issue)}`,
    );
    assert.ok(
      Number.isInteger(issue.column) && issue.column! >= 1,
      `an issue without a column: ${JSON.stringify(issue)}`,
    );
  }
}

/** Characters YAML gives meaning to, made common among any others. */
const yamlChar = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      ...[':', '-', ' ', '  ', '\n', '\t', '{', '}', '[', ']', ',', '#', '&a', '*a', '!', '!!'],
      ...['|', '>', '"', "'", '?', '%YAML 1.2', '---', '...', '<<', '@', '`', '\r', '\ud800'],
    ),
  },
);

/** A value of any shape a rule set's key might wrongly hold. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom('', '0s', '-1h', '1.5h', '999999999999h', 'P1D', '24 h', 'h', '1e9m', '00:00'),
  fc.constantFrom('round_robin', 'weighted', 'load_balanced', 'account_owner', 'webhook', true),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/** The example rule set with one value replaced, one key dropped or one unknown key added. */
const base = parse(DEFAULT_RULES) as unknown;
const mutatedRuleSet = fc
  .array(
    fc.record({ pick: fc.nat(), op: fc.constantFrom('replace', 'drop', 'add'), value: anyValue }),
    { minLength: 1, maxLength: 4 },
  )
  .chain((mutations) =>
    fc.constant(
      mutations.reduce((doc, { pick, op, value }) => {
        const slots: { holder: Record<string, unknown>; key: string }[] = [];
        const walk = (node: unknown) => {
          if (typeof node !== 'object' || node === null) return;
          for (const [key, child] of Object.entries(node)) {
            slots.push({ holder: node as Record<string, unknown>, key });
            walk(child);
          }
        };
        walk(doc);
        const at = slots[pick % slots.length];
        if (at === undefined) return doc;
        if (op === 'drop') delete at.holder[at.key];
        else if (op === 'add' && typeof at.holder[at.key] === 'object' && at.holder[at.key]) {
          (at.holder[at.key] as Record<string, unknown>)[`x_${pick % 7}`] = value;
        } else at.holder[at.key] = value;
        return doc;
      }, structuredClone(base)),
    ),
  )
  .map((doc) => stringify(doc));

/** The example's text with characters cut out and YAML punctuation put in at random places. */
const mutatedText = fc
  .array(
    fc.tuple(fc.nat(DEFAULT_RULES.length), fc.nat(12), fc.string({ unit: yamlChar, maxLength: 4 })),
    {
      minLength: 1,
      maxLength: 6,
    },
  )
  .map((edits) =>
    edits.reduce((t, [at, cut, put]) => t.slice(0, at) + put + t.slice(at + cut), DEFAULT_RULES),
  );

/** Conditions nested `depth` deep, in flow or block style. */
const deepCondition = fc
  .tuple(fc.integer({ min: 20, max: 3_000 }), fc.boolean())
  .map(([depth, flow]) => {
    const leaf = '{ path: lead.country, eq: DE }';
    const when = flow
      ? '{ not: '.repeat(depth) + leaf + ' }'.repeat(depth)
      : '{ all: ['.repeat(depth) + leaf + '] }'.repeat(depth);
    return DEFAULT_RULES.replace('{ path: lead.attributes.tier, eq: vip }', when);
  });

/**
 * A billion laughs: each level an alias list of the one before, so the document's data is
 * `width^levels` nodes while its text is a few hundred bytes.
 */
const aliasBomb = fc
  .tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 10 }), fc.boolean())
  .map(([levels, width, inRule]) => {
    const lines = ['x0: &x0 [lol]'];
    for (let i = 1; i <= levels; i++) {
      lines.push(`x${i}: &x${i} [${Array.from({ length: width }, () => `*x${i - 1}`).join(', ')}]`);
    }
    const bomb = lines.join('\n');
    return inRule
      ? `${bomb}\n${DEFAULT_RULES.replace('owner: "005VIP"', `owner: *x${levels}`)}`
      : bomb;
  });

/** A document of `count` rules: a big but legitimate file. */
const hugeRuleSet = fc.integer({ min: 500, max: 3_000 }).map((count) => {
  const rules = Array.from(
    { length: count },
    (_, i) =>
      `  - { name: r${i}, when: { path: lead.country, eq: C${i} }, owner: "o${i}", destinations: [demo-inbox] }`,
  );
  return DEFAULT_RULES.replace(
    /rules:\n[\s\S]*?fallback:/,
    `rules:\n${rules.join('\n')}\nfallback:`,
  );
});

describe('parseRuleSet fuzz: a rule set or located issues, never an exception or a hang', () => {
  const sut = parseRuleSet;

  // Found by 'any text': an empty document has no node, and its issue had no line (was: no position).
  it('locates the issue of an empty document at its start', () => {
    assert.deepEqual(sut(''), {
      ok: false,
      error: [
        {
          path: '(root)',
          message: 'Invalid input: expected object, received null',
          line: 1,
          column: 1,
        },
      ],
    });
  });

  // Found by 'alias bombs': yaml's alias guard threw ReferenceError out of parseRuleSet.
  it('refuses a billion-laughs document with a located issue instead of throwing', () => {
    const bomb = [
      'x0: &x0 [lol]',
      'x1: &x1 [*x0, *x0, *x0, *x0, *x0, *x0, *x0]',
      'x2: &x2 [*x1, *x1, *x1, *x1, *x1, *x1, *x1]',
      'x3: &x3 [*x2, *x2, *x2, *x2, *x2, *x2, *x2]',
    ].join('\n');
    assert.deepEqual(sut(bomb), {
      ok: false,
      error: [
        {
          path: '(yaml)',
          message:
            'the aliases expand to more than 100 nodes; write the values out or use fewer aliases',
          line: 2,
          column: 10,
        },
      ],
    });
  });

  // Found by 'deeply nested conditions': a `not` 200 deep was accepted, though the schema check,
  // the issue flattening and the router's evaluation all recurse through it.
  it('refuses a condition nested past the limit, at the level that passes it', () => {
    const when = '{ not: '.repeat(200) + '{ path: lead.country, eq: DE }' + ' }'.repeat(200);
    const result = sut(DEFAULT_RULES.replace('{ path: lead.attributes.tier, eq: vip }', when));
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.error.map(({ message, line }) => ({ message, line })), [
      {
        message: 'nested more than 64 levels deep; name parts of the condition as segments',
        line: 21,
      },
    ]);
    assert.match(!result.ok ? result.error[0]!.path : '', /^rules\[1\]\.when(\.not){61}$/);
  });

  it('refuses a self-referencing alias as too deep instead of recursing forever', () => {
    const result = sut('id: &a { loop: *a }\n');
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error[0]!.line, 1);
  });

  it('still reads a rule set that reuses a value through an alias', () => {
    const reused = DEFAULT_RULES.replace(
      'destinations: [demo-inbox, crm]',
      'destinations: &both [demo-inbox, crm]',
    ).replace(
      'fallback:\n  queue: sales\n  destinations: [demo-inbox]',
      'fallback:\n  queue: sales\n  destinations: *both',
    );
    const result = sut(reused);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.error));
    assert.deepEqual(result.value.fallback?.destinations, ['demo-inbox', 'crm']);
  });

  it('any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: yamlChar, maxLength: 400 }), assertParsedOrLocated),
      RUNS,
    );
  });

  it('the example rule set with values of wrong types, keys dropped and unknown keys', () => {
    fc.assert(fc.property(mutatedRuleSet, assertParsedOrLocated), RUNS);
  });

  it("the example rule set's text with random cuts and insertions", () => {
    fc.assert(fc.property(mutatedText, assertParsedOrLocated), RUNS);
  });

  it('deeply nested conditions', () => {
    fc.assert(fc.property(deepCondition, assertParsedOrLocated), { ...RUNS, numRuns: 30 });
  });

  it('alias bombs (billion laughs)', () => {
    fc.assert(fc.property(aliasBomb, assertParsedOrLocated), { ...RUNS, numRuns: 50 });
  });

  it('huge rule sets', () => {
    fc.assert(fc.property(hugeRuleSet, assertParsedOrLocated), { ...RUNS, numRuns: 10 });
  });
});
