import { randomUUID } from 'node:crypto';
import type { RawLead } from '@lead-router/schemas';

/** A small deterministic generator, so every run sends the same mix of leads. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const FIRST = ['Jane', 'Luca', 'Amélie', 'Sven', 'Priya', 'Carlos', 'Mei', 'Olu', 'Hannah', 'Tom'];
const LAST = ['Doe', 'Rossi', 'Martin', 'Larsen', 'Sharma', 'García', 'Chen', 'Adeyemi', 'Weber'];
const COMPANIES = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark Industries', 'Wayne'];
const COUNTRIES = ['DE', 'FR', 'GB', 'US', 'CA', 'BR', 'JP', 'AU', 'NL', 'ES', 'Germany', 'usa'];
const PHONES = ['+49 151 2345678', '+33 6 12 34 56 78', '+1 415 555 0132', '+44 20 7946 0958'];
const TITLES = ['VP Sales', 'CTO', 'Head of Marketing', 'Software Engineer', 'Director of IT'];
const FREE = ['gmail.com', 'yahoo.com', 'outlook.com'];
const MESSAGE =
  'Hello, we are evaluating tools to route inbound leads to the right rep within minutes. ' +
  'We get around 4,000 form fills a month across three regions and two product lines; could ' +
  'someone walk us through pricing, the Salesforce integration and the round-robin options?';

function ascii(name: string): string {
  return name.normalize('NFD').replace(/[^A-Za-z]/g, '');
}

/** The fields a web form posts: what ingest receives as JSON. */
export interface FormLead {
  email: string;
  phone: string;
  first_name: string;
  last_name: string;
  company: string;
  website: string;
  country: string;
  job_title: string;
  message: string;
  source_lead_id: string;
  utm_source: string;
  utm_medium: string;
  utm_campaign: string;
}

/** Realistic form submissions (~600 bytes of JSON), each one distinct. */
export function formLeads(seed: number): () => FormLead {
  const next = seeded(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  let n = 0;
  return () => {
    n++;
    const first = pick(FIRST);
    const last = pick(LAST);
    const company = pick(COMPANIES);
    const domain =
      next() < 0.25 ? pick(FREE) : `${company.toLowerCase().replace(/\s+/g, '')}${n % 97}.com`;
    return {
      email: ` ${ascii(first)}.${ascii(last)}${n}@${domain} `,
      phone: pick(PHONES),
      first_name: first,
      last_name: last,
      company,
      website: `https://www.${company.toLowerCase().replace(/\s+/g, '')}.com`,
      country: pick(COUNTRIES),
      job_title: pick(TITLES),
      message: MESSAGE,
      source_lead_id: `bench-${seed}-${n}`,
      utm_source: pick(['google', 'linkedin', 'newsletter']),
      utm_medium: 'cpc',
      utm_campaign: `q4-${n % 13}`,
    };
  };
}

/** The RawLead a producer would put on leads.raw for a form submission. */
export function rawLeads(seed: number, source: string): () => RawLead {
  const form = formLeads(seed);
  return () => {
    const f = form();
    return {
      lead_id: randomUUID(),
      source,
      source_lead_id: f.source_lead_id,
      channel: 'kafka',
      received_at: Date.now(),
      email: f.email,
      phone: f.phone,
      first_name: f.first_name,
      last_name: f.last_name,
      company: f.company,
      website: f.website,
      country: f.country,
      job_title: f.job_title,
      message: f.message,
      attributes: {
        utm_source: f.utm_source,
        utm_medium: f.utm_medium,
        utm_campaign: f.utm_campaign,
      },
      client_ip: null,
    };
  };
}
