export { type Result, ok, err } from './result.type';
export {
  type ErrorContext,
  type LeadRouterErrorOptions,
  LeadRouterError,
  isRetriable,
  errorMessage,
} from './lead-router.error';
