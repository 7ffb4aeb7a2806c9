import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEMO_MODE_ENV, ConfigError } from '@lead-router/config';
import { ScoreRulesError } from '@lead-router/enrich';
import { normalizedLeadFixture } from '@lead-router/testing';
import { loadEnricherConfig } from './enricher.config';
import { buildEnricher } from './enricher.steps';

describe('loadEnricherConfig', () => {
  const sut = loadEnricherConfig;

  it('works with no environment: mail flags and IP geo on, no provider, no score', () => {
    const { concurrency, mailFlags, ipGeo, firmographics, scoreFile } = sut({
      ...DEMO_MODE_ENV,
    }).enrich;
    assert.deepEqual(
      { concurrency, mailFlags, ipGeo, firmographics, scoreFile },
      {
        concurrency: 64,
        mailFlags: true,
        ipGeo: true,
        firmographics: null,
        scoreFile: null,
      },
    );
  });

  it('reads the provider settings, the key as the name of a variable', () => {
    const { firmographics } = sut({
      ...DEMO_MODE_ENV,
      ENRICH_FIRMOGRAPHICS_URL: 'https://company.example.com',
      ENRICH_FIRMOGRAPHICS_API_KEY_ENV: 'CLEARBIT_KEY',
      ENRICH_FIRMOGRAPHICS_TIMEOUT_MS: '250',
    }).enrich;
    assert.deepEqual(firmographics, {
      baseUrl: 'https://company.example.com',
      name: 'http',
      apiKeyEnv: 'CLEARBIT_KEY',
      timeoutMs: 250,
      cacheSize: 10_000,
      cacheTtlMs: 86_400_000,
      breakerFailures: 5,
      breakerHalfOpenAfterMs: 30_000,
    });
  });

  it('reports every bad key at once', () => {
    assert.throws(
      () =>
        sut({
          ...DEMO_MODE_ENV,
          ENRICH_MAIL_FLAGS: 'yes',
          ENRICH_FIRMOGRAPHICS_URL: 'ftp://company.example.com',
          ENRICH_FIRMOGRAPHICS_TIMEOUT_MS: '0',
          ENRICH_FIRMOGRAPHICS_API_KEY_ENV: 'not a name',
        }),
      (error: ConfigError) => {
        for (const key of [
          'ENRICH_MAIL_FLAGS',
          'ENRICH_FIRMOGRAPHICS_URL',
          'ENRICH_FIRMOGRAPHICS_TIMEOUT_MS',
          'ENRICH_FIRMOGRAPHICS_API_KEY_ENV',
        ]) {
          assert.match(error.message, new RegExp(key), key);
        }
        return true;
      },
    );
  });
});

describe('buildEnricher', () => {
  it('marks every step configured off as disabled', async () => {
    const { enrich } = loadEnricherConfig({
      ...DEMO_MODE_ENV,
      ENRICH_MAIL_FLAGS: 'off',
      ENRICH_IP_GEO: 'off',
    });
    const sut = await buildEnricher(enrich, {});
    const lead = await sut.enrich(normalizedLeadFixture(), 1_000);
    const { mail_flags, ip_geo, firmographics, score } = lead.enrichment.enrichment_status;
    assert.deepEqual(
      { mail_flags, ip_geo, firmographics, score },
      {
        mail_flags: 'disabled',
        ip_geo: 'disabled',
        firmographics: 'disabled',
        score: 'disabled',
      },
    );
  });

  it('refuses to start with a provider whose key variable is not set, naming it', async () => {
    const { enrich } = loadEnricherConfig({
      ...DEMO_MODE_ENV,
      ENRICH_FIRMOGRAPHICS_URL: 'https://company.example.com',
      ENRICH_FIRMOGRAPHICS_API_KEY_ENV: 'CLEARBIT_KEY',
      ENRICH_IP_GEO: 'off',
    });
    await assert.rejects(buildEnricher(enrich, {}), (error: ConfigError) => {
      assert.match(error.message, /CLEARBIT_KEY: not set/);
      return true;
    });
  });

  it('refuses to start with an invalid score file, listing its problems', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'enricher-config-'));
    const file = join(dir, 'score.yaml');
    writeFileSync(file, 'rules:\n  - { name: a, points: 1, when: { path: lead.country } }\n');
    const { enrich } = loadEnricherConfig({
      ...DEMO_MODE_ENV,
      ENRICH_SCORE_FILE: file,
      ENRICH_IP_GEO: 'off',
    });
    await assert.rejects(buildEnricher(enrich, {}), ScoreRulesError);
  });
});
