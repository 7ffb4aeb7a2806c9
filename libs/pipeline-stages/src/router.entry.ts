/** What the router service loads (`@lead-router/pipeline-stages/router`): its steps only. */
export {
  ROUTER_STEPS,
  type RouterConfig,
  type RouterStep,
  loadRouterConfig,
} from './router.config';
export { routerStagesProvider } from './router.providers';
