// The environment pages: the list, and one environment's versions, spec and builds.
export { EnvironmentList } from './environment-list.tsx';
export { EnvironmentPage } from './environment-page.tsx';
