export {
  type AccountCandidate,
  AccountIndex,
  type AccountIndexOptions,
  type AccountQuery,
  nameSimilarity,
} from './account.index';
export {
  ACCOUNT_COLUMNS,
  type AccountRowResult,
  parseAccountRow,
  registrableDomainOf,
  unknownAccountColumns,
} from './account-row.schema';
export { AccountStep, accountOwnerOf } from './account.step';
export { normalizeCompanyName } from './company-name.normalizer';
