/** Injection tokens of the platform providers every service shares. */
export const LOGGER = Symbol('LOGGER');
export const PLATFORM_CONFIG = Symbol('PLATFORM_CONFIG');
export const TOPICS = Symbol('TOPICS');
export const KAFKA = Symbol('KAFKA');
export const PRODUCER = Symbol('PRODUCER');
export const CODEC = Symbol('CODEC');
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
export const STAGE_METRICS = Symbol('STAGE_METRICS');
export const STAGES = Symbol('STAGES');
export const HEALTH_PROBES = Symbol('HEALTH_PROBES');
/** A service's own HealthProbe[] (a dependency only it has), added to the platform's probes. */
export const SERVICE_PROBES = Symbol('SERVICE_PROBES');
/**
 * The process's SuppressionList (`@lead-router/privacy`): the right-to-erasure requests every stage
 * skips the records of. Given to services with stages; loaded by PipelineLifecycle before any
 * stage consumes. A part that acts on each request subscribes with `onRequest`.
 */
export const SUPPRESSION_LIST = Symbol('SUPPRESSION_LIST');
