import { createHash } from 'node:crypto';
import { BatchingProducer, readRanges, wholeTopicRanges } from '@lead-router/kafka';
import { parseRuleSet } from '@lead-router/routing';
import { servedDestinationTypes, type RuleSetVersion } from '@lead-router/schemas';
import { RulesAdminError } from './rules-admin.error';
import { topicsOf, type RulesAdminDeps } from './rules-admin.deps';

export interface PublishOptions {
  /** Who published, recorded on the version. */
  by?: string;
}

export interface PublishResult {
  /** False when this exact content was already published under this version: nothing written. */
  published: boolean;
  version: RuleSetVersion;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Every version on routing.rules, oldest first (compaction keeps at least the latest per id). */
export async function readRuleSetHistory(deps: RulesAdminDeps): Promise<RuleSetVersion[]> {
  const topic = topicsOf(deps).topics.rules;
  const records = await readRanges(
    deps.kafka,
    topic,
    await wholeTopicRanges(deps.kafka, topic),
    deps.topicPrefix,
  );
  records.sort((a, b) => Number(BigInt(a.message.offset) - BigInt(b.message.offset)));
  const out: RuleSetVersion[] = [];
  for (const r of records) {
    // A null value is a tombstone: the rule set was withdrawn.
    if (r.message.value === null) continue;
    out.push(await deps.codec.decode<RuleSetVersion>(r.message.value, 'RuleSetVersion'));
  }
  return out;
}

/** The latest published version of each rule set, by id. */
export async function readPublishedRuleSets(
  deps: RulesAdminDeps,
): Promise<Map<string, RuleSetVersion>> {
  const latest = new Map<string, RuleSetVersion>();
  for (const v of await readRuleSetHistory(deps)) latest.set(v.rule_set_id, v);
  return latest;
}

/**
 * Validates a rule set (a destination type no sink of the manifest serves included) and publishes
 * it to routing.rules, keyed by its id, with the idempotent producer (acks=all). A published
 * version is immutable: the same id and version with other content is refused, and the same
 * content again writes nothing.
 */
export async function publishRuleSet(
  deps: RulesAdminDeps,
  yamlText: string,
  options: PublishOptions = {},
): Promise<PublishResult> {
  const parsed = parseRuleSet(yamlText, { servedDestinationTypes: servedDestinationTypes() });
  if (!parsed.ok) {
    throw new RulesAdminError(
      `the rule set is invalid (${parsed.error.length} issue${parsed.error.length === 1 ? '' : 's'}); nothing was published`,
      'invalid',
      parsed.error,
    );
  }
  const { id, version } = parsed.value;
  const sha256 = sha256Hex(yamlText);
  const existing = (await readRuleSetHistory(deps)).find(
    (v) => v.rule_set_id === id && v.version === version,
  );
  if (existing !== undefined) {
    if (existing.sha256 === sha256) return { published: false, version: existing };
    throw new RulesAdminError(
      `rule set ${id} version ${version} is already published with other content ` +
        `(sha256 ${existing.sha256.slice(0, 12)}…, published ${new Date(existing.published_at).toISOString()}` +
        `${existing.published_by ? ` by ${existing.published_by}` : ''}); give the change a new version`,
      'conflict',
      [],
      { ruleSetId: id, version },
    );
  }
  const record: RuleSetVersion = {
    rule_set_id: id,
    version,
    yaml: yamlText,
    sha256,
    published_at: (deps.now ?? Date.now)(),
    published_by: options.by ?? null,
  };
  const topic = topicsOf(deps).topics.rules;
  await deps.codec.registerTopic(topic, 'RuleSetVersion');
  const value = deps.codec.encode(topic, record);
  const producer = deps.producer ?? BatchingProducer.create(deps.kafka);
  if (deps.producer === undefined) await producer.connect();
  try {
    await producer.sendAll([{ topic, key: id, value }]);
  } finally {
    if (deps.producer === undefined) await producer.disconnect();
  }
  return { published: true, version: record };
}
