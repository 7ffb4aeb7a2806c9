export {
  type Condition,
  type LeafCondition,
  type Operator,
  type Queue,
  type Rule,
  type RuleSet,
  type RuleSetDestination,
  type Scalar,
  OPERATORS,
  conditionSchema,
  ruleSetJsonSchema,
  ruleSetSchema,
} from './rules.schema';
export { type RuleSetIssue, parseRuleSet } from './rules.parser';
export {
  type CompiledRule,
  type CompiledRuleSet,
  type RouteTarget,
  compileRuleSet,
} from './rules.compiler';
export { type Predicate, compileCondition } from './condition.compiler';
export { type RouteResult, route } from './lead.router';
export { MAX_PATTERN_LENGTH, regexProblem } from './regex.engine';
