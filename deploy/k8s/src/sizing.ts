import type { ManifestEntry } from '@lead-router/schemas';

/**
 * What a service's Deployment asks for and may use, from the figures bench/RESULTS.md measured
 * (issue 15). deploy/k8s/README.md ("Sizing") says how each number below was derived.
 */
export interface Sizing {
  /** CPU µs per lead this service spent in the measured run, or null when none was measured. */
  readonly cpuMicrosPerLead: number | null;
  /** Peak RSS (VmHWM) in MB under load, or null when none was measured. */
  readonly peakRssMb: number | null;
  /** The measured service whose figures stand in for this one when it has none of its own. */
  readonly sizedLike?: ManifestEntry['name'];
  /** Where the figures come from, for the README. */
  readonly source: string;
}

/**
 * The measured figures. CPU per lead: "Pipeline benchmark (issue 15)", point 8, the mean of this
 * tree's two runs (normalizer 141, enricher 92, router 188, sink-webhook 356); ingest: the issue
 * 15 ingest entry, median of the four "after" rounds (193). Peak RSS: the same entry, point 6
 * (VmHWM at the end of the curve; ingest under autocannon, 378 MB).
 */
export const MEASURED: Readonly<Record<ManifestEntry['name'], Sizing>> = {
  ingest: {
    cpuMicrosPerLead: 193,
    peakRssMb: 378,
    source: 'issue 15 ingest entry (CPU, median after); point 6 (RSS under autocannon)',
  },
  'source-fetcher': {
    cpuMicrosPerLead: null,
    peakRssMb: null,
    sizedLike: 'sink-webhook',
    source: 'not measured; an HTTP client per lead like sink-webhook',
  },
  normalizer: {
    cpuMicrosPerLead: 141,
    peakRssMb: 349,
    source: 'issue 15 pipeline benchmark, points 8 (CPU) and 6 (RSS)',
  },
  enricher: {
    cpuMicrosPerLead: 92,
    peakRssMb: 360,
    source: 'issue 15 pipeline benchmark, points 8 (CPU) and 6 (RSS)',
  },
  router: {
    cpuMicrosPerLead: 188,
    peakRssMb: 366,
    source: 'issue 15 pipeline benchmark, points 8 (CPU) and 6 (RSS)',
  },
  'sink-webhook': {
    cpuMicrosPerLead: 356,
    peakRssMb: 431,
    source: 'issue 15 pipeline benchmark, points 8 (CPU) and 6 (RSS)',
  },
  'sink-postgres': {
    cpuMicrosPerLead: null,
    peakRssMb: null,
    sizedLike: 'sink-webhook',
    source: 'not measured; the same sink runtime as sink-webhook, batched',
  },
  'sink-salesforce': {
    cpuMicrosPerLead: null,
    peakRssMb: null,
    sizedLike: 'sink-webhook',
    source: 'not measured; the same sink runtime as sink-webhook, batched',
  },
  'sink-hubspot': {
    cpuMicrosPerLead: null,
    peakRssMb: null,
    sizedLike: 'sink-webhook',
    source: 'not measured; the same sink runtime as sink-webhook, batched',
  },
  indexer: {
    cpuMicrosPerLead: null,
    peakRssMb: null,
    sizedLike: 'sink-webhook',
    source: 'not measured; reads seven records per lead, sized like the heaviest measured consumer',
  },
};

/**
 * The rate one pod's CPU request is sized for. At 1,000 leads/s, µs per lead equals millicores:
 * 141 µs a lead is 141 ms of CPU a second.
 */
export const DESIGN_LEADS_PER_SECOND_PER_POD = 1_000;
/** A Node process runs its JavaScript on one thread: more than one core only feeds GC and libuv. */
export const CPU_LIMIT_MILLICORES = 1_000;
/**
 * Headroom above the measured peak: the young generation (3 × `--max-semi-space-size=16` of the
 * Dockerfile, 48 MB) and a larger backlog in flight than the benchmark's, rounded to 128 MiB.
 */
export const MEMORY_HEADROOM_MIB = 128;

const roundUp = (value: number, step: number) => Math.ceil(value / step) * step;

export interface PodResources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/** The figures a service is sized by: its own, or those of the service it is sized like. */
export function figuresOf(name: ManifestEntry['name']): { cpu: number; rssMb: number } {
  const own = MEASURED[name];
  const from = own.sizedLike === undefined ? own : MEASURED[own.sizedLike];
  if (from.cpuMicrosPerLead === null || from.peakRssMb === null) {
    throw new Error(`${name} is sized like ${own.sizedLike}, which has no measured figures`);
  }
  return { cpu: from.cpuMicrosPerLead, rssMb: from.peakRssMb };
}

/**
 * Requests: the CPU of DESIGN_LEADS_PER_SECOND_PER_POD (rounded up to 50m) and the measured peak
 * RSS (rounded up to 64 MiB, MB read as MiB, which errs high). Limits: one core; the request plus
 * MEMORY_HEADROOM_MIB.
 */
export function resourcesOf(name: ManifestEntry['name']): PodResources {
  const { cpu, rssMb } = figuresOf(name);
  const cpuMillicores = roundUp((cpu * DESIGN_LEADS_PER_SECOND_PER_POD) / 1_000, 50);
  const memoryMib = roundUp(rssMb, 64);
  return {
    requests: { cpu: `${cpuMillicores}m`, memory: `${memoryMib}Mi` },
    limits: { cpu: `${CPU_LIMIT_MILLICORES}m`, memory: `${memoryMib + MEMORY_HEADROOM_MIB}Mi` },
  };
}
