export {
  type BaseMethod,
  type Condition,
  type LeafCondition,
  type Member,
  type Method,
  type Operator,
  type Queue,
  type Rule,
  type RuleSet,
  type RuleSetDestination,
  type Scalar,
  type WhenUnavailable,
  type WorkingHours,
  BASE_METHODS,
  METHODS,
  OPERATORS,
  WEEKDAYS,
  conditionSchema,
  ruleSetJsonSchema,
  ruleSetSchema,
} from './rules.schema';
export {
  type Budget,
  type CredentialRef,
  type DestinationOf,
  type HubSpotDestination,
  type PostgresDestination,
  type SalesforceAuth,
  type SalesforceDestination,
  type WebhookDestination,
  DEFAULT_RETRY_DELAYS,
  DEFAULT_SALESFORCE_AUTH,
  CREDENTIAL_KEYS,
  LITERAL_CREDENTIAL_MESSAGE,
  MAX_BATCH_SIZE,
  VENDOR_BUDGETS,
  credentialRefSchema,
  destinationSchema,
  hubspotMapping,
  salesforceMapping,
} from './destination.schema';
export { type RuleSetIssue, formatRuleSetIssues, parseRuleSet } from './rules.parser';
export { type RuleSetValidationOptions } from './rules.validator';
export { DurationError, RuleSetError } from './routing.errors';
export {
  type CompiledRule,
  type CompiledRuleSet,
  type RouteTarget,
  compileRuleSet,
} from './rules.compiler';
export { ConditionCompiler, type LeadScope, type Predicate } from './condition.compiler';
export { type QueueStateUpdate, type RouteResult, queueGroupFor, route } from './lead.router';
export { queueGroups } from './queue.groups';
export { type MemberState, type QueueState, emptyQueueState } from './queue.state';
export { MAX_PATTERN_LENGTH, regexProblem } from './regex.engine';
export { type RuleSetChange, diffRuleSets, formatDiff } from './rules.diff';
export {
  type MemberBucket,
  type QueueMove,
  type RuleBucket,
  type SimulationReport,
  SAMPLES_PER_BUCKET,
  formatSimulation,
  simulate,
} from './rules.simulator';
