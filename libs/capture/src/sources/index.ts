export { type FieldMapping, type PlatformAnswer, mapAnswers, mergeMappings } from './field.mapping';
export { googleKeyValid, googleLeadInput } from './google.adapter';
export {
  type LinkedInFormResponse,
  type LinkedInQuestion,
  linkedinChallenge,
  linkedinLeadInput,
  linkedinLeadReferences,
  linkedinSignatureValid,
  urnId,
} from './linkedin.adapter';
export {
  type MetaGraphLead,
  type ReferenceContext,
  metaHandshake,
  metaLeadInput,
  metaLeadReferences,
  metaSignatureValid,
} from './meta.adapter';
export { PLATFORM_DEFAULT_FIELDS } from './platform.defaults';
export { hmacSha256Hex, secretsEqual, sha256Hex } from './signature.verifier';
export {
  type AdPlatform,
  type AdSource,
  type GoogleSource,
  type LinkedInSource,
  type MetaSource,
  type SecretRef,
  parseSourcesConfig,
} from './sources.config';
export { type FetchVerdict, fetchVerdict, retryAfterMs } from './fetch.verdict';
