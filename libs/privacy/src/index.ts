export { emailDigest } from './email.digest';
export {
  type ErasureRequestInput,
  InvalidErasureRequestError,
  emailSubject,
  erasureRequestFor,
  leadSubject,
} from './erasure.request';
export { type Person, personOf } from './record.person';
export {
  type ErasureListener,
  type SuppressionListOptions,
  SuppressionList,
  SuppressionListUnavailableError,
} from './suppression.list';
