export { emailDomainOf, emailLocalPartOf, websiteDomainOf } from './domain.extractor';
export { type EnrichmentStep, type StepResult } from './enrichment.step';
export { isFreeMailDomain } from './free-mail.detector';
export {
  type FirmographicsProvider,
  FirmographicsUnavailableError,
  employeeBandOf,
} from './firmographics.provider';
export { type FirmographicsStepOptions, FirmographicsStep } from './firmographics.step';
export {
  type HttpFirmographicsOptions,
  HttpFirmographicsProvider,
} from './http-firmographics.provider';
export { type IpLocator, IpGeoStep, clientIpOf, loadGeoIpLocator } from './ip-geo.step';
export { LeadEnricher, enrich } from './lead.enricher';
export { MailFlagsStep, isDisposableDomain, isRoleLocalPart } from './mail-flags.step';
export { type ScoreRule, ScoreRulesError, parseScoreRules } from './score.rules';
export { ScoreStep } from './score.step';
export {
  type ContactDecision,
  checkContact,
  contactKeysOf,
  contactKindOf,
  routedOwnerOf,
} from './duplicate.check';
