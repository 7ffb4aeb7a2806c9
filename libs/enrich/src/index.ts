export { emailDomainOf, websiteDomainOf } from './domain.extractor';
export { isFreeMailDomain } from './free-mail.detector';
export { enrich } from './lead.enricher';
