export type * from './types.ts';
export { parseRunFilter, runMatches, parseRunOrderBy, compareRuns, searchRuns } from './runs.ts';
export {
  parseExperimentFilter, experimentMatches, parseExperimentOrderBy, compareExperiments, searchExperiments,
} from './experiments.ts';
export { MAX_RESULTS_LIMIT, checkMaxResults, createPageToken, parsePageToken } from './page-token.ts';
